#!/usr/bin/env bash
# Portilla-Simoncelli forward+backward on reptile_skin 256x256, the port against plenoptic
# 1.3.0, side by side: ROUNDS rounds (default 10), each one run of the port's criterion
# bench (`benches/textures.rs`) then one of `benches/textures_plenoptic.py`, both
# wall-clock with their default threads (all cores), one after the other so that both
# meet the same moments of the machine; each side's median time per call. Prints each
# round's times and ratio, then the ratios' range and median. Run by hand (needs a Python
# with plenoptic 1.3.0 and torch: PYTHON, default python3):
#
#     PYTHON=/path/to/venv/bin/python bash benches/textures_side_by_side.sh 10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-10}
python=${PYTHON:-python3}
export PLENOPTIC_BENCH_CLOCK=wall
"$python" -c "import plenoptic; assert plenoptic.__version__.startswith('1.3.0'), plenoptic.__version__"
cargo bench --bench textures --no-run 2>/dev/null
estimates=${CARGO_TARGET_DIR:-target}/criterion/portilla_simoncelli_256/forward_backward/new/estimates.json
ratios=()
for r in $(seq "$rounds"); do
  # the median of criterion's samples (time per call), in ms, as plenoptic's side reports
  # the median of its calls (criterion prints its slope estimate, a mean)
  cargo bench --bench textures -- --noplot --warm-up-time 1 --measurement-time 3 \
    portilla_simoncelli_256/forward_backward >/dev/null 2>&1 ||
    { echo "the port's bench failed (cargo bench --bench textures)" >&2; exit 1; }
  port=$("$python" -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1e6, 3))' \
    "$estimates")
  plen=$("$python" benches/textures_plenoptic.py --only forward_backward |
    sed -n 's/.*forward_backward: median \([0-9.]*\) ms.*/\1/p')
  [ -n "$plen" ] || { echo "benches/textures_plenoptic.py printed no time" >&2; exit 1; }
  ratio=$(awk -v a="$plen" -v b="$port" 'BEGIN { printf "%.1f", a / b }')
  ratios+=("$ratio")
  echo "round $r ($(date +%H:%M:%S)): port $port ms, plenoptic $plen ms: ${ratio}x"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "%d rounds: %.1f-%.1fx, median %.1fx\n", NR, v[1], v[NR], m }'
