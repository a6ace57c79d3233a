"""Course tooling for the exercises: learner copies, nbgrader metadata and grading.

Used by ``ganlab exercises build|check`` and ``ganlab run-notebooks``; the checkers themselves
are ``ganlab.exercises``.

``build_learner_copy`` replaces each solution by ``raise NotImplementedError(...)`` and
clears all outputs; ``nbgrader_metadata`` marks answer and check cells for nbgrader;
``grade_notebooks`` / ``check_notebooks`` execute learner copies and report each exercise,
checked by a fresh copy of ``ganlab.exercises`` that an answer cell cannot patch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import _checks, exercises
from .exercises import KNOWN, POINTS

__all__ = ["BEGIN", "END", "STUB", "build_learner_copy", "check_notebooks", "exercises_only",
           "grade_id", "grade_notebooks", "nbgrader_metadata", "restore_checks"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your solution")'


# ------------------------------------------------------- learner copies ---------------------
_CHECK_CALL = re.compile(r"""exercises\.check\(\s*["']([^"']+)["']""")


def _strip_solutions(source: str) -> str:
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a cell opens {BEGIN!r} without {END!r}")
    return "\n".join(out)


def grade_id(exercise_id: str) -> str:
    """nbgrader's name for an exercise's answer cell: the id with "_" for ".".

    nbgrader allows only letters, digits, "_" and "-" in a grade id.

    Parameters
    ----------
    exercise_id : str
        One of ``exercises.KNOWN``, e.g. "07.feature_matching".

    Returns
    -------
    str
        E.g. "07_feature_matching".

    Raises
    ------
    ValueError
        ``exercise_id`` is not a known exercise.
    """
    return _checks.one_of("exercise_id", exercise_id, KNOWN, "the course's exercises"
                          ).replace(".", "_")


def nbgrader_metadata(nb) -> int:
    """Mark each exercise for nbgrader (schema 3), in place; return how many were marked.

    The solution cell (the one with ``### BEGIN SOLUTION``) becomes an autograded answer
    (``solution``, unlocked, grade_id ``grade_id(id)``, e.g. "07_feature_matching"); the
    code cell after it, which calls ``exercises.check``, an autograder test (``grade``,
    locked, grade_id "<grade_id>_check", ``points`` = the checks it makes). Only pairs
    whose second cell makes exactly one ``exercises.check`` call are marked.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The instructor notebook, changed in place.

    Returns
    -------
    int
        The number of exercises marked.

    Raises
    ------
    TypeError
        ``nb`` is not a notebook node.
    ValueError
        A check cell names an unknown exercise.
    """
    _checks.notebook("nb", nb)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    marked = 0
    for answer, test in zip(cells, cells[1:], strict=False):
        ids = _CHECK_CALL.findall(test.source)
        if BEGIN not in answer.source or len(ids) != 1:
            continue
        answer.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id(ids[0]),
                                       "locked": False, "schema_version": 3, "solution": True,
                                       "task": False}
        test.metadata["nbgrader"] = {"grade": True, "grade_id": f"{grade_id(ids[0])}_check",
                                     "locked": True, "points": POINTS[ids[0]],
                                     "schema_version": 3, "solution": False, "task": False}
        marked += 1
    return marked


def build_learner_copy(src: Path, dst: Path) -> int:
    """Write the learner copy of notebook ``src`` to ``dst``; return the number of exercises.

    In every code cell holding a solution, the lines from ``### BEGIN SOLUTION`` to
    ``### END SOLUTION`` are replaced by :data:`STUB` (at the marker's indentation); every
    code cell's outputs and execution count are cleared. ``dst``'s folder is created if
    missing.

    Parameters
    ----------
    src : pathlib.Path
        The instructor notebook.
    dst : pathlib.Path
        Where to write the learner copy (overwritten).

    Returns
    -------
    int
        The number of solution cells replaced.

    Raises
    ------
    TypeError
        ``src`` is not a str or path.
    FileNotFoundError
        ``src`` does not exist.
    ValueError
        A cell opens ``### BEGIN SOLUTION`` without ``### END SOLUTION``.
    """
    import nbformat

    nb = nbformat.read(_checks.existing_path("src", src), as_version=4)
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if BEGIN in cell.source:
            cell.source = _strip_solutions(cell.source)
            n += 1
        cell.outputs = []
        cell.execution_count = None
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return n


def _check_calls(source: str) -> list[tuple[str, str | None]]:
    """(exercise id, source of the object checked) for each ``exercises.check`` call in a
    cell; the object is None where the cell cannot be parsed."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like: the ids alone, from the text
        return [(exercise_id, None) for exercise_id in _CHECK_CALL.findall(source)]
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "check" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and ast.unparse(node.func.value).endswith("exercises"):
            obj = ast.get_source_segment(source, node.args[1]) if len(node.args) > 1 else None
            calls.append((node.lineno, node.col_offset, node.args[0].value, obj))
    return [(exercise_id, obj) for *_, exercise_id, obj in sorted(calls)]


def _defined_names(source: str) -> list[str]:
    """The functions and variables a cell defines at top level, in order."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _grade_meta(cell) -> tuple[str | None, bool]:
    """(exercise id, is the check cell) from a cell's nbgrader metadata; (None, False) if
    the cell carries none of ours."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id", "")
    by_grade_id = {k.replace(".", "_"): k for k in KNOWN}
    if meta.get("grade") and gid.endswith("_check") and gid[:-len("_check")] in by_grade_id:
        return by_grade_id[gid[:-len("_check")]], True
    if meta.get("solution") and gid in by_grade_id:
        return by_grade_id[gid], False
    return None, False


def _canonical(exercise_id: str, obj: str) -> str:
    return f'import ganlab\nganlab.exercises.check("{exercise_id}", {obj})'


def restore_checks(nb):
    """A copy of notebook ``nb`` whose check cells are restored from the course's own form.

    This runs before grading, as nbgrader restores its locked cells: each cell that calls
    ``exercises.check`` (or that nbgrader's metadata marks as a check) becomes exactly
    ``ganlab.exercises.check("<id>", <object>)`` -- a ``try``/``except`` around the call, a
    patched checker or any other code in that cell is dropped. The id is taken from the
    metadata where the cell has it (a renamed id is restored), else from the call. A deleted
    check cell is put back after its answer cell when the answer cell's metadata names the
    exercise and the cell defines the function to check. Restored cells are marked in their
    metadata (``ganlab.check``; ``ganlab.restored`` for one put back). An answer cell (by
    its metadata) is never rewritten.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A learner's notebook; not changed.

    Returns
    -------
    nbformat.NotebookNode
        The restored copy.

    Raises
    ------
    TypeError
        ``nb`` is not a notebook node.
    """
    import copy

    _checks.notebook("nb", nb)
    out = copy.deepcopy(nb)
    cells, checked = [], set()
    answers: dict[str, str] = {}          # exercise id -> the name its answer cell defines
    for cell in out.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        meta_id, is_check = _grade_meta(cell)
        calls = _check_calls(cell.source)
        if meta_id and not is_check:         # an answer cell: never rewritten
            defined = [n for n in _defined_names(cell.source) if not n.startswith("_")]
            if defined:
                answers[meta_id] = defined[-1]
        elif is_check or calls:
            restored = []
            for exercise_id, obj in calls or [(meta_id, None)]:
                exercise_id = meta_id if is_check else exercise_id
                obj = obj or answers.get(exercise_id)
                if obj is None:
                    continue
                restored.append(_canonical(exercise_id, obj))
                checked.add(exercise_id)
                cell.metadata["ganlab"] = {"check": True}
            cell.source = "\n".join(restored) or cell.source
        cells.append(cell)
    for exercise_id, name in answers.items():
        if exercise_id in checked:
            continue
        at = next(i for i, c in enumerate(cells) if _grade_meta(c) == (exercise_id, False))
        import nbformat

        put_back = nbformat.v4.new_code_cell(_canonical(exercise_id, name))
        put_back.metadata["ganlab"] = {"check": True, "restored": True}
        cells.insert(at + 1, put_back)
    out.cells = cells
    return out


def exercises_only(nb):
    """A copy of notebook ``nb`` reduced to what its exercises need.

    The copy holds one cell with every top-level import of the notebook (and
    ``import ganlab``), then each exercise's answer cell and check cell. Grading it takes
    seconds instead of minutes (no training cells). An exercise's answer cell is the
    last code cell before its check cell that defines the object checked (so a scratch cell
    between the two does no harm), or the cell just before the check when none does; an
    answer that relies on a name defined elsewhere in the notebook (not an import or another
    exercise's answer) fails there, so answers must be self-contained, as the course's own
    are (tested).

    ``nb`` (an ``nbformat.NotebookNode``; ``TypeError`` for anything else) is not
    changed; the reduced copy is returned.
    """
    import ast
    import copy

    import nbformat

    _checks.notebook("nb", nb)
    imports, keep = [], []
    cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(cells):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics and the like: no imports taken from them
            tree = ast.Module(body=[], type_ignores=[])
        imports += [ast.unparse(node) for node in tree.body
                    if isinstance(node, (ast.Import, ast.ImportFrom))]
        calls = _check_calls(cell.source)
        if not calls or i == 0:
            continue
        earlier = [c for c in cells[:i] if not _check_calls(c.source)]
        names = {obj for _, obj in calls if obj}
        answer = next((c for c in reversed(earlier) if names & set(_defined_names(c.source))),
                      None)
        if answer is None and not _check_calls(cells[i - 1].source):
            answer = cells[i - 1]
        if answer is not None and all(answer is not kept for kept in keep):
            keep.append(answer)
        keep.append(cell)
    out = copy.deepcopy(nb)
    preamble = "\n".join(dict.fromkeys(["import ganlab", *imports]))
    out.cells = [nbformat.v4.new_code_cell(preamble), *(copy.deepcopy(c) for c in keep)]
    return out


def _grader_source(token: str, exercise_id: str, obj: str) -> str:
    """A cell that checks ``obj`` with a fresh copy of this module, loaded from its file (an
    answer cell that replaced or patched ``ganlab.exercises`` has no effect on it), and prints
    the verdict on one line after ``token``."""
    return "\n".join([
        "def _ganlab_grade():",
        "    import importlib.util, json",
        f"    spec = importlib.util.spec_from_file_location('ganlab._grading_{token}', "
        f"{str(Path(exercises.__file__))!r})",
        "    fresh = importlib.util.module_from_spec(spec)",
        "    spec.loader.exec_module(fresh)",
        "    try:",
        f"        obj = ({obj})",
        "    except BaseException as err:",
        "        verdict = {'passed': False, 'checks': 0, "
        "'message': f'{type(err).__name__}: {err}'}",
        "    else:",
        f"        verdict = fresh.verdict({exercise_id!r}, obj)",
        f"    return {token!r} + json.dumps(verdict)",
        "print(_ganlab_grade())",
    ])


def _verdicts(cell, token: str) -> list[dict]:
    lines = [line for o in cell.get("outputs", []) if o.get("output_type") == "stream"
             for line in o.get("text", "").splitlines() if line.startswith(token)]
    n = sum(line.startswith("print(_ganlab_grade())") for line in cell.source.splitlines())
    return [json.loads(line[len(token):]) for line in lines[len(lines) - n:]]


_FAST_HINT = (" (--fast runs only the notebook's imports, the answer cells and the checks: an "
              "answer must define everything it uses, or import it)")


def grade_notebooks(paths: list[Path], *, timeout: int = 900, fast: bool = False) -> list[dict]:
    """Execute notebooks and grade each exercise; return one record per exercise.

    There is one record per exercise (and per other failing cell), with ``id``,
    ``notebook``, ``passed``, ``points`` (all or nothing per exercise: every check of its
    checker must pass), ``max_points`` (``POINTS``) and ``message`` (the error's name and
    text; empty when passed).

    Only what was checked counts. The check cells are first restored from the course's form
    (``restore_checks``: a ``try``/``except`` around a check, extra code in a check cell, a
    renamed id where nbgrader's metadata names the exercise, a deleted check cell where the
    answer cell's metadata does) and then replaced by grading cells that run the checker
    from a fresh copy of this module on the learner's object and print its verdict: an
    exercise passes only when that checker ran to its end and returned -- not from the
    absence of an error, and not by an answer cell that patched ``ganlab.exercises``.

    An exercise whose check cell is gone and cannot be restored, or renamed to another id,
    is reported as not graded (0 points, the message says which call to restore) -- the
    exercises a notebook must check are known from its number; an exercise checked twice (a
    copied check cell) counts once and passes only if every check passes. A cell that fails
    without checking an exercise gets the id ``"<notebook> cell <n>"`` and 0 of 0 points: a
    learner copy should fail only at its exercises. ``fast``: grade ``exercises_only(nb)``
    instead of the whole notebook (cell numbers then refer to that reduced copy).

    Parameters
    ----------
    paths : list of pathlib.Path
        The learner notebooks, each run in its own folder. The exercises expected of a
        notebook are those of ``KNOWN`` whose number is the file name's first two
        characters.
    timeout : int, default 900
        Seconds allowed per cell.
    fast : bool, default False
        Grade ``exercises_only(nb)`` instead of the whole notebook, as above.

    Returns
    -------
    list of dict
        The records, notebook by notebook.
    """
    import secrets

    import nbformat

    from .notebooks import execute

    records: list[dict] = []
    for path in paths:
        nb = restore_checks(nbformat.read(path, as_version=4))
        if fast:
            nb = exercises_only(nb)
        token = f"ganlab-verdict-{secrets.token_hex(8)}:"
        graded = []                                   # (cell, exercise id)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("ganlab", {}).get("check"):
                calls = _check_calls(cell.source)           # restored: ids and objects known
                cell.source = "\n".join(_grader_source(token, i, obj) for i, obj in calls)
                graded += [(cell, i) for i, _ in calls]
        execute(nb, path.parent, timeout=timeout, allow_errors=True)
        outcomes: dict[str, list[str]] = {}        # exercise id -> one message per check
        number = 0
        for cell in nb.cells:
            calls = [i for c, i in graded if c is cell]
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            message = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else ""
            verdicts = _verdicts(cell, token) if calls else []
            for k, exercise_id in enumerate(calls):
                verdict = verdicts[k] if len(verdicts) == len(calls) else None
                if verdict is None:
                    text = message or "no verdict: the checker did not return"
                else:
                    text = "" if verdict["passed"] else verdict["message"]
                if fast and text.startswith("NameError"):
                    text += _FAST_HINT
                outcomes.setdefault(exercise_id, []).append(text)
            if errors and not calls:
                records.append(_record(f"{path.name} cell {number}", path.name, message, 0))
            number += not cell.get("metadata", {}).get("ganlab", {}).get("restored", False)
        expected = [k for k in KNOWN if k.split(".")[0] == path.name[:2]]
        for exercise_id in expected + [k for k in outcomes if k not in expected]:
            messages = outcomes.get(exercise_id)
            if messages is None:
                message = (f"not graded: no cell calls exercises.check(\"{exercise_id}\", ...); "
                           "restore the check cell from the course notebook")
            else:
                failed = [m for m in messages if m]
                message = failed[0] if failed else ""
                if len(messages) > 1 and failed:
                    message += f" (checked {len(messages)} times; {len(failed)} failed)"
            records.append(_record(exercise_id, path.name, message, POINTS.get(exercise_id, 0)))
    return records


def _record(exercise_id: str, notebook: str, message: str, best: int) -> dict:
    return {"id": exercise_id, "notebook": notebook, "passed": not message,
            "points": 0 if message else best, "max_points": best, "message": message}


def check_notebooks(paths: list[Path], *, timeout: int = 900) -> dict[str, str]:
    """Execute notebooks; return each exercise's outcome in one word.

    A summary of :func:`grade_notebooks` (which has the points and messages), over the whole
    notebooks.

    Parameters
    ----------
    paths : list of pathlib.Path
        The learner notebooks.
    timeout : int, default 900
        Seconds allowed per cell.

    Returns
    -------
    dict of str to str
        {exercise id: "passed" or the error's name} per record (also for a cell that failed
        without checking an exercise, and ``"not graded"`` for a check that is gone).
    """
    return {r["id"]: "passed" if r["passed"] else r["message"].split(":")[0]
            for r in grade_notebooks(paths, timeout=timeout)}
