#!/usr/bin/env bash
# Portilla-Simoncelli forward+backward on reptile_skin 256x256, the port against plenoptic
# 1.3.0, side by side: ROUNDS rounds (default 10), each one run of the port's criterion
# bench (`benches/textures.rs`) then one of `benches/textures_plenoptic.py`, both
# wall-clock with their default threads (all cores), one after the other so that both meet
# the same moments of the machine. Prints each round's times and ratio, then the ratios'
# range and median. Run by hand (needs a Python with plenoptic 1.3.0 and torch: PYTHON,
# default python3):
#
#     PYTHON=/path/to/venv/bin/python bash benches/textures_side_by_side.sh 10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-10}
python=${PYTHON:-python3}
export PLENOPTIC_BENCH_CLOCK=wall
"$python" -c "import plenoptic; assert plenoptic.__version__.startswith('1.3.0'), plenoptic.__version__"
cargo bench --bench textures --no-run 2>/dev/null
ratios=()
for r in $(seq "$rounds"); do
  # criterion's middle estimate, in ms (awk reads to the end: a closed pipe would fail
  # the bench under pipefail)
  port=$(cargo bench --bench textures -- --noplot --warm-up-time 1 --measurement-time 3 \
    portilla_simoncelli_256/forward_backward 2>/dev/null |
    awk '/time:/ && !seen { v = $(NF - 3); u = $(NF - 2); if (u == "µs") v /= 1000; if (u == "s") v *= 1000; print v; seen = 1 }')
  plen=$("$python" benches/textures_plenoptic.py --only forward_backward 2>/dev/null |
    sed -n 's/.*forward_backward: median \([0-9.]*\) ms.*/\1/p')
  ratio=$(awk -v a="$plen" -v b="$port" 'BEGIN { printf "%.1f", a / b }')
  ratios+=("$ratio")
  echo "round $r ($(date +%H:%M:%S)): port $port ms, plenoptic $plen ms: ${ratio}x"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "%d rounds: %.1f-%.1fx, median %.1fx\n", NR, v[1], v[NR], m }'
