"""The course's notebooks as files: find them, check how they were stored, re-execute them.

Stored outputs are what nbval compares against, so a notebook must be saved after a
clean top-to-bottom run: ``execution_count`` 1..n over its code cells, outputs kept.
``ganlab run-notebooks`` (``make notebooks``) produces exactly that under the quick
budget on the CPU.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from . import _checks
from .colab import SETUP_CELL

__all__ = ["course_notebooks", "execute", "execution_problems", "full_budget_prelude", "run_all",
           "run_notebook"]


def course_notebooks(folder: str | os.PathLike = "notebooks") -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` in ``folder``, in course order.

    Parameters
    ----------
    folder : str or path-like, default "notebooks"
        The folder to look in (not searched recursively).

    Returns
    -------
    list of pathlib.Path
        The notebooks whose names start with two digits and an underscore, sorted.

    Raises
    ------
    TypeError
        ``folder`` is not a str or path.
    FileNotFoundError
        ``folder`` is not an existing folder.
    """
    folder = _checks.existing_path("folder", folder, folder=True)
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def execution_problems(nb) -> list[str]:
    """What is wrong with how ``nb`` (an nbformat node) was stored; empty when it is fine.

    A notebook is stored right after a clean top-to-bottom run: its first code cell is
    ``ganlab.colab.SETUP_CELL``, its code cells have ``execution_count`` 1..n, and no cell
    stored an error output.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, as ``nbformat.read`` returns it.

    Returns
    -------
    list of str
        One line per problem (only the first out-of-order ``execution_count`` is named);
        ``["has no code cells"]`` for a notebook without code.

    Raises
    ------
    TypeError
        ``nb`` is not a notebook node.
    """
    _checks.notebook("nb", nb)
    problems = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code:
        return ["has no code cells"]
    if code[0].source != SETUP_CELL:
        problems.append("first code cell is not ganlab.colab.SETUP_CELL (run `make notebooks`)")
    for expected, cell in enumerate(code, start=1):
        if cell.execution_count != expected:
            problems.append(
                f"code cell {expected} has execution_count {cell.execution_count}, expected "
                f"{expected} (re-run the notebook top to bottom)"
            )
            break
    for i, cell in enumerate(code, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"code cell {i} stored an error: {out.get('ename')}")
    return problems


def full_budget_prelude(cut: int) -> str:
    """Code for a cell that runs a notebook's full-budget branches at ``1/cut`` of their length.

    The cell is put before a notebook's setup cell so that, run under
    ``GANLAB_BUDGET=full``, the notebook takes every full branch at ``1/cut`` of its length.
    ``pick``'s full values of 1,000 or more (the step counts) are divided by ``cut`` (at least
    10); widths, rates and data stay full. The notebook's asserts are removed: its claims are
    about the real training lengths. Used by ``tests/test_full_budget.py`` (every full path
    runs) and ``scripts/estimate_full_budget.py`` (what the full budget costs).

    Parameters
    ----------
    cut : int
        The factor by which step counts are divided.

    Returns
    -------
    str
        The cell's Python source (it needs an IPython kernel: it registers an AST
        transformer with ``get_ipython()``).

    Raises
    ------
    ValueError
        ``cut`` is not a positive int.
    """
    _checks.positive_int("cut", cut)
    return f'''
import ast
import ganlab
import ganlab.runtime

_pick = ganlab.runtime.pick


def _cut_pick(*, quick, full):  # the full branch, with step counts (>= 1,000) cut {cut}-fold
    value = _pick(quick=quick, full=full)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1000:
        return max(value // {cut}, 10)
    return value


ganlab.pick = ganlab.runtime.pick = _cut_pick


class _WithoutAsserts(ast.NodeTransformer):  # the claims hold at full length, not here
    def visit_Assert(self, node):
        return ast.Pass()


get_ipython().ast_transformers.append(_WithoutAsserts())
'''


def execute(nb, folder: Path, *, timeout: int = 600, allow_errors: bool = False) -> None:
    """Run every cell of notebook ``nb`` (an nbformat node) in a fresh kernel, in ``folder``.

    The outputs are written into ``nb`` itself (``nbclient``, kernel ``python3``).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, changed in place.
    folder : pathlib.Path
        The kernel's working directory.
    timeout : int, default 600
        Seconds allowed per cell.
    allow_errors : bool, default False
        Keep running after a cell raises (the error is stored as its output) instead of
        stopping with ``nbclient``'s error.
    """
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(folder)}}).execute()


def run_notebook(path: Path, *, timeout: int = 600,
                 prepare: Callable[[object], object] | None = None) -> float:
    """Re-execute ``path`` in place under the quick budget on the CPU; return seconds taken.

    The first code cell is replaced by ``ganlab.colab.SETUP_CELL``, the notebook runs with
    ``GANLAB_BUDGET=quick`` and ``GANLAB_DEVICE=cpu`` (the two variables are restored
    afterwards, also on error) and is written back over ``path`` with its outputs.

    Parameters
    ----------
    path : pathlib.Path
        The notebook file.
    timeout : int, default 600
        Seconds allowed per cell.
    prepare : callable, optional
        ``prepare(nb)``, when given, edits the notebook node in place before it runs (the
        CLI passes ``grading.nbgrader_metadata`` so exercise cells stay marked for nbgrader;
        this module does not import the grading code, which depends on it).

    Returns
    -------
    float
        The seconds the execution took (wall clock).

    Raises
    ------
    TypeError
        ``prepare`` is neither callable nor None, or ``path`` is not a str or path.
    FileNotFoundError
        ``path`` does not exist.
    """
    import nbformat

    if prepare is not None and not callable(prepare):
        raise TypeError(f"prepare must be callable or None, got {type(prepare).__name__}")
    nb = nbformat.read(_checks.existing_path("path", path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code:
        code[0].source = SETUP_CELL
    if prepare is not None:
        prepare(nb)
    env_before = {k: os.environ.get(k) for k in ("GANLAB_BUDGET", "GANLAB_DEVICE")}
    os.environ.update(GANLAB_BUDGET="quick", GANLAB_DEVICE="cpu")
    try:
        start = time.perf_counter()
        execute(nb, path.parent, timeout=timeout)
        seconds = time.perf_counter() - start
    finally:
        for key, value in env_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nbformat.write(nb, path)
    return seconds


def run_all(paths: Iterable[Path], *,
            prepare: Callable[[object], object] | None = None) -> dict[Path, float]:
    """Run each notebook in turn (``run_notebook``, same ``prepare``), printing its time.

    Parameters
    ----------
    paths : iterable of pathlib.Path
        The notebooks, run in this order.
    prepare : callable, optional
        Passed to :func:`run_notebook` for each notebook.

    Returns
    -------
    dict of pathlib.Path to float
        The seconds each notebook took.
    """
    times = {}
    for path in paths:
        times[path] = run_notebook(path, prepare=prepare)
        print(f"{path.name}: {times[path]:.1f} s", flush=True)
    return times
