"""Scans executed notebooks for failures that Jupyter reports as success.

evcxr answers a panic or a top-level `?` error in a cell with text on stderr and an "ok"
execution status, so a headless run cannot trust the status. A notebook passes only when
no cell has:
  - an `error` output (compile errors, kernel errors),
  - any non-blank text on the `stderr` stream (panics, `?` errors, eprintln!; evcxr can
    deliver it under the cell after the one that wrote it),
  - panic text ("panicked at") anywhere in its outputs.

    python kernel-setup/check_outputs.py notebooks/_build/introduction.ipynb ...

exits 1 and lists every problem (cell number, first source line, what was found).
"""

import sys

import nbformat

PANIC_MARKERS = ("panicked at", "EVCXR_ERROR_OCCURRED")


def _text(value):
    return "".join(value) if isinstance(value, list) else str(value)


def problems(nb):
    """Every problem in an executed notebook, as (cell index, first source line, message)."""
    found = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code_cells, start=1):
        first = next((l for l in cell.source.splitlines() if l.strip()), "")[:70]

        def report(msg, i=i, first=first):
            found.append((i, first, msg))

        stderr = ""
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                detail = f"{out.get('ename', '')}: {out.get('evalue', '')}"
                report(f"error output: {detail.strip()}")
                continue
            texts = []
            if kind == "stream":
                text = _text(out.get("text", ""))
                if out.get("name") == "stderr":
                    stderr += text
                    continue
                texts.append(text)
            for mime, data in out.get("data", {}).items():
                if mime.startswith("text/"):
                    texts.append(_text(data))
            for text in texts:
                for marker in PANIC_MARKERS:
                    if marker in text:
                        report(f"panic text in output: {text.strip()[:300]}")
        if stderr.strip():
            # evcxr forwards stderr asynchronously: it can show up under the next cell
            report(f"stderr (this cell or the one before): {stderr.strip()[:400]!r}")
    return found


def check_file(path):
    """Prints the problems of one notebook file; returns their number."""
    nb = nbformat.read(path, as_version=4)
    found = problems(nb)
    for cell, first, msg in found:
        print(f"{path}: code cell {cell} ({first!r}): {msg}", file=sys.stderr)
    return len(found)


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    bad = sum(check_file(p) for p in paths)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
