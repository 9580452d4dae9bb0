"""Tests of the workshop versions written by strip_text.py: they are up to date, the presenter
version follows the Python workshop's stripped notebook section by section, and the user
version keeps exactly the `render-all` code cells.

    kernel-setup/.venv/bin/python -m unittest discover -s kernel-setup -p 'test_versions.py'
"""

import re
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import strip_text  # noqa: E402

ROOT = strip_text.ROOT
PYTHON = ROOT.parent / "shared" / "tutorial" / "introduction-python.md"
FULL = strip_text.NOTEBOOKS / "introduction.md"


def sections(text):
    """[(heading, [code cell text, ...])] for each `## ` section of a MyST notebook."""
    out = []
    for kind, body in strip_text.blocks(text):
        if kind == "heading" and body.startswith("## "):
            out.append((body[3:].strip(), []))
        elif kind == "code" and out:
            out[-1][1].append(body)
    return out


def normalise(title):
    # the Python notebook's heading has a typo ("sensitivies")
    return title.lower().replace("sensitivies", "sensitivities")


def structure_problems(presenter, python):
    """Why the presenter version does not follow the Python stripped notebook (empty when
    it does): same sections in the same order, at least as many code cells in each section,
    and at least as many `render-all` cells."""
    found = []
    ours, theirs = sections(presenter), sections(python)
    if [normalise(t) for t, _ in ours] != [normalise(t) for t, _ in theirs]:
        found.append(f"sections {[t for t, _ in ours]} != {[t for t, _ in theirs]}")
        return found
    for (title, rust), (_, py) in zip(ours, theirs):
        if len(rust) < len(py):
            found.append(f"{title}: {len(rust)} code cells for Python's {len(py)}")
        n_all = sum(map(strip_text.is_render_all_cell, rust))
        n_py_all = sum(map(strip_text.is_render_all_cell, py))
        if n_all < n_py_all:
            found.append(f"{title}: {n_all} render-all cells for Python's {n_py_all}")
    return found


def code_cells(text):
    return [body for kind, body in strip_text.blocks(text) if kind == "code"]


class Versions(unittest.TestCase):
    def setUp(self):
        self.full = FULL.read_text(encoding="utf-8")
        self.written = strip_text.outputs("introduction.md")
        self.users = next(t for p, t in self.written.items() if p.parent.name == "users")
        self.presenters = next(t for p, t in self.written.items() if p.parent.name == "presenters")

    def test_generated_files_are_up_to_date(self):
        for path, text in self.written.items():
            self.assertTrue(path.exists(), f"{path} missing: run python kernel-setup/strip_text.py")
            self.assertEqual(
                path.read_text(encoding="utf-8"), text, f"{path} is stale: run python kernel-setup/strip_text.py"
            )

    @unittest.skipUnless(PYTHON.exists(), f"{PYTHON} not found")
    def test_presenter_version_follows_the_python_workshop(self):
        python = PYTHON.read_text(encoding="utf-8")
        self.assertEqual(structure_problems(self.presenters, python), [])
        self.assertEqual(len(sections(python)), 6)

    @unittest.skipUnless(PYTHON.exists(), f"{PYTHON} not found")
    def test_structure_check_fails_on_a_missing_cell_or_section(self):
        python = PYTHON.read_text(encoding="utf-8")
        # drop the last code cell of the "A more complex model" section
        secs = sections(self.presenters)
        cell = dict(secs)["A more complex model"][-1]
        fewer = self.presenters.replace(cell, "", 1)
        self.assertTrue(any("A more complex model: 4 code cells" in p for p in structure_problems(fewer, python)))
        renamed = self.presenters.replace("## A more complex model", "## Another model")
        self.assertTrue(structure_problems(renamed, python))

    def test_presenter_version_has_every_code_cell_and_no_explanation(self):
        full_cells = code_cells(self.full)
        self.assertEqual(len(code_cells(self.presenters)), len(full_cells))
        self.assertNotIn("Why does the model metamer look", self.presenters)  # a question
        self.assertIn("The Gaussian model output is a blurred version of the input", self.presenters)
        self.assertNotIn("<div", self.presenters)

    def test_user_version_keeps_only_render_all_cells(self):
        full_cells = code_cells(self.full)
        user_cells = code_cells(self.users)
        self.assertEqual(len(user_cells), len(full_cells))
        kept = 0
        for full, user in zip(full_cells, user_cells):
            if strip_text.is_render_all_cell(full):
                self.assertEqual(user, full.replace('path = ".." }', 'path = "../.." }'))
                kept += 1
            else:
                self.assertEqual(user, strip_text.EMPTY_CELL)
        self.assertEqual(kept, 5)
        # the dep path reaches the crate from notebooks/users/
        self.assertIn(':dep plenoptic = { path = "../.." }', self.users)
        self.assertNotIn("render-presenter", self.users)
        self.assertNotIn("only greyer", self.users)  # a presenter-only talking point

    def test_headings_are_kept_in_both(self):
        headings = re.findall(r"^#+ .*$", self.full, re.MULTILINE)
        code_free = [h for h in headings if not h.startswith("#[")]
        for text in (self.users, self.presenters):
            self.assertEqual(re.findall(r"^#{1,2} .*$", text, re.MULTILINE), code_free)

    def test_unclosed_block_is_an_error(self):
        with self.assertRaises(ValueError):
            strip_text.blocks("# t\n\n```{code-cell}\nlet x = 1;\n")


if __name__ == "__main__":
    unittest.main()
