"""Writes the workshop's user and presenter versions of a full notebook, as plenoptic's
workshop kit does (its scripts/strip_text.py), for the Rust notebooks.

    python kernel-setup/strip_text.py            # writes the versions of notebooks/introduction.md
    python kernel-setup/strip_text.py --check    # exits 1 if a written version is out of date

The full notebook (notebooks/<name>.md) marks what each version keeps:

- the front matter, every heading and (for presenters) every code cell are always kept;
- `<div class='render-user render-presenter'>` ... `</div>` blocks hold the short talking
  points; each version keeps the blocks whose classes name it (`render-user`,
  `render-presenter`) or `render-all`, without the div lines;
- `:::{admonition}` colon-fence blocks are kept by a version when their `:class:` line names
  it or `render-all` (questions and hints without such a class belong to the full version);
- code cells tagged `render-all` are kept in the user version; every other code cell becomes
  an empty cell to type into;
- all other prose is the full version's explanation and is dropped.

The versions are written to notebooks/users/<name>-users.md and
notebooks/presenters/<name>-presenters.md, one folder further down: `:dep` paths are
rewritten to reach the crate from there. They are not meant to be edited by hand.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FULL = ["introduction.md"]
EMPTY_CELL = "```{code-cell}\n// enter code here\n```"
NOTE = """
{what} It is generated from the full version, `notebooks/{full}`, by
`kernel-setup/strip_text.py`: edit that one, not this."""
WHAT = {
    "users": "The workshop's notebook for attendees: short notes, and most code cells left\n"
    "empty for you to type the code along with the presenter.",
    "presenters": "The workshop's notebook for presenters: all the code and the talking points,\n"
    "without the explanations.",
}


def blocks(text):
    """Splits a MyST notebook into (kind, text) blocks; kind is one of "front", "heading",
    "code", "div", "admonition", "prose". Raises ValueError on an unclosed block."""
    lines = text.split("\n")
    out, i = [], 0

    def until(start, is_end, what):
        for j in range(start + 1, len(lines)):
            if is_end(lines[j]):
                return j
        raise ValueError(f"line {start + 1}: {what} is not closed")

    if lines and lines[0] == "---":
        j = until(0, lambda l: l == "---", "front matter")
        out.append(("front", "\n".join(lines[: j + 1])))
        i = j + 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("```{code-cell}"):
            j = until(i, lambda l: l.startswith("```"), "code cell")
            out.append(("code", "\n".join(lines[i : j + 1])))
        elif re.match(r"<div class=.render", line):
            j = until(i, lambda l: l.strip() == "</div>", "<div>")
            out.append(("div", "\n".join(lines[i : j + 1])))
        elif line.startswith(":::{"):
            j = until(i, lambda l: l.strip() == ":::", "admonition")
            out.append(("admonition", "\n".join(lines[i : j + 1])))
        elif line.startswith("#"):
            j = i
            out.append(("heading", line))
        else:
            j = i
            out.append(("prose", line))
        i = j + 1
    return out


def classes(kind, text):
    """The render classes of a div or an admonition."""
    if kind == "div":
        head = text.split("\n", 1)[0]
    else:
        head = next((l for l in text.split("\n") if l.startswith(":class:")), "")
    return set(re.findall(r"render-(?:user|presenter|all)", head))


def is_render_all_cell(text):
    tags = re.search(r"^:tags:\s*\[(.*)\]", text, re.MULTILINE)
    return bool(tags) and "render-all" in [t.strip() for t in tags.group(1).split(",")]


def version(text, who, full_name):
    """The `who` ("users" or "presenters") version of the full notebook `text`."""
    mark = {"users": "render-user", "presenters": "render-presenter"}[who]
    kept = []
    for kind, body in blocks(text):
        if kind == "front":
            kept.append(body)
        elif kind == "heading":
            kept.append(body)
            if body.startswith("# "):
                kept.append(NOTE.format(full=full_name, what=WHAT[who]).strip("\n"))
        elif kind == "code":
            if who == "presenters" or is_render_all_cell(body):
                kept.append(body.replace('path = ".." }', 'path = "../.." }'))
            else:
                kept.append(EMPTY_CELL)
        elif kind in ("div", "admonition"):
            if classes(kind, body) & {mark, "render-all"}:
                if kind == "div":
                    body = "\n".join(body.split("\n")[1:-1]).strip("\n")
                kept.append(body)
    return "\n\n".join(kept) + "\n"


def outputs(name):
    """{path: text} of the versions of notebooks/<name>."""
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    stem = Path(name).stem
    return {
        NOTEBOOKS / who / f"{stem}-{who}.md": version(text, who, name) for who in ("users", "presenters")
    }


def main(args):
    check = "--check" in args
    stale = []
    for name in FULL:
        for path, text in outputs(name).items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            if check:
                stale.append(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"out of date: {path.relative_to(ROOT)} (run python kernel-setup/strip_text.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
