"""Stored notebooks are the reference nbval compares against: check how they were stored.

A notebook saved without outputs would pass nbval vacuously, so every code cell of every
course notebook must have been executed in order with its outputs kept, and the first
code cell must be the one Colab set-up cell.
"""

from pathlib import Path

import nbformat
import pytest

from ganlab.colab import SETUP_CELL
from ganlab.notebooks import course_notebooks, execution_problems

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
