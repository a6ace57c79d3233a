"""The ``full`` budget's code paths, executed at tiny scale.

Under ``GANLAB_BUDGET=full`` the notebooks take other branches than the stored quick run: longer
training with other widths and rates, full MNIST through ``mnist("auto")`` (offline here, so
the fallback to the shipped digits), and ``reference.obtain`` retraining every reference recipe
live instead of loading it. nbval never runs those branches, so each notebook that has them is
executed here under ``full`` with its step counts cut 250-fold (``pick``'s full values of
1,000 or more; widths, rates and data stay full), the reference retraining cut to 2 steps per
phase, and the notebook's asserts removed (its claims are about the real training lengths).
What is checked is that every cell runs: shapes, names, arguments and files on the full path.

These executions take about 8 minutes on 2 CPU cores, too long for ``make test``'s 15-minute
budget beside nbval, so they carry the ``full_budget`` mark: ``make unit`` leaves them out,
``make test-full`` runs them, and ``.ci/run`` runs both targets.
"""

from pathlib import Path

import nbformat
import pytest

from ganlab.notebooks import course_notebooks, execute, full_budget_prelude

ROOT = Path(__file__).resolve().parents[1]
FULL_ONLY = ("pick(", "budget()", "obtain(")

TINY = full_budget_prelude(250) + '''
import ganlab.reference

_fit = ganlab.reference.fit


def _tiny_reference_fit(*args, steps, **kwargs):  # reference.obtain's retraining: 2 steps
    return _fit(*args, steps=min(steps, 2), **kwargs)


ganlab.reference.fit = _tiny_reference_fit
'''


def _has_full_path(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(marker in cell.source for cell in nb.cells if cell.cell_type == "code"
               for marker in FULL_ONLY)


WITH_FULL_PATH = [p for p in course_notebooks(ROOT / "notebooks") if _has_full_path(p)]


def test_the_notebooks_with_full_only_code_are_found():
    names = {p.name[:2] for p in WITH_FULL_PATH}
    assert {"00", "04", "05", "06", "07", "08"} <= names


@pytest.mark.full_budget
@pytest.mark.parametrize("path", WITH_FULL_PATH, ids=lambda p: p.name)
def test_full_budget_path_runs(path, monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_BUDGET", "full")
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    monkeypatch.setenv("HOME", str(tmp_path))   # torchvision's MNIST cache: not the user's
    nb = nbformat.read(path, as_version=4)
    nb.cells[1:1] = [nbformat.v4.new_code_cell(TINY),       # after the title, before setup
                     nbformat.v4.new_code_cell('assert False, "asserts are still on"')]
    execute(nb, path.parent, timeout=300)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "budget 'full'" in text or path.name[:2] != "00"   # the full branch was taken
    uses_mnist = any('mnist("shipped" if ganlab.budget()' in c.source for c in nb.cells)
    assert not uses_mnist or "using the shipped 5,000-digit subset" in text
