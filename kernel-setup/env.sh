# Sourced by the kernel-setup scripts: where everything lives. Not meant to be run.
#   KS        this folder (kernel-setup/)
#   ROOT      the repository (the crate)
#   VENV      the Python virtual environment with the Jupyter tooling
#   JUPYTER_PATH  the venv's share/jupyter first, so the `rust` kernel registered there wins
#                 over any other kernel of that name
#   PLENOPTIC_EVCXR_DIR  persistent evcxr build folders (one per concurrently running kernel)
KS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$KS/.." && pwd)"
VENV="$KS/.venv"
EVCXR_VERSION=0.22.0
export JUPYTER_PATH="$VENV/share/jupyter"
export PLENOPTIC_EVCXR_DIR="${PLENOPTIC_EVCXR_DIR:-$ROOT/target/evcxr}"
export PATH="$VENV/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
