#!/usr/bin/env bash
# Builds the crate's test and bench executables with `--features cuda` on this (GPU-less)
# machine and packs them into a bundle that is carried to the GPU machine and run there
# with its run-on-gpu.sh (see kernel-setup/CUDA.md).
#
#   bash kernel-setup/cuda-build.sh            # tests + benches -> target/gpu-bundle/
#   bash kernel-setup/cuda-build.sh --tests    # only the test binaries
#   bash kernel-setup/cuda-build.sh --benches  # only the bench binaries
#
# Env: CARGO_BUILD_JOBS (default 2), PLENOPTIC_CUDA_TARGET_DIR (default target/cuda),
#      PLENOPTIC_GPU_BUNDLE (default target/gpu-bundle), PLENOPTIC_DATA (standard images),
#      PLENOPTIC_REFERENCE (default ../shared/reference),
#      PLENOPTIC_GPU_TESTS="cuda_smoke core_models ..." (bundle only these test binaries).
set -euo pipefail
KS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$KS/.." && pwd)"
cd "$REPO"

do_tests=1; do_benches=1
case "${1:-}" in
  --tests) do_benches=0 ;;
  --benches) do_tests=0 ;;
  "") ;;
  *) echo "usage: $0 [--tests|--benches]" >&2; exit 2 ;;
esac

envfile="$(bash "$KS/cuda-toolchain.sh")"
# shellcheck disable=SC1090
source "$envfile"
export CARGO_TARGET_DIR="${PLENOPTIC_CUDA_TARGET_DIR:-$REPO/target/cuda}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# no debug info, symbols stripped: the bundle must stay far below 64 MiB
export CARGO_PROFILE_TEST_DEBUG=0 CARGO_PROFILE_TEST_STRIP=symbols
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_STRIP=symbols
export CARGO_PROFILE_BENCH_DEBUG=0 CARGO_PROFILE_BENCH_STRIP=symbols
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols

# dfdx's build.rs bakes "$CUDA_PATH/include" into the binaries (NVRTC include dir) but does
# not rerun when CUDA_PATH changes: force it when the target dir was built with another one.
mkdir -p "$CARGO_TARGET_DIR"
if [ "$(cat "$CARGO_TARGET_DIR/.cuda-path" 2>/dev/null)" != "$CUDA_PATH" ]; then
  cargo clean -p dfdx >/dev/null 2>&1 || true
  echo "$CUDA_PATH" > "$CARGO_TARGET_DIR/.cuda-path"
fi

bundle="${PLENOPTIC_GPU_BUNDLE:-$REPO/target/gpu-bundle}"
data="${PLENOPTIC_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/plenoptic}"
reference="${PLENOPTIC_REFERENCE:-$REPO/../shared/reference}"

# Prints "name<TAB>path" for each executable in cargo's JSON messages.
# kind lib -> unit_<crate>, test/bench -> the target name.
executables() {
  python3 -c '
import json, sys
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable"): continue
    t = m["target"]; kind = t["kind"][0]
    if kind in ("test", "bench"): name = t["name"]
    elif kind == "lib": name = "unit_" + t["name"]
    else: continue
    print(name + "\t" + m["executable"])
'
}

rm -rf "$bundle"
mkdir -p "$bundle/tests" "$bundle/benches" "$bundle/data" "$bundle/reference"
t0=$SECONDS
if [ "$do_tests" = 1 ]; then
  echo "== cargo test --features cuda --no-run ($CARGO_TARGET_DIR)" >&2
  cargo test --features cuda --no-run --message-format=json-render-diagnostics |
    executables > "$bundle/.tests.lst"
  while IFS=$'\t' read -r name exe; do
    if [ -z "${PLENOPTIC_GPU_TESTS:-}" ] || [[ " $PLENOPTIC_GPU_TESTS " == *" $name "* ]]; then
      cp "$exe" "$bundle/tests/$name"
    fi
  done < "$bundle/.tests.lst"
fi
if [ "$do_benches" = 1 ]; then
  echo "== cargo bench --features cuda --no-run ($CARGO_TARGET_DIR)" >&2
  cargo bench --features cuda --no-run --benches --message-format=json-render-diagnostics |
    executables | grep -v '^unit_' > "$bundle/.benches.lst" || true
  while IFS=$'\t' read -r name exe; do cp "$exe" "$bundle/benches/$name"; done < "$bundle/.benches.lst"
fi
rm -f "$bundle/.tests.lst" "$bundle/.benches.lst"
echo "== build took $((SECONDS - t0)) s" >&2

# data the tests read: standard images and plenoptic's reference outputs
if ls "$data"/*.pgm >/dev/null 2>&1; then
  cp "$data"/*.pgm "$data"/*.png "$data"/*.jpg "$bundle/data/" 2>/dev/null || true
else
  echo "warning: no standard images in $data (run kernel-setup/fetch-data.sh); data-dependent tests will fail" >&2
fi
if [ -d "$reference" ]; then cp -r "$reference"/. "$bundle/reference/"; else
  echo "warning: no reference outputs at $reference" >&2; fi

# NVRTC at run time: dfdx passes the build-time "$CUDA_PATH/include" (CUDA_INCLUDE_DIR) and
# its OUT_DIR as include paths; its kernels #include "cuda_fp16.h" and "cuda_utils.cuh".
# run-on-gpu.sh rebuilds that include dir from /usr/local/cuda/include plus dfdx's .cuh files.
mkdir -p "$bundle/nvrtc-include"
echo "$CUDA_PATH/include" > "$bundle/nvrtc-include/CUDA_INCLUDE_DIR"
cuh_dir="$(ls -d "$CARGO_TARGET_DIR"/*/build/dfdx-*/out 2>/dev/null | head -1)"
cp "$cuh_dir"/*.cuh "$bundle/nvrtc-include/"

cp "$KS/run-on-gpu.sh" "$bundle/run-on-gpu.sh"
chmod +x "$bundle/run-on-gpu.sh"

# --- checks: what the binaries need at run time -----------------------------------------
shopt -s nullglob
bins=("$bundle"/tests/* "$bundle"/benches/*)
echo "== DT_NEEDED: number of binaries needing each library" >&2
for f in "${bins[@]}"; do readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done |
  sort | uniq -c >&2
maxglibc="$(for f in "${bins[@]}"; do objdump -T "$f"; done |
  grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
croot_real="$(readlink -f "$CUDA_PATH")"
if [ "$croot_real" != "$CUDA_PATH" ] && grep -l -a -F "$croot_real/include" "${bins[@]}" >&2; then
  echo "error: the binaries above carry $croot_real/include instead of $CUDA_PATH/include" >&2
  echo "       (stale dfdx build: run cargo clean -p dfdx with CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
  exit 1
fi
echo "== highest GLIBC symbol version required: $maxglibc (GPU machine: glibc 2.39)" >&2
# undefined CUDA symbols (checked against the real libraries on the GPU by `ldd -r`)
for f in "${bins[@]}"; do nm -D --undefined-only "$f"; done |
  awk '{print $2}' | { grep -E '^(cu|nvrtc)' || true; } | sort -u > "$bundle/cuda-symbols.txt"
echo "== $(wc -l < "$bundle/cuda-symbols.txt") distinct CUDA symbols used (cuda-symbols.txt)" >&2
(cd "$bundle" && ls -l tests benches | awk 'NF>=9 {printf "   %6.1f MiB  %s\n", $5/1048576, $9}') >&2
tar -C "$(dirname "$bundle")" -cJf "$bundle.tar.xz" "$(basename "$bundle")"
echo "== bundle $bundle: $(du -sh "$bundle" | cut -f1); $bundle.tar.xz: $(du -sh "$bundle.tar.xz" | cut -f1)" >&2
