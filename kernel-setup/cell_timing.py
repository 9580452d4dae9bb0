"""Splits a notebook cell's wall time into evcxr's compile time and the run time, and
summarises a run's timings (kernel-setup/notebook-bench.sh prints the summary).

evcxr 0.22's Jupyter kernel reports no phases (`:timing` gives one total per cell, and
`:time_passes` needs a nightly compiler), so the split comes from the build folder: evcxr
compiles each cell into a shared library, `libcode_<N>.so` in its build folder, and runs
it as soon as it is built. The modification time of the newest such library written
during the cell is the end of the compile:

    compile = (library written) - (cell started)   evcxr's analysis, cargo, rustc, link
    run     = (cell finished)   - (library written) loading it and running the code

and the compile splits at the moment evcxr writes the cell's source, `src/lib.rs`, for
cargo (after its own analysis of the cell with rust-analyzer, which finds the types of
the cell's variables):

    analysis = (source written) - (cell started)
    build    = (library written) - (source written)  cargo, rustc and the linker

A cell that builds nothing (only `:dep` or `use` lines evcxr handles without a build) has
compile 0 and run = its wall time.

    python kernel-setup/cell_timing.py times.json [top]   # summary of a saved run
"""

import json
import os
import sys
from pathlib import Path

LIBRARY_GLOB = "target/*/debug/libcode_*.so"
SOURCE = "src/lib.rs"


def kernel_build_dirs(client):
    """The evcxr build folder(s) a running kernel compiles in: its EVCXR_TMPDIR, read from
    /proc (evcxr-kernel.sh picks a free slot per kernel), or every slot of
    PLENOPTIC_EVCXR_DIR when the kernel's environment cannot be read."""
    try:
        pid = client.km.provisioner.process.pid
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        for entry in env:
            if entry.startswith(b"EVCXR_TMPDIR="):
                return [Path(entry.split(b"=", 1)[1].decode())]
    except (AttributeError, OSError, UnicodeDecodeError):
        pass
    base = os.environ.get("PLENOPTIC_EVCXR_DIR")
    return sorted(Path(base).glob("slot*")) if base else []


def last_build_time(dirs, since, until):
    """The latest modification time (epoch seconds) of a cell library in `dirs` written
    within [since, until], or None when the cell built none."""
    best = None
    for d in dirs:
        for lib in Path(d).glob(LIBRARY_GLOB):
            try:
                t = lib.stat().st_mtime
            except OSError:  # evcxr renames libraries as it goes
                continue
            if since <= t <= until and (best is None or t > best):
                best = t
    return best


def last_source_time(dirs, since, until):
    """The latest modification time of a build folder's `src/lib.rs` within [since,
    until], or None."""
    times = []
    for d in dirs:
        try:
            times.append((Path(d) / SOURCE).stat().st_mtime)
        except OSError:
            pass
    times = [t for t in times if since <= t <= until]
    return max(times) if times else None


def split(start, end, built):
    """(compile, run) seconds of a cell that ran from `start` to `end` (epoch seconds) and
    whose library was written at `built` (None: nothing was built). Clamped so that the
    two add up to the wall time."""
    wall = max(end - start, 0.0)
    if built is None:
        return 0.0, wall
    compile_s = min(max(built - start, 0.0), wall)
    return compile_s, wall - compile_s


def record(label, start, end, built, source=None):
    """One cell's timing as saved in the JSON file: wall, compile and run seconds, and the
    compile's analysis part (before `source` was written; 0 when unknown)."""
    compile_s, run_s = split(start, end, built)
    analysis = 0.0
    if built is not None and source is not None and source <= built:
        analysis = min(max(source - start, 0.0), compile_s)
    return {"cell": label, "wall": end - start, "compile": compile_s, "run": run_s, "analysis": analysis}


def measure(label, dirs, start, end):
    """`record` of a cell that ran from `start` to `end` in a kernel building in `dirs`."""
    built = last_build_time(dirs, start, end)
    source = last_source_time(dirs, start, built) if built is not None else None
    return record(label, start, end, built, source)


def summary(cells, top=5):
    """Text summary of a list of `record`s: totals, then the `top` slowest cells by wall
    time, by compile time and by run time."""
    wall = sum(c["wall"] for c in cells)
    comp = sum(c["compile"] for c in cells)
    ana = sum(c.get("analysis", 0.0) for c in cells)
    lines = [
        f"cells: {len(cells)}   wall {wall:.1f} s = compile {comp:.1f} s + run {wall - comp:.1f} s",
        f"compile = evcxr's analysis {ana:.1f} s + build (cargo, rustc, link) {comp - ana:.1f} s",
        f"cells over 1.5 s: {sum(c['wall'] > 1.5 for c in cells)}; "
        f"cells compiling over 1.5 s: {sum(c['compile'] > 1.5 for c in cells)}",
    ]
    for key in ("wall", "compile", "run"):
        lines.append(f"slowest {top} by {key}:   wall  compile (analysis)    run  cell")
        ranked = sorted(enumerate(cells, 1), key=lambda ic: -ic[1][key])[:top]
        for n, c in ranked:
            lines.append(
                f"  [{n:2d}] {c['wall']:7.2f} {c['compile']:7.2f} ({c.get('analysis', 0.0):6.2f}) "
                f"{c['run']:7.2f}  {c['cell']}"
            )
    return "\n".join(lines)


def main(args):
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    cells = json.loads(Path(args[0]).read_text())
    print(summary(cells, int(args[1]) if len(args) > 1 else 5))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
