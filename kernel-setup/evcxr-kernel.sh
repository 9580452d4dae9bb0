#!/usr/bin/env bash
# The `rust` Jupyter kernel's command (kernel.json's argv): starts evcxr_jupyter with a
# persistent build folder, so the crate and its dependencies are compiled by the first
# kernel only and later kernels start in seconds.
#
# evcxr reads EVCXR_TMPDIR when the kernel starts and keeps its generated crate (src/) and
# cargo target/ there. Two kernels must not share one folder (they would overwrite each
# other's sources), so each kernel takes the first free slot $PLENOPTIC_EVCXR_DIR/slot<N>,
# held by an flock on slot<N>.lock for the kernel's lifetime. Cargo settings for these
# builds: evcxr-cargo-config.toml. evcxr's own settings for every cell (opt-level) come
# from evcxr-config/init.evcxr, which evcxr runs when the kernel starts (EVCXR_CONFIG_DIR;
# an EVCXR_CONFIG_DIR already set wins). evcxr links cells with mold when it is on PATH
# (setup.sh installs it): no setting needed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export EVCXR_CONFIG_DIR="${EVCXR_CONFIG_DIR:-$here/evcxr-config}"
base="${PLENOPTIC_EVCXR_DIR:-$here/../target/evcxr}"
mkdir -p "$base/.cargo"
# optimised dependencies (see evcxr-cargo-config.toml)
cmp -s "$here/evcxr-cargo-config.toml" "$base/.cargo/config.toml" ||
  cp "$here/evcxr-cargo-config.toml" "$base/.cargo/config.toml"
for slot in 0 1 2 3 4 5 6 7; do
  exec 9>"$base/slot$slot.lock"
  if flock -n 9; then
    export EVCXR_TMPDIR="$base/slot$slot"
    mkdir -p "$EVCXR_TMPDIR"
    # (evcxr prints this on every start when there is no evcxr.toml: not worth a line)
    exec "${CARGO_HOME:-$HOME/.cargo}/bin/evcxr_jupyter" "$@" \
      > >(exec 9>&-; grep --line-buffered -v '^No configuration file found, use the default configuration$')
  fi
  exec 9>&-
done
echo "evcxr-kernel.sh: all 8 build folders in $base are in use" >&2
exit 1
