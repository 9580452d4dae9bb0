#!/usr/bin/env bash
# Builds the workshop site into site/_build/html with Sphinx, myst-nb and sphinx-book-theme
# (pinned in requirements.lock): the index with set-up instructions, the glossary, the full
# notebooks and the exercises executed with the `rust` kernel, the user and presenter
# versions (not executed). Fails on any warning, cell error or stderr output in a cell.
#
#   bash kernel-setup/site.sh            # then open site/_build/html/index.html
#
# Execution reuses the kernel's persistent build folder (target/evcxr) and myst-nb's cache
# (site/_build/.jupyter_cache): a notebook whose code did not change is not run again.
# Run setup.sh once first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ ! -x "$VENV/bin/sphinx-build" ] || [ ! -f "$JUPYTER_PATH/kernels/rust/kernel.json" ]; then
  echo "kernel-setup is not set up: run  bash kernel-setup/setup.sh  first" >&2
  exit 1
fi
# the user and presenter versions must match their source
"$VENV/bin/python" "$KS/strip_text.py" --check
t0=$SECONDS
"$VENV/bin/sphinx-build" -W --keep-going -q -b html "$ROOT/site" "$ROOT/site/_build/html" "$@"
printf 'site built in %ds: %s\n' $((SECONDS - t0)) "$ROOT/site/_build/html/index.html"
