#!/usr/bin/env bash
# Builds a CUDA 13.0 *build* environment (no GPU, no driver needed) from NVIDIA's PyPI
# wheels, so that `cargo build --features cuda` (dfdx 0.13 / cudarc 0.9) compiles and links
# on a machine without the CUDA toolkit. The binaries are then run on a GPU machine that
# has the real CUDA 13.0 libraries and driver (see kernel-setup/CUDA.md).
#
#   bash kernel-setup/cuda-toolchain.sh          # build (idempotent), print the env file path
#   eval "$(bash kernel-setup/cuda-toolchain.sh --env)"   # build, then export the env here
#
# The root goes to $PLENOPTIC_CUDA_ROOT (default ~/.cache/plenoptic-cuda/13.0.0) and holds:
#   bin/nvcc (+ cudafe++, ptxas, ...)   the real nvcc from nvidia-cuda-nvcc
#   nvvm/bin/cicc, nvvm/libdevice       from nvidia-nvvm
#   include/                            cuda.h, cuda_fp16.h, crt/, cccl/, nvrtc.h, cublas*.h
#   lib64/libcublas.so{,.13} libcublasLt.so{,.13} libnvrtc.so{,.13} (real, from the wheels)
#   lib64/stubs/libcuda.so{,.1}         generated link stub, SONAME libcuda.so.1; every cu*
#                                       function cudarc declares returns CUDA_ERROR_STUB_LIBRARY
#   shim/nvidia-smi                     prints "compute_cap\n9.0" (dfdx's build.rs asks it)
#   env.sh                              CUDA_ROOT/CUDA_PATH/PATH/CUDA_COMPUTE_CAP exports
# Wheels are cached in ~/.cache/plenoptic-cuda/wheels and checked against pinned sha256.
# Needs: python3 -m pip, unzip, gcc (host compiler for nvcc; CUDA 13.0 accepts gcc 6..15 —
# checked with gcc 12), cargo (to locate cudarc's sources for the stub's symbol list).
set -euo pipefail

KS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$KS/.." && pwd)"
TAG=13.0.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/plenoptic-cuda"
CROOT="${PLENOPTIC_CUDA_ROOT:-$CACHE/$TAG}"
WHEELS="$CACHE/wheels"
CC_MAJOR_MINOR="${PLENOPTIC_CUDA_CC:-9.0}"   # compute capability of the target GPU (H100/H200)
CUDA_ALIAS=/tmp/plenoptic-cuda-13.0          # symlink: -> $CROOT here, -> /usr/local/cuda on the GPU

# CUDA 13.0.0 (GA) component versions: the oldest 13.0.x, so every symbol we link against
# exists in whatever 13.0 update the GPU machine carries (libraries keep SONAME .so.13).
WHEEL_LIST=(
  "nvidia_cuda_nvcc-13.0.48-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl d529c52d30c403cbf6fb17a3009530a48d94ea3ad99c990ad0301d9c744eb866"
  "nvidia_cuda_crt-13.0.48-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl 944b6070c50dc4fbb7c012b1a4c28b444c9c5ac071ac17d84dc9726d9cbc6bea"
  "nvidia_nvvm-13.0.48-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl a7cf76afc14682c46d43d5cdc370fc1da69cb84270e6854c6b3869584ecbd483"
  "nvidia_cuda_runtime-13.0.48-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl 5b54d12087a1abff81a4cbfa6556876e3afea1fc60da2e0816da374619810c89"
  "nvidia_cuda_nvrtc-13.0.48-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl 87e13d186905a35e7c04ad553a2abded0fba22f93b43d02e5da6f6cf73fb4d0a"
  "nvidia_cuda_cccl-13.0.50-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl 46c209499996c18a0c673298f5eac3a09fecdb032da2b8be21c7d0914d966861"
  "nvidia_cublas-13.0.0.19-py3-none-manylinux_2_27_x86_64.whl f6723af2e8e2600a11dc384037d90d9bf93070e346c24ef2e8f9001658c99896"
)

log() { echo "[cuda-toolchain] $*" >&2; }

stamp="$(printf '%s\n' "${WHEEL_LIST[@]}" "$CC_MAJOR_MINOR" "$CUDA_ALIAS" env2 stub2 | sha256sum | cut -c1-16)"
if [ -f "$CROOT/.complete" ] && [ "$(cat "$CROOT/.complete")" = "$stamp" ]; then
  log "CUDA root up to date: $CROOT"
  if [ "${1:-}" = --env ]; then cat "$CROOT/env.sh"; else echo "$CROOT/env.sh"; fi
  exit 0
fi

for tool in unzip gcc cargo python3; do
  command -v "$tool" >/dev/null || { log "missing required tool: $tool"; exit 1; }
done

# --- 1. wheels (download what is missing, verify all) -----------------------------------
mkdir -p "$WHEELS"
for entry in "${WHEEL_LIST[@]}"; do
  file="${entry% *}"; sum="${entry#* }"
  if [ ! -f "$WHEELS/$file" ] || [ "$(sha256sum "$WHEELS/$file" | cut -d' ' -f1)" != "$sum" ]; then
    rm -f "$WHEELS/$file"
    # name==version from the wheel file name (dist name uses _ ; pip accepts it)
    IFS=- read -r dist ver _ <<<"$file"
    log "downloading $dist==$ver"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform manylinux_2_12_x86_64 --platform manylinux2010_x86_64 \
      --python-version 3.11 -d "$WHEELS" "$dist==$ver"
  fi
  got="$(sha256sum "$WHEELS/$file" | cut -d' ' -f1)"
  [ "$got" = "$sum" ] || { log "sha256 mismatch for $file: $got != $sum"; exit 1; }
done

# --- 2. unpack into a fresh root (built next to the final path, then renamed) -----------
tmp="$CROOT.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
for entry in "${WHEEL_LIST[@]}"; do
  unzip -q -o "$WHEELS/${entry% *}" 'nvidia/cu13/*' -d "$tmp/x"
done
cu="$tmp/x/nvidia/cu13"
mv "$cu/bin" "$tmp/bin"
mv "$cu/include" "$tmp/include"
mv "$cu/lib" "$tmp/lib64"
mkdir -p "$tmp/nvvm/bin" "$tmp/nvvm/lib64"
mv "$tmp/bin/cicc" "$tmp/nvvm/bin/cicc"          # nvcc.profile: CICC_PATH = $(TOP)/nvvm/bin
mv "$cu/nvvm/libdevice" "$tmp/nvvm/libdevice"
ln -s ../../lib64/libnvvm.so.4 "$tmp/nvvm/lib64/libnvvm.so.4"
rm -rf "$tmp/x"
ln -s lib64 "$tmp/lib"
mkdir -p "$tmp/targets/x86_64-linux"               # nvcc.profile: $(TOP)/$(_TARGET_DIR_)/include
ln -s ../../include "$tmp/targets/x86_64-linux/include"
ln -s ../../lib64 "$tmp/targets/x86_64-linux/lib"
# unversioned names for the linker
( cd "$tmp/lib64"
  for so in libcublas.so.13 libcublasLt.so.13 libnvrtc.so.13 libcudart.so.13 libnvblas.so.13; do
    [ -f "$so" ] && ln -sf "$so" "${so%.13}"
  done )

# --- 3. libcuda link stub ----------------------------------------------------------------
# Symbol list = every `pub fn cu*` in cudarc's driver bindings (a superset of what any
# binary links), so the stub never has to be regenerated when the crate uses more of cudarc.
cudarc_dir="$(cd "$REPO" && cargo metadata --format-version 1 --features cuda 2>/dev/null |
  python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="cudarc"))')"
[ -f "$cudarc_dir/src/driver/sys.rs" ] || { log "cudarc sources not found (run cargo fetch)"; exit 1; }
mkdir -p "$tmp/lib64/stubs"
{
  echo "/* generated by kernel-setup/cuda-toolchain.sh from $cudarc_dir/src/driver/sys.rs */"
  echo "/* link-time stub for libcuda.so.1: every entry point returns CUDA_ERROR_STUB_LIBRARY (34) */"
  echo 'static const char stub_msg[] = "CUDA_ERROR_STUB_LIBRARY (plenoptic link stub, no driver)";'
  echo 'int cuGetErrorString(int e, const char **s) { (void)e; *s = stub_msg; return 0; }'
  echo 'int cuGetErrorName(int e, const char **s) { (void)e; *s = "CUDA_ERROR_STUB_LIBRARY"; return 0; }'
  grep -oE 'pub fn cu[A-Za-z0-9_]+' "$cudarc_dir/src/driver/sys.rs" | awk '{print $3}' | sort -u |
    grep -vx -e cuGetErrorString -e cuGetErrorName |
    while read -r f; do echo "int $f(void) { return 34; }"; done
} > "$tmp/lib64/stubs/libcuda_stub.c"
gcc -O1 -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$tmp/lib64/stubs/libcuda.so" "$tmp/lib64/stubs/libcuda_stub.c"
ln -s libcuda.so "$tmp/lib64/stubs/libcuda.so.1"

# --- 4. nvidia-smi shim (only put on PATH when no real nvidia-smi exists) ----------------
mkdir -p "$tmp/shim"
cat > "$tmp/shim/nvidia-smi" <<EOF
#!/bin/sh
# Fake nvidia-smi for building without a GPU (dfdx build.rs: --query-gpu=compute_cap --format=csv)
case "\$*" in
  *compute_cap*) printf 'compute_cap\n%s\n' "\${PLENOPTIC_CUDA_CC:-$CC_MAJOR_MINOR}" ;;
  *) echo "nvidia-smi shim (plenoptic cuda-toolchain): no GPU on this machine" >&2; exit 9 ;;
esac
EOF
chmod +x "$tmp/shim/nvidia-smi"

cc_num="${CC_MAJOR_MINOR/./}"
# dfdx bakes "$CUDA_PATH/include" into the binaries (env!("CUDA_INCLUDE_DIR")) and hands it
# to NVRTC at run time (its concat, stack, to_dtype and reshape kernels #include
# "cuda_fp16.h"). So the build goes through a fixed /tmp alias that run-on-gpu.sh points at
# /usr/local/cuda on the GPU machine.
cat > "$tmp/env.sh" <<EOF
# generated by kernel-setup/cuda-toolchain.sh: source me before cargo ... --features cuda
if [ "\$(readlink "$CUDA_ALIAS" 2>/dev/null)" != "$CROOT" ]; then
  [ -d "$CUDA_ALIAS" ] && [ ! -L "$CUDA_ALIAS" ] && rm -rf "$CUDA_ALIAS"   # left by run-on-gpu.sh
  ln -sfn "$CROOT" "$CUDA_ALIAS"
fi
export CUDA_ROOT="$CUDA_ALIAS"
export CUDA_PATH="$CUDA_ALIAS"
export CUDA_TOOLKIT_ROOT_DIR="$CUDA_ALIAS"
export CUDA_COMPUTE_CAP=$cc_num
export PATH="$CROOT/bin:\$PATH"
command -v nvidia-smi >/dev/null 2>&1 || export PATH="\$PATH:$CROOT/shim"
EOF

# --- 5. smoke test: nvcc must produce sm_$cc_num PTX with these headers ------------------
cat > "$tmp/smoke.cu" <<'EOF'
#include <cuda_fp16.h>
#include <cuda_bf16.h>
extern "C" __global__ void k(const float *x, __half *y, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2half(expf(x[i]) + atomicAdd((float *)x, 0.0f));
}
EOF
( export PATH="$tmp/bin:$PATH"
  nvcc --list-gpu-code | grep -qx "sm_$cc_num" || { log "nvcc cannot target sm_$cc_num"; exit 1; }
  nvcc --gpu-architecture="sm_$cc_num" --ptx --default-stream per-thread -o "$tmp/smoke.ptx" "$tmp/smoke.cu" )
grep -q "^.target sm_$cc_num" "$tmp/smoke.ptx" || { log "smoke PTX has no .target sm_$cc_num"; exit 1; }
rm -f "$tmp/smoke.cu" "$tmp/smoke.ptx"

echo "$stamp" > "$tmp/.complete"
trap - EXIT
rm -rf "$CROOT"; mkdir -p "$(dirname "$CROOT")"; mv "$tmp" "$CROOT"
# nvcc resolves $(TOP) from its own path, the symlinks are relative: the move is safe.
log "CUDA root ready: $CROOT ($(du -sh "$CROOT" | cut -f1))"
if [ "${1:-}" = --env ]; then cat "$CROOT/env.sh"; else echo "$CROOT/env.sh"; fi
