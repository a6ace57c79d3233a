"""Stored notebooks are the reference nbval compares against: check how they were stored.

A notebook saved without outputs would pass nbval vacuously, so every code cell of every
course notebook must have been executed in order with its outputs kept, and the first
code cell must be the one Colab set-up cell.
"""

from pathlib import Path

import nbformat
import pytest

from ganlab import reference
from ganlab.colab import SETUP_CELL
from ganlab.notebooks import course_notebooks, execution_problems, full_budget_prelude

NOTEBOOKS = course_notebooks(Path(__file__).resolve().parents[1] / "notebooks")


def test_course_has_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_*.ipynb"
    assert NOTEBOOKS[0].name == "00_start_here.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_after_a_clean_run(path):
    nb = nbformat.read(path, as_version=4)
    assert execution_problems(nb) == []
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "no outputs stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_its_title_and_an_introduction(path):
    # Every lesson opens the same way: "# NN — title", then what it shows and builds on.
    first = nbformat.read(path, as_version=4).cells[0]
    number = path.name[:2]
    assert first.cell_type == "markdown"
    title, _, intro = first.source.partition("\n")
    assert title.startswith(f"# {number} — ") and len(title) > 10, title
    assert len(intro.split()) >= 40, "the introduction is missing or too short"


NBVAL_MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION",
                 "NBVAL_SKIP"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_markers_are_exact(path):
    # nbval only honours a comment line that is exactly the marker: "# NBVAL_IGNORE_OUTPUT
    # (why)" on one line is silently ignored, and the cell's output is compared after all.
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if cell.cell_type == "code" and "NBVAL" in line and line.lstrip().startswith("#"):
                assert line.lstrip("#").strip() in NBVAL_MARKERS, line


def _nb(*sources, counts=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for cell, n in zip(nb.cells, counts or range(1, len(sources) + 1), strict=True):
        cell.execution_count = n
    return nb


def test_execution_problems_finds_unexecuted_and_out_of_order():
    assert execution_problems(_nb(SETUP_CELL, "1")) == []
    assert "execution_count None" in execution_problems(_nb(SETUP_CELL, "1", counts=[1, None]))[0]
    assert "execution_count 3" in execution_problems(_nb(SETUP_CELL, "1", counts=[1, 3]))[0]
    assert "SETUP_CELL" in execution_problems(_nb("import os", "1"))[0]
    assert execution_problems(nbformat.v4.new_notebook()) == ["has no code cells"]


def test_execution_problems_finds_stored_errors():
    nb = _nb(SETUP_CELL, "1 / 0")
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                                  evalue="", traceback=[])]
    assert execution_problems(nb) == ["code cell 2 stored an error: ZeroDivisionError"]


def test_course_notebooks_rejects_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder: no such folder: .*nope"):
        course_notebooks(tmp_path / "nope")


def test_full_budget_prelude_cuts_full_step_counts_and_removes_asserts(monkeypatch):
    import ast

    import ganlab
    import ganlab.runtime

    monkeypatch.setattr(ganlab, "pick", ganlab.runtime.pick)            # restored afterwards
    monkeypatch.setattr(ganlab.runtime, "pick", ganlab.runtime.pick)
    monkeypatch.setenv("GANLAB_BUDGET", "full")
    transformers = []
    shell = type("Shell", (), {"ast_transformers": transformers})()
    exec(full_budget_prelude(25), {"get_ipython": lambda: shell})
    assert ganlab.pick(quick=300, full=5000) == 200                       # a step count, cut
    assert ganlab.runtime.pick(quick=300, full=100) == 100                # small: kept
    assert ganlab.pick(quick=16, full=64) == 64 and ganlab.pick(quick=1e-3, full=2e-3) == 2e-3
    assert ganlab.pick(quick=3, full=1200) == 48 and ganlab.pick(quick=1, full=True) is True
    assert full_budget_prelude(1000).count("max(value // 1000, 10)") == 1
    (strip,) = transformers
    tree = strip.visit(ast.parse("assert False\nx = 1"))
    exec(compile(ast.fix_missing_locations(tree), "<cell>", "exec"), {})  # no AssertionError


@pytest.mark.parametrize("cut", [0, -3, 2.5, "25", True])
def test_full_budget_prelude_rejects_a_bad_cut(cut):
    with pytest.raises((TypeError, ValueError), match="cut"):
        full_budget_prelude(cut)


def test_estimator_help_and_bad_arguments(capsys, tmp_path, load_script):
    script = load_script("estimate_full_budget")
    with pytest.raises(SystemExit) as exit_:
        script.main(["--help"])
    assert exit_.value.code == 0 and "T(c) = a + b / c" in capsys.readouterr().out
    for flags, message in (([str(tmp_path / "missing.ipynb")], "does not exist"),
                           (["--cuts", "25", "25", __file__], "two different positive"),
                           (["--cuts", "0", "25", __file__], "two different positive"),
                           (["--device", "gpu", __file__], "--device"),
                           (["--device", "cuda:7", __file__], "--device")):
        with pytest.raises(SystemExit) as exit_:
            script.main(flags)
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_estimator_extrapolates_a_plus_b_over_c_and_adds_the_recorded_retraining(monkeypatch,
                                                                                  load_script):
    script = load_script("estimate_full_budget")
    refs = [("8gaussians_wgan-gp", 0), ("8gaussians_wgan-gp", 1)]
    monkeypatch.setattr(script, "timed_run", lambda path, cut: (40 + 6000 / cut, refs))
    e = script.estimate(Path("x.ipynb"), (50, 25))
    assert e["fixed_s"] == pytest.approx(40) and e["live_s"] == pytest.approx(6040)
    runs = reference.runs()["8gaussians_wgan-gp"]
    assert e["references"] == 2
    assert e["retrain_s"] == pytest.approx(runs["0"]["wall_seconds"] + runs["1"]["wall_seconds"])


def _full_budget_notebook(tmp_path, monkeypatch, *sources):
    """A titled notebook of code cells ``sources`` in tmp_path, with the budget set to full."""
    monkeypatch.setenv("GANLAB_BUDGET", "full")
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 — a test")]
                                  + [nbformat.v4.new_code_cell(s) for s in sources])
    path = tmp_path / "99_test.ipynb"
    nbformat.write(nb, path)
    return path


def test_estimator_runs_a_notebook_cut_under_full_with_shipped_references(tmp_path, monkeypatch,
                                                                          load_script):
    script = load_script("estimate_full_budget")
    path = _full_budget_notebook(
        tmp_path, monkeypatch,
        "import ganlab\nfrom ganlab import reference\n"
        "if ganlab.pick(quick=1, full=5000) != 100:\n    raise RuntimeError('not cut')\n"
        "G = reference.obtain('8gaussians_wgan-gp', 1)\n"
        "G2 = reference.obtain('8gaussians_wgan-gp', 1)\n"
        "assert False, 'asserts are off'")
    seconds, refs = script.timed_run(path, 50)
    assert seconds > 0 and refs == [("8gaussians_wgan-gp", 1)]


def test_estimator_measures_a_full_length_run_with_asserts_kept(tmp_path, monkeypatch, load_script):
    script = load_script("estimate_full_budget")
    path = _full_budget_notebook(
        tmp_path, monkeypatch,
        "import ganlab\nfrom ganlab import reference\n"
        "assert ganlab.pick(quick=1, full=5000) == 5000, 'cut'\n"
        "G = reference.obtain('8gaussians_wgan-gp', 1)",
        "assert G is None, 'a claim that fails at full length'",
        "print('runs on past the failure')")
    m = script.measure(path, tmp_path / "out")
    assert m["live_s"] > 0 and m["references"] == 1
    assert m["retrain_s"] == reference.runs()["8gaussians_wgan-gp"]["1"]["wall_seconds"]
    assert m["failures"] == ["cell 2: AssertionError: a claim that fails at full length"]
    kept = nbformat.read(tmp_path / "out" / "99_test.ipynb", as_version=4)
    assert kept.cells[-1].outputs[0]["text"] == "runs on past the failure\n"


def test_notebook_helpers_do_not_import_the_grading_code():
    """exercises imports notebooks (to execute learner copies), never the other way round."""
    import ast

    import ganlab.notebooks

    tree = ast.parse(Path(ganlab.notebooks.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names} | {node.module or "" for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    assert not any("exercises" in name for name in imported)


def test_run_notebook_rejects_a_prepare_that_is_not_callable():
    from ganlab.notebooks import run_notebook

    with pytest.raises(TypeError, match="prepare must be callable"):
        run_notebook(Path(__file__).resolve().parents[1] / "notebooks" / "00_start_here.ipynb",
                     prepare="nbgrader")
