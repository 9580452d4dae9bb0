"""Executes the MyST notebooks headless with the `rust` kernel and writes, for each,
notebooks/_build/<name>.ipynb and a self-contained notebooks/_build/<name>.html (pictures
inline as data URIs). Stops a notebook at its first failing cell and exits 1 when any
notebook fails; see check_outputs.py for what counts as failing (evcxr reports panics and
`?` errors as success).

    python kernel-setup/run_notebooks.py [notebooks/introduction.md ...]

Without arguments: every notebooks/*.md. Cells run in the notebook's folder (as in
JupyterLab), so `:dep plenoptic = { path = ".." }` in notebooks/ finds the crate. Prints one line per cell
with its wall time split into evcxr's compile and the run (cell_timing.py), then a table
of time per section (## heading); the per-cell split goes to notebooks/_build/<name>.times.json.
Environment: NOTEBOOK_CELL_TIMEOUT (seconds per cell, default 1800: the first cell of a
cold run compiles the crate and its dependencies), NOTEBOOK_BUILD_DIR (default
notebooks/_build).
"""

import datetime as dt
import json
import os
import queue
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbconvert import HTMLExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_outputs import problems  # noqa: E402
import cell_timing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = Path(os.environ.get("NOTEBOOK_BUILD_DIR", NOTEBOOKS / "_build"))
FLUSH_TAG = "run-notebooks-flush"
# cells for the learner to complete (exercises) are not executed
SKIP_TAG = "skip-execution"
# evcxr delivers stderr asynchronously; this extra cell gives a last cell's stderr time to
# arrive so that it is checked. It is removed from the saved notebook when it has no output.
FLUSH_SOURCE = "std::thread::sleep(std::time::Duration::from_millis(500));"
# How long the kernel must stay quiet after a cell before the next one starts (seconds).
QUIET = 0.1


def drain_late_output(client, cell):
    """Collects output that arrived after a cell's "idle" message and appends it to the cell.

    evcxr forwards the program's stdout/stderr from a separate thread and labels each line
    with the latest execution request. A line that arrives after a cell finished but
    before the next request carries the finished cell's label, and nbclient, which only
    listens for the running cell, would drop it: a panic message could vanish."""
    get = run_sync(client.kc.get_iopub_msg)
    while True:
        try:
            msg = get(timeout=QUIET)
        except queue.Empty:
            return
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            cell.outputs.append(nbformat.v4.new_output("stream", name=content["name"], text=content["text"]))
        elif kind == "error":
            cell.outputs.append(nbformat.v4.new_output("error", **{k: content[k] for k in ("ename", "evalue", "traceback")}))
        elif kind in ("display_data", "execute_result"):
            cell.outputs.append(nbformat.v4.new_output("display_data", data=content.get("data", {}), metadata=content.get("metadata", {})))


def collapse_carriage_returns(nb):
    """Applies `\r` in stream outputs as a notebook front-end shows it: a progress line
    redrawn in place keeps only its last state (the HTML would otherwise show every
    update side by side)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and "\r" in out.get("text", ""):
                lines = out["text"].split("\n")
                out["text"] = "\n".join(
                    next((p for p in reversed(line.split("\r")) if p), "") for line in lines
                )


def _stamp(value):
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def cell_seconds(cell):
    """Wall time of an executed cell from the timing nbclient records in its metadata."""
    ex = cell.get("metadata", {}).get("execution", {})
    try:
        return (_stamp(ex["shell.execute_reply"]) - _stamp(ex["iopub.execute_input"])).total_seconds()
    except KeyError:
        return None


def section_times(nb):
    """(section title, seconds) in order, a section being the cells under a `#`/`##` heading."""
    sections, title, total = [], "(before the first heading)", 0.0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heads = [l for l in cell.source.splitlines() if l.startswith(("# ", "## "))]
            if heads:
                if total or sections:
                    sections.append((title, total))
                title, total = heads[-1].lstrip("# ").strip(), 0.0
        elif cell.cell_type == "code":
            total += cell_seconds(cell) or 0.0
    sections.append((title, total))
    return [(t, s) for t, s in sections if s > 0 or t != "(before the first heading)"]


def first_line(cell):
    return next((l for l in cell.source.splitlines() if l.strip()), "")[:60]


def run(path, timeout=1800):
    """Executes one notebook; returns (problems, html path, executed notebook), problems
    being check_outputs.problems' list (empty when the notebook ran cleanly)."""
    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {}).update(name="rust", display_name="Rust", language="rust")
    flush = nbformat.v4.new_code_cell(FLUSH_SOURCE, metadata={"tags": [FLUSH_TAG]})
    nb.cells.append(flush)
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=timeout,
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    code = [c for c in nb.cells if c.cell_type == "code"]
    found = []
    times = []
    start = time.monotonic()
    with client.setup_kernel():
        build_dirs = cell_timing.kernel_build_dirs(client)
        n = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            n += 1
            if SKIP_TAG in cell.metadata.get("tags", []):
                # a cell for the learner to complete (as myst-nb skips it)
                print(f"  [{n:2d}/{len(code)}] skipped  {first_line(cell)}", flush=True)
                continue
            try:
                t0 = time.time()
                client.execute_cell(cell, index)
                t1 = time.time()
                drain_late_output(client, cell)
            except Exception as e:  # timeout, dead kernel: report it with the rest
                found = [(n, first_line(cell), f"{type(e).__name__}: {e}")]
                break
            secs = cell_seconds(cell)
            label = "(flush)" if cell is flush else first_line(cell)
            timing = cell_timing.measure(label, build_dirs, t0, t1)
            if cell is not flush:
                times.append(timing)
            print(
                f"  [{n:2d}/{len(code)}] {secs or 0:7.2f} s  (compile {timing['compile']:5.2f} = "
                f"analysis {timing['analysis']:5.2f} + build, run {timing['run']:5.2f})  {label}",
                flush=True,
            )
            found = problems(nb)
            if found:
                # let late stderr of this cell arrive, then stop this notebook
                if cell is not flush:
                    client.execute_cell(flush, len(nb.cells) - 1)
                    drain_late_output(client, flush)
                    found = problems(nb)
                break
    total = time.monotonic() - start
    if not flush.outputs:
        nb.cells.remove(flush)
    collapse_carriage_returns(nb)
    BUILD.mkdir(parents=True, exist_ok=True)
    out_nb = BUILD / (Path(path).stem + ".ipynb")
    nbformat.write(nb, out_nb)
    html, _ = HTMLExporter(template_name="lab", embed_images=True).from_notebook_node(nb)
    out_html = BUILD / (Path(path).stem + ".html")
    out_html.write_text(html, encoding="utf-8")
    out_times = BUILD / (Path(path).stem + ".times.json")
    out_times.write_text(json.dumps(times, indent=1), encoding="utf-8")
    print(f"  {path}: {total:.1f} s in all")
    for title, secs in section_times(nb):
        print(f"    {secs:7.1f} s  {title}")
    for cell_no, src, msg in found:
        print(f"FAILED {path}: code cell {cell_no} ({src!r}): {msg}", file=sys.stderr)
    print(f"  executed notebook: {out_nb}")
    print(f"  HTML: {out_html}")
    print(f"  cell timings: {out_times} (python kernel-setup/cell_timing.py {out_times})")
    return found, out_html, nb


def main(args):
    paths = [Path(a).resolve() for a in args] or sorted(NOTEBOOKS.glob("*.md"))
    if not paths:
        print(f"no notebooks in {NOTEBOOKS}", file=sys.stderr)
        return 2
    timeout = int(os.environ.get("NOTEBOOK_CELL_TIMEOUT", "1800"))
    failed = []
    for p in paths:
        print(f"== {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}", flush=True)
        found, _, _ = run(p, timeout)
        if found:
            failed.append(p.name)
    if failed:
        print(f"notebooks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all {len(paths)} notebooks ran without errors, panics or stderr output")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
