#!/usr/bin/env bash
# Fetches plenoptic's standard images (einstein, curie, ...) from the plenoptic 1.3.0
# package on PyPI and checks their sha256. The images are not committed to this repository.
#
#   bash kernel-setup/fetch-data.sh            # into $PLENOPTIC_DATA or ~/.cache/plenoptic
#   PLENOPTIC_DATA=/some/dir bash kernel-setup/fetch-data.sh
#
# Idempotent: files already present with the right checksum are kept.
set -euo pipefail
dest="${PLENOPTIC_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/plenoptic}"
mkdir -p "$dest"

declare -A sums=(
  [einstein.pgm]=04fdfaa3c70b8de1447e490df28b31084dce6720daca769399629d2214fe9ffb
  [curie.pgm]=9c1966040be52db0b7a48d55d212277689900c1eed35e11becc51957aa15744a
  [reptile_skin.pgm]=c5349e9e7d402b2df64e146b8b64463bb147d993d8a50537d01c862eca256d87
  [parrot.png]=bda44895f686a704276363c717e6c2950b57c31f58ceb6d5422d8476231facb7
  [color_wheel.jpg]=c221ca4b9b41f1820fc95a3fb3c6316c3b8770af3dc650cfafc65b354b6799f7
)

verify() { # file expected-sha
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

all_ok=1
for f in "${!sums[@]}"; do verify "$dest/$f" "${sums[$f]}" || all_ok=0; done
if [ "$all_ok" = 1 ]; then
  echo "standard images already in $dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps plenoptic==1.3.0 -d "$tmp"
python3 - "$tmp" "$dest" <<'PY'
import glob, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/plenoptic-1.3.0-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = name.rsplit("/", 1)[-1]
        if name.startswith("plenoptic/data/") and (base.endswith(".pgm") or base in ("parrot.png", "color_wheel.jpg")):
            with open(f"{dest}/{base}", "wb") as f:
                f.write(z.read(name))
PY
for f in "${!sums[@]}"; do
  if ! verify "$dest/$f" "${sums[$f]}"; then
    echo "checksum mismatch for $dest/$f" >&2
    exit 1
  fi
done
echo "standard images written to $dest"
