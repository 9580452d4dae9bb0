#!/usr/bin/env bash
# Notebook cell latency: runs a notebook (default: the tutorial) headless on a warm build
# folder and prints its total wall time, the total time evcxr spent compiling cells, and
# the slowest cells by wall, compile and run time (how the split is measured:
# cell_timing.py). Run setup.sh once first.
#
#   bash kernel-setup/notebook-bench.sh                       # notebooks/introduction.md
#   bash kernel-setup/notebook-bench.sh notebooks/your_own_model.md
#   bash kernel-setup/notebook-bench.sh /tmp/old/notebooks/introduction.md  # another copy
#                                          # of the crate (git archive), e.g. for a "before"
#
# A warm-up kernel first builds the crate into the build folder (minutes after a change of
# the crate, seconds otherwise), so that the notebook's first cell measures evcxr, not
# the crate's own build. The machine's load average is printed before and after: compare
# figures only between runs taken back to back under the same load.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nb="${1:-$ROOT/notebooks/introduction.md}"
build="${NOTEBOOK_BUILD_DIR:-$ROOT/notebooks/_build}"
mkdir -p "$build"
# the warm-up notebook: the crate as the notebooks depend on it, one cell that uses it
warm="$build/bench-warmup.md"
# the crate the notebook depends on (`path = ".."` from its folder): this one, or a copy
crate="$(cd "$(dirname "$nb")/.." && pwd)"
rel="$(realpath --relative-to="$build" "$crate")"
cat > "$warm" <<EOF
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Rust
  language: rust
  name: rust
---
\`\`\`{code-cell}

:dep plenoptic = { path = "$rel" }
\`\`\`

\`\`\`{code-cell}
plenoptic::tools::set_seed(1);
\`\`\`
EOF
echo "== warm-up (builds the crate if it changed)"
t0=$SECONDS
bash "$KS/run-notebooks.sh" "$warm" > "$build/bench-warmup.log" 2>&1 ||
  { cat "$build/bench-warmup.log" >&2; exit 1; }
echo "   $((SECONDS - t0)) s"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
bash "$KS/run-notebooks.sh" "$nb"
echo "== load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== summary of $(basename "$nb") (seconds; compile = evcxr until the cell's library is built)"
"$VENV/bin/python" "$KS/cell_timing.py" "$build/$(basename "${nb%.md}").times.json" 5
