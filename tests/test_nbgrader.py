"""The course with nbgrader itself: generate_assignment and autograde on two notebooks, with
the shipped nbgrader_config.py (issue: coursework that plugs into instructors' tools)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ganlab import exercises, grading
from ganlab.grading import build_learner_copy

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("00_start_here.ipynb", "01_minimax_optimal_d.ipynb")   # the two fastest
pytest.importorskip("nbgrader", reason="nbgrader comes with the coursework extra (make test)")


def _nbgrader(course: Path, *args: str) -> None:
    # nbgrader starts `alembic` (its database migrations) from PATH: the venv's bin must be
    # on it, as it is in an activated environment.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course,
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def _code_sources(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """An nbgrader course: the two notebooks released, then handed in untouched by
    `learner` and with the solutions by `teacher`, and autograded."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    source = course / "source" / "ps"
    source.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, source)
    _nbgrader(course, "generate_assignment", "ps")
    for student, folder in (("learner", course / "release" / "ps"), ("teacher", source)):
        shutil.copytree(folder, course / "submitted" / student / "ps")
    _nbgrader(course, "autograde", "ps")
    return course


def _scores(course: Path, student: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("ps", student)
        return {grade.name: (grade.score, grade.max_score)
                for notebook in submission.notebooks for grade in notebook.grades}


def _checked_ids() -> dict[str, int]:
    ids = {}
    for name in NOTEBOOKS:
        for source in _code_sources(ROOT / "notebooks" / name):
            for exercise_id in grading._CHECK_CALL.findall(source):
                ids[f"{grading.grade_id(exercise_id)}_check"] = exercises.POINTS[exercise_id]
    return ids


def test_released_copy_is_our_learner_copy(course, tmp_path):
    for name in NOTEBOOKS:
        build_learner_copy(ROOT / "notebooks" / name, tmp_path / name)
        assert _code_sources(course / "release" / "ps" / name) == _code_sources(tmp_path / name)


def test_untouched_release_scores_zero_on_every_exercise_and_fails_nowhere_else(course):
    expected = _checked_ids()
    assert len(expected) == 4
    assert _scores(course, "learner") == {gid: (0.0, float(p)) for gid, p in expected.items()}
    for name in NOTEBOOKS:
        nb = nbformat.read(course / "autograded" / "learner" / "ps" / name, as_version=4)
        for cell in nb.cells:
            failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            graded = cell.metadata.get("nbgrader", {})
            # errors only where an exercise is: its stub and its check
            assert not failed or graded.get("grade") or graded.get("solution")


def test_instructor_notebooks_get_full_marks(course):
    expected = _checked_ids()
    assert _scores(course, "teacher") == {gid: (float(p), float(p)) for gid, p in expected.items()}
