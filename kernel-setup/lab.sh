#!/usr/bin/env bash
# Opens the notebooks in JupyterLab for a live session. The MyST .md files open as
# notebooks (jupytext); outputs are not written back into them.
#
#   bash kernel-setup/lab.sh                 # http://localhost:8888/lab (token printed)
#   bash kernel-setup/lab.sh --port 9999 --ip 0.0.0.0 --no-browser   # extra JupyterLab options
#
# Run setup.sh once first. As root (e.g. in a container) --allow-root is added.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ ! -x "$VENV/bin/jupyter-lab" ]; then
  echo "kernel-setup is not set up: run  bash kernel-setup/setup.sh  first" >&2
  exit 1
fi
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
cd "$ROOT/notebooks"
# jupytext's contents manager makes .md notebooks open as notebooks by default
exec jupyter lab "${extra[@]}" \
  --ServerApp.root_dir="$ROOT/notebooks" \
  --ContentsManager.preferred_dir="$ROOT/notebooks" \
  "$@"
