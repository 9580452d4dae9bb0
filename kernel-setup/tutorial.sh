#!/usr/bin/env bash
# One command from a fresh machine to the executed tutorial: sets everything up
# (setup.sh), runs notebooks/introduction.md headless and prints the path of the HTML.
#
#   bash kernel-setup/tutorial.sh
set -euo pipefail
KS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$KS/setup.sh"
printf '\n== the tutorial, headless\n'
bash "$KS/run-notebooks.sh" "$KS/../notebooks/introduction.md"
printf '\nOpen it: %s\n' "$(cd "$KS/.." && pwd)/notebooks/_build/introduction.html"
