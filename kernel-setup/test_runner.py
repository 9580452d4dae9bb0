"""Tests of the headless notebook runner and its output scanner.

    kernel-setup/.venv/bin/python -m unittest discover -s kernel-setup -p 'test_*.py'

The scanner tests need no kernel. The runner tests execute the small notebooks in
selftest/ with the `rust` kernel (a few seconds each once set up): each "must fail"
notebook must fail with the expected message, and ok.md must pass with its picture inline
in the HTML.
"""

import contextlib
import io
import json
import os
import tempfile
import unittest
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

import check_outputs

HERE = Path(__file__).resolve().parent


def notebook(*outputs_per_cell):
    nb = new_notebook()
    for outputs in outputs_per_cell:
        cell = new_code_cell("let x = 1;")
        cell.outputs = list(outputs)
        nb.cells.append(cell)
    return nb


def stream(name, text):
    return new_output("stream", name=name, text=text)


class ScannerTest(unittest.TestCase):
    def test_clean_outputs_pass(self):
        nb = notebook(
            [stream("stdout", "loss 0.1\n")],
            [new_output("execute_result", data={"text/plain": "[1, 1, 256, 256]"}, execution_count=2)],
            [new_output("display_data", data={"image/png": "iVBORw0KGgo="})],
            [stream("stderr", "  \n")],  # blank stderr is not an error
        )
        self.assertEqual(check_outputs.problems(nb), [])

    def test_error_output_fails(self):
        nb = notebook([], [new_output("error", ename="Error", evalue="mismatched types", traceback=[])])
        found = check_outputs.problems(nb)
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0][0], 2)
        self.assertIn("mismatched types", found[0][2])

    def test_stderr_fails_once_per_cell(self):
        nb = notebook([stream("stderr", "thread panicked at src/lib.rs:1:1:\n"), stream("stderr", "boom\n")])
        found = check_outputs.problems(nb)
        self.assertEqual(len(found), 1)
        self.assertIn("boom", found[0][2])

    def test_panic_text_on_stdout_fails(self):
        nb = notebook([stream("stdout", "thread 'main' panicked at x.rs:3:5\n")])
        self.assertEqual(len(check_outputs.problems(nb)), 1)

    def test_check_file_exit_code(self):
        with tempfile.TemporaryDirectory() as d:
            good, bad = Path(d, "good.ipynb"), Path(d, "bad.ipynb")
            nbformat.write(notebook([stream("stdout", "ok\n")]), good)
            nbformat.write(notebook([stream("stderr", "invalid `std`: -1 must be positive\n")]), bad)
            report = io.StringIO()
            with contextlib.redirect_stderr(report):
                self.assertEqual(check_outputs.main([str(good)]), 0)
                self.assertEqual(check_outputs.main([str(good), str(bad)]), 1)
            self.assertIn("bad.ipynb: code cell 1", report.getvalue())
            self.assertNotIn("good.ipynb", report.getvalue())


class CarriageReturnTest(unittest.TestCase):
    def test_progress_line_keeps_its_last_state(self):
        import run_notebooks

        nb = notebook([stream("stdout", "\rit 10 | loss 1e-3\rit 20 | loss 1e-4   \ndone\n")])
        run_notebooks.collapse_carriage_returns(nb)
        self.assertEqual(nb.cells[0].outputs[0].text, "it 20 | loss 1e-4   \ndone\n")

    def test_text_without_carriage_returns_is_unchanged(self):
        import run_notebooks

        nb = notebook([stream("stdout", "a\nb\n")])
        run_notebooks.collapse_carriage_returns(nb)
        self.assertEqual(nb.cells[0].outputs[0].text, "a\nb\n")


class CellTimingTest(unittest.TestCase):
    """The compile/run split of cell_timing.py, on a fake evcxr build folder whose
    library and source files get chosen modification times."""

    def setUp(self):
        import cell_timing

        self.ct = cell_timing
        self.tmp = tempfile.TemporaryDirectory()
        self.slot = Path(self.tmp.name, "slot0")
        (self.slot / "src").mkdir(parents=True)
        (self.slot / "target/x86_64-unknown-linux-gnu/debug").mkdir(parents=True)

    def tearDown(self):
        self.tmp.cleanup()

    def touch(self, rel, t):
        path = self.slot / rel
        path.write_bytes(b"")
        os.utime(path, (t, t))

    def test_split_adds_up_to_the_wall_time(self):
        self.assertEqual(self.ct.split(100.0, 103.0, 102.5), (2.5, 0.5))
        self.assertEqual(self.ct.split(100.0, 103.0, None), (0.0, 3.0))  # nothing built
        # a library time outside the cell (clock skew) is clamped into it
        self.assertEqual(self.ct.split(100.0, 103.0, 99.0), (0.0, 3.0))
        self.assertEqual(self.ct.split(100.0, 103.0, 104.0), (3.0, 0.0))

    def test_the_newest_library_of_the_cell_ends_the_compile(self):
        lib = "target/x86_64-unknown-linux-gnu/debug/libcode_{}.so"
        self.touch(lib.format(3), 90.0)  # an earlier cell's
        self.touch(lib.format(4), 101.0)  # a first try of this cell
        self.touch(lib.format(5), 102.0)  # the library that ran
        self.touch("src/lib.rs", 101.5)
        rec = self.ct.measure("let x = 1;", [self.slot], 100.0, 104.0)
        self.assertEqual(rec["cell"], "let x = 1;")
        self.assertAlmostEqual(rec["wall"], 4.0)
        self.assertAlmostEqual(rec["compile"], 2.0)
        self.assertAlmostEqual(rec["run"], 2.0)
        self.assertAlmostEqual(rec["analysis"], 1.5)

    def test_a_cell_that_builds_nothing_only_runs(self):
        self.touch("target/x86_64-unknown-linux-gnu/debug/libcode_1.so", 50.0)
        rec = self.ct.measure(":dep x", [self.slot], 100.0, 100.5)
        self.assertEqual((rec["compile"], rec["analysis"]), (0.0, 0.0))
        self.assertAlmostEqual(rec["run"], 0.5)

    def test_summary_totals_and_ranks(self):
        cells = [
            self.ct.record("a", 0.0, 2.0, 1.5, 0.5),
            self.ct.record("b", 0.0, 10.0, 1.0, 0.2),
            self.ct.record("c", 0.0, 3.0, 2.9, 0.1),
        ]
        text = self.ct.summary(cells, top=2)
        self.assertIn("wall 15.0 s = compile 5.4 s + run 9.6 s", text)
        self.assertIn("analysis 0.8 s + build (cargo, rustc, link) 4.6 s", text)
        self.assertIn("cells over 1.5 s: 3; cells compiling over 1.5 s: 1", text)
        by_compile = text.split("by compile")[1].splitlines()[1:3]
        self.assertIn("c", by_compile[0].split()[-1])
        self.assertIn("a", by_compile[1].split()[-1])
        by_run = text.split("by run")[1].splitlines()[1]
        self.assertEqual(by_run.split()[-1], "b")


class RunnerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        os.environ["NOTEBOOK_BUILD_DIR"] = cls.tmp.name
        import run_notebooks

        run_notebooks.BUILD = Path(cls.tmp.name)
        cls.run_notebooks = run_notebooks

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_quietly(self, name):
        """Runs a selftest notebook; its report (with the FAILED lines that the "must
        fail" notebooks are meant to produce) is kept out of the test log."""
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return self.run_notebooks.run(HERE / "selftest" / name, timeout=600)

    def expect_failure(self, name, text):
        found, _, nb = self.run_quietly(name)
        self.assertTrue(found, f"{name} should fail")
        self.assertIn(text, " ".join(msg for _, _, msg in found))
        # the runner stops at the failing cell: no later cell ran
        self.assertNotIn("not reached", str([c.get("outputs") for c in nb.cells if c.cell_type == "code"]))

    def test_panic_fails(self):
        self.expect_failure("panic.md", "index out of bounds")

    def test_question_mark_error_fails(self):
        self.expect_failure("question_mark.md", "invalid digit")

    def test_compile_error_fails(self):
        self.expect_failure("compile_error.md", "mismatched types")

    def test_stderr_of_last_cell_fails(self):
        self.expect_failure("stderr_last.md", "a warning on stderr")

    def test_settings_and_custom_losses_hold_across_cells(self):
        found, _, nb = self.run_quietly("cross_cell.md")
        self.assertEqual(found, [])
        self.assertIn("custom loss across cells", str([c.get("outputs") for c in nb.cells if c.cell_type == "code"]))

    def test_clean_notebook_passes_with_inline_picture(self):
        found, html, nb = self.run_quietly("ok.md")
        self.assertEqual(found, [])
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        self.assertIn("42", str(outputs))
        self.assertIn('src="data:image/png;base64,iVBORw0KGgo', html.read_text())
        # the flush cell the runner adds is not kept when it has no output; the last cell,
        # tagged skip-execution (an exercise to complete), is kept but not run
        code = [c for c in nb.cells if c.cell_type == "code"]
        self.assertEqual(len(code), 4)
        self.assertIn("skip-execution", code[-1].metadata.tags)
        self.assertEqual(code[-1].outputs, [])
        # every executed cell has its compile/run split, and a cell that computes was compiled
        times = json.loads(Path(self.tmp.name, "ok.times.json").read_text())
        self.assertEqual(len(times), 3)
        for t in times:
            self.assertAlmostEqual(t["compile"] + t["run"], t["wall"], places=6)
        self.assertGreater(times[1]["compile"], 0.0)


if __name__ == "__main__":
    unittest.main()
