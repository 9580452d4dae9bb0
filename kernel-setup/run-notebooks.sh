#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless (or the ones named) with the `rust` kernel,
# writes notebooks/_build/<name>.ipynb and self-contained .html, prints their paths, and
# fails on any error output, panic or stderr text in a cell. Run setup.sh once first.
#
#   bash kernel-setup/run-notebooks.sh                       # all notebooks
#   bash kernel-setup/run-notebooks.sh notebooks/introduction.md
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$JUPYTER_PATH/kernels/rust/kernel.json" ]; then
  echo "kernel-setup is not set up: run  bash kernel-setup/setup.sh  first" >&2
  exit 1
fi
exec "$VENV/bin/python" "$KS/run_notebooks.py" "$@"
