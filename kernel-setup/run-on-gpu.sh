#!/usr/bin/env bash
# Runs the binaries of a bundle made by kernel-setup/cuda-build.sh on the GPU machine
# (CUDA 13.0 in /usr/local/cuda, driver libcuda.so.1; no Rust toolchain needed).
# Copied into the bundle as run-on-gpu.sh; run it from anywhere, e.g. from the repo root:
#
#   bash target/gpu-bundle/run-on-gpu.sh                      # all tests, then all benches
#   bash target/gpu-bundle/run-on-gpu.sh tests/core_models benches/models
#   bash target/gpu-bundle/run-on-gpu.sh tests/core_models -- some_test_filter --nocapture
#
# Logs go to $OUT (default <bundle>/out): <kind>-<name>.log per binary, env.txt, summary.txt.
# Env: GPU_TIMEOUT (seconds per binary, default 240), BENCH_ARGS (default "--bench").
set -u
B="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$B/out}"
mkdir -p "$OUT"
export LD_LIBRARY_PATH="/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PLENOPTIC_DATA="$B/data" PLENOPTIC_REFERENCE="$B/reference"
export CRITERION_HOME="${CRITERION_HOME:-$(mktemp -d)}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
timeout_s="${GPU_TIMEOUT:-240}"

# dfdx compiles some kernels with NVRTC at run time, with the include dir baked in at build
# time (/tmp/plenoptic-cuda-13.0/include): rebuild it from /usr/local/cuda/include and
# dfdx's .cuh files (cuda_utils.cuh, ...).
if [ -f "$B/nvrtc-include/CUDA_INCLUDE_DIR" ]; then
  inc="$(cat "$B/nvrtc-include/CUDA_INCLUDE_DIR")"; top="$(dirname "$inc")"
  [ -L "$top" ] && rm -f "$top"           # a symlink left by the build machine's env.sh
  rm -rf "$inc"; mkdir -p "$inc"
  ln -s /usr/local/cuda/include/* "$inc/"
  cp "$B"/nvrtc-include/*.cuh "$inc/"
fi

sel=(); extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; extra=("$@"); break; fi
  sel+=("$1"); shift
done
if [ ${#sel[@]} -eq 0 ]; then
  for f in "$B"/tests/* "$B"/benches/*; do [ -f "$f" ] && sel+=("${f#"$B"/}"); done
fi

{
  echo "== $(date -u) on $(hostname)"
  nvidia-smi || echo "nvidia-smi failed"
  echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  ls -l /usr/local/cuda/lib64/libnvrtc.so* /usr/local/cuda/lib64/libcublas*.so* 2>&1 | head -20
  echo "== ldd -r: missing libraries / undefined symbols (none listed = all CUDA 13 symbols found)"
  for rel in "${sel[@]}"; do
    ldd -r "$B/$rel" 2>&1 | grep -E 'not found|undefined symbol' | sed "s|^|$rel: |"
  done
  [ -x "$B/tests/cuda_smoke" ] && { echo "== ldd tests/cuda_smoke"; ldd "$B/tests/cuda_smoke"; }
} 2>&1 | tee "$OUT/env.txt"

: > "$OUT/summary.txt"
for rel in "${sel[@]}"; do
  exe="$B/$rel"
  [ -x "$exe" ] || { echo "MISSING $rel" | tee -a "$OUT/summary.txt"; continue; }
  kind="${rel%%/*}"; name="${rel##*/}"
  args=("${extra[@]}")
  if [ "$kind" = benches ] && [ ${#args[@]} -eq 0 ]; then read -r -a args <<<"${BENCH_ARGS:---bench}"; fi
  log="$OUT/$kind-$name.log"
  echo "== $rel ${args[*]}" | tee "$log"
  start=$SECONDS
  timeout -k 10 "$timeout_s" "$exe" "${args[@]}" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  line="$(printf '%-4s %-32s rc=%-3s %4ss' "$([ "$rc" = 0 ] && echo ok || echo FAIL)" "$rel" "$rc" "$((SECONDS - start))")"
  [ "$rc" = 124 ] && line="$line (timeout ${timeout_s}s)"
  echo "$line" | tee -a "$OUT/summary.txt"
done
echo "== summary"; cat "$OUT/summary.txt"
! grep -q '^FAIL\|^MISSING' "$OUT/summary.txt"
