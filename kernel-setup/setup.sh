#!/usr/bin/env bash
# Installs and configures everything the notebooks need, on a Debian machine with Rust and
# Python 3 (with pip and venv). Idempotent: a second run checks and skips (a few seconds).
#
#   bash kernel-setup/setup.sh
#
# 1. evcxr_jupyter 0.22.0 (`cargo install`, ~13 minutes on 2 cores; skipped when installed)
# 2. kernel-setup/.venv: JupyterLab, jupytext, nbconvert, nbclient, pinned by requirements.lock
# 3. the Jupyter kernel `rust` in the venv's share/jupyter, started through evcxr-kernel.sh,
#    which gives evcxr a persistent build folder (target/evcxr/slot<N>, see evcxr-kernel.sh)
# 4. the standard images (fetch-data.sh)
# 5. mold, a fast linker, from Debian's packages (evcxr links each notebook cell with it
#    when it is on PATH: seconds less per cell; without it cells link with the system ld)
# 6. Chromium (Debian's package) for the browser checks (browser_check.py)
# 7. warm-up: compiles the crate into the kernel's persistent build folder by running the
#    one-cell-notebook warm.md, so the first `:dep` cell in JupyterLab takes seconds
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
step() { printf '\n== %s\n' "$*"; }

step "evcxr_jupyter $EVCXR_VERSION"
if cargo install --list | grep -qx "evcxr_jupyter v$EVCXR_VERSION:"; then
  echo "already installed: $(command -v evcxr_jupyter)"
else
  echo "installing (about 13 minutes on 2 cores)..."
  cargo install evcxr_jupyter --version "$EVCXR_VERSION" --locked
fi

step "Python venv $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian's system Python keeps venv in a separate package
    rm -rf "$VENV"
    if command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv
    fi
    python3 -m venv "$VENV"
  fi
fi
stamp="$VENV/.requirements.lock"
if cmp -s "$KS/requirements.lock" "$stamp"; then
  echo "pinned packages already installed"
else
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$KS/requirements.lock"
  cp "$KS/requirements.lock" "$stamp"
  echo "installed: $("$VENV/bin/jupyter-lab" --version | sed 's/^/jupyterlab /'), jupytext $("$VENV/bin/jupytext" --version)"
fi

step "Jupyter kernel 'rust'"
kdir="$JUPYTER_PATH/kernels/rust"
if [ ! -f "$kdir/version.txt" ]; then
  # evcxr installs into $JUPYTER_PATH/kernels/rust when JUPYTER_PATH is set
  evcxr_jupyter --install >/dev/null
fi
# evcxr's own kernel.json runs evcxr_jupyter directly; ours runs it through the wrapper
# that sets EVCXR_TMPDIR. (evcxr rewrites kernel.json only when its version.txt changes.)
"$VENV/bin/python" - "$kdir/kernel.json" "$KS/evcxr-kernel.sh" <<'PY'
import json, sys
path, wrapper = sys.argv[1], sys.argv[2]
spec = {
    "argv": [wrapper, "--control_file", "{connection_file}"],
    "display_name": "Rust",
    "language": "rust",
    "interrupt_mode": "message",
}
try:
    old = json.load(open(path))
except (OSError, ValueError):
    old = None
if old != spec:
    json.dump(spec, open(path, "w"), indent=1)
    print(f"wrote {path}")
else:
    print(f"kernel spec up to date: {path}")
PY
jupyter kernelspec list | grep -E '^\s*rust\s' || { echo "kernel 'rust' not visible to jupyter" >&2; exit 1; }
# JupyterLab opens .md files (markdown, MyST) as notebooks through jupytext by default
overrides="$VENV/share/jupyter/lab/settings/overrides.json"
mkdir -p "$(dirname "$overrides")"
cat > "$overrides.new" <<'JSON'
{
  "@jupyterlab/docmanager-extension:plugin": {
    "defaultViewers": { "markdown": "Jupytext Notebook", "myst": "Jupytext Notebook" }
  }
}
JSON
mv "$overrides.new" "$overrides"

step "standard images"
bash "$KS/fetch-data.sh"

step "fast linker for notebook cells (mold)"
if command -v mold >/dev/null; then
  echo "already installed: $(mold --version)"
elif command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq mold >/dev/null
  echo "installed: $(mold --version)"
else
  echo "mold is not installed (apt-get install mold as root): notebook cells link with the system linker, seconds slower" >&2
fi

step "Chromium for the browser checks"
if command -v chromium >/dev/null; then
  echo "already installed: $(chromium --version 2>/dev/null)"
elif command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  echo "installed: $(chromium --version 2>/dev/null)"
else
  echo "no apt-get: install Chromium yourself for kernel-setup/browser_check.py" >&2
fi

step "warm-up: the crate in the kernel's build folder"
t0=$SECONDS
NOTEBOOK_BUILD_DIR="$ROOT/target/warm" "$VENV/bin/python" "$KS/run_notebooks.py" "$KS/warm.md" >/dev/null
echo "done in $((SECONDS - t0)) s (the first time: the crate and its dependencies, minutes; then seconds)"

printf '\nSet up. Run the notebooks headless: bash kernel-setup/run-notebooks.sh\n'
printf 'Open them in JupyterLab:          bash kernel-setup/lab.sh\n'
