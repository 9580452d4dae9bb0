#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with Rust and Python 3 (what CI runs):
#
#   bash .ci/test.sh
#
# 1. kernel-setup/setup.sh: evcxr kernel, Jupyter venv, standard images (skips what is there)
# 2. cargo fmt --check, cargo clippy --all-targets -D warnings, and the same clippy with
#    the GPU feature (`cuda`, with dfdx's `ci-check`: type-checks the CUDA path without a
#    CUDA toolkit or GPU; building and running it on a GPU is kernel-setup/CUDA.md)
# 3. cargo test: unit, integration and doc tests (tests read ../shared/reference); then
#    the GPU's code path end to end on the CPU (`portable-cpu`: the CPU runs the portable
#    kernels) against plenoptic's references
# 4. the notebook runner's own tests (its scanner, and notebooks that must fail)
# 5. every notebook in notebooks/ executed headless; any error output, panic or stderr
#    text fails (HTML in notebooks/_build/)
# 6. the workshop site (kernel-setup/site.sh: Sphinx + myst-nb, the full notebooks and the
#    exercises executed with the Rust kernel), then checked in headless Chromium
#    (kernel-setup/browser_check.py): the site's pages, images, animations and outputs, and
#    JupyterLab itself (the first cells run through the UI, a figure inline, live progress)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A clean clone gains nothing from incremental compilation, and its caches take gigabytes.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
t0=$SECONDS
step() {
  printf '\n==== %s (%ds; disk free: %s, target/: %s)\n' "$*" $((SECONDS - t0)) \
    "$(df -h --output=avail . | tail -1 | tr -d ' ')" "$(du -sh target 2>/dev/null | cut -f1)"
}

step "setup"
bash kernel-setup/setup.sh

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo clippy --features portable-cpu --all-targets -- -D warnings"
cargo clippy --features portable-cpu --all-targets -- -D warnings

step "cargo clippy --features cuda,dfdx/ci-check --all-targets -- -D warnings"
cargo clippy --features cuda,dfdx/ci-check --all-targets -- -D warnings

step "cargo test"
cargo test

step "cargo test --features portable-cpu (the GPU's code path on the CPU)"
cargo test --features portable-cpu --test devices --test core_models --test core_ops \
  --test synth_metamer --test synth_eigendistortion

step "notebook runner tests"
kernel-setup/.venv/bin/python -m unittest discover -s kernel-setup -p 'test_*.py'

step "notebooks"
bash kernel-setup/run-notebooks.sh

step "workshop site"
bash kernel-setup/site.sh

step "browser: the built site"
kernel-setup/.venv/bin/python kernel-setup/browser_check.py site

step "browser: JupyterLab"
# (a hung browser or kernel fails this step instead of running out CI's time)
timeout 1200 kernel-setup/.venv/bin/python kernel-setup/browser_check.py lab

step "all passed"
