"""Exercise checkers, learner copies and the coursework check."""

import json
import random
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlab import exercises, grading
from ganlab.cli import main
from ganlab.exercises import ExerciseError, check
from ganlab.grading import BEGIN, END, build_learner_copy, check_notebooks
from ganlab.regularizers import gradient_penalty
from ganlab.tricks import feature_matching_loss, truncated_noise

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _clip(module, c):
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-c, c)


def _interpolates(real, fake, generator=None):
    eps = torch.rand((len(real),) + (1,) * (real.dim() - 1), generator=generator)
    return eps * real + (1 - eps) * fake


def _power_step(W, u):
    v = F.normalize(W.T @ u, dim=0)
    u_new = F.normalize(W @ v, dim=0)
    return u_new @ W @ v, u_new, v


def _pull(D, loss, x, per_point=True):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss.generator(D(x)) * (len(x) if per_point else 1), x)
    return -grad


def _max_stable_lr(J, plus_one=False):
    eig = torch.linalg.eigvals(torch.as_tensor(J, dtype=torch.float64))
    if bool((eig.real >= 0).any()):
        return 0.0
    h = float((-2 * eig.real / eig.abs() ** 2).min())
    return h + 1.0 if plus_one else h


def _r1_eigenvalues(gamma, f1, sign=1):
    root = torch.tensor(gamma ** 2 / 4 - f1 ** 2, dtype=torch.complex128).sqrt()
    return (-gamma / 2 + root, -gamma / 2 - sign * root)


def _modes_covered(samples, centres, std, high_quality_only=True):
    nearest_dist, nearest = torch.cdist(samples, centres).min(1)
    hq = nearest_dist <= 3 * std
    covered = nearest[hq] if high_quality_only else nearest
    return int(covered.unique().numel()), float(hq.double().mean())


RIGHT = {
    "00.to_unit_range": lambda x: (x + 1) / 2,
    "01.optimal_discriminator": lambda p, q: torch.where(p + q > 0, p / (p + q).clamp_min(1e-300),
                                                         0.5),
    "01.jensen_shannon": lambda p, q: 0.5 * (torch.special.xlogy(p, 2 * p / (p + q)).nansum()
                                             + torch.special.xlogy(q, 2 * q / (p + q)).nansum()),
    "01.nonsaturating_loss": lambda s: F.softplus(-s).mean(),
    "02.reverse_kl_conjugate": lambda t: -1 - torch.log(-t),
    "02.pearson_chi2": lambda p, q: float(((p - q) ** 2 / q).sum()),
    "02.fgan_objective": lambda r, f, d: d.activation(r).mean() - d.f_star(d.activation(f)).mean(),
    "03.constraint_matrix": lambda n, m: np.vstack([np.kron(np.eye(n), np.ones((1, m))),
                                                    np.kron(np.ones((1, n)), np.eye(m))]),
    "03.plan_cost": lambda g, x, y: float((g * np.linalg.norm(x[:, None] - y[None], axis=-1))
                                          .sum()),
    "03.w1_sorted": lambda x, y: float(np.abs(np.sort(x) - np.sort(y)).mean()),
    "04.clip": _clip,
    "04.wgan_losses": lambda r, f: (f.mean() - r.mean(), -f.mean()),
    "05.interpolates": _interpolates,
    "05.gradient_penalty": gradient_penalty,
    "06.power_step": _power_step,
    "06.spectral_bound": lambda ws: float(np.prod([torch.linalg.svdvals(w)[0] for w in ws])),
    "07.feature_matching": feature_matching_loss,
    "07.truncated_noise": truncated_noise,
    "08.projection_score": lambda h, y, psi, embed: (psi(h).squeeze(-1)
                                                     + (embed(y) * h).sum(1)),
    "08.attention": lambda t, p, g: (g @ torch.softmax(t.transpose(1, 2) @ p, -1).transpose(1, 2),
                                     torch.softmax(t.transpose(1, 2) @ p, -1)),
    "08.orthogonal_penalty": lambda W: ((W @ W.T) * (1 - torch.eye(len(W)))).pow(2).sum(),
    "09.pull": _pull,
    "09.modes_covered": _modes_covered,
    "10.r1_eigenvalues": _r1_eigenvalues,
    "10.max_stable_lr": _max_stable_lr,
    "10.instance_noise_jacobian": lambda sigma, f1, f2: torch.tensor(
        [[0.0, f1], [-f1, 2 * sigma ** 2 * f2]], dtype=torch.float64),
}

WRONG = {
    "00.to_unit_range": lambda x: x / 2,
    "01.optimal_discriminator": lambda p, q: q / (p + q),
    "01.jensen_shannon": lambda p, q: (p * torch.log(p / q)).nansum(),
    "01.nonsaturating_loss": lambda s: -torch.log(torch.sigmoid(s)).mean(),
    "02.reverse_kl_conjugate": lambda t: torch.exp(t - 1),
    "02.pearson_chi2": lambda p, q: float(((p - q) ** 2 / p).sum()),
    "02.fgan_objective": lambda r, f, d: d.activation(r).mean() - d.activation(f).mean(),
    "03.constraint_matrix": lambda n, m: np.ones((n + m, n * m)),
    "03.plan_cost": lambda g, x, y: float((g * ((x[:, None] - y[None]) ** 2).sum(-1)).sum()),
    "03.w1_sorted": lambda x, y: float(np.abs(x - y).mean()),
    "04.clip": lambda module, c: None,
    "04.wgan_losses": lambda r, f: (r.mean() - f.mean(), f.mean()),
    "05.interpolates": lambda r, f, g=None: (e := torch.rand(1, generator=g)) * r + (1 - e) * f,
    "05.gradient_penalty": lambda c, r, f: gradient_penalty(c, r, f, one_sided=True),
    "06.power_step": lambda W, u: (torch.linalg.norm(W, 2), u, W.T @ u),
    "06.spectral_bound": lambda ws: float(np.prod([torch.linalg.norm(w) for w in ws])),
    "07.feature_matching": lambda r, f: ((r.flatten(1).mean(0) - f.flatten(1).mean(0)) ** 2).sum(),
    "07.truncated_noise": lambda n, d, t, g=None: torch.randn(n, d, generator=g).clamp(-t, t),
    "08.projection_score": lambda h, y, psi, embed: (psi(h).squeeze(-1)
                                                     + embed(y).sum(1) * h.sum(1)),
    "08.attention": lambda t, p, g: (g @ torch.softmax(t.transpose(1, 2) @ p, 1).transpose(1, 2),
                                     torch.softmax(t.transpose(1, 2) @ p, 1)),
    "08.orthogonal_penalty": lambda W: ((W @ W.T) - torch.eye(len(W))).pow(2).sum(),
    "09.pull": lambda D, loss, x: _pull(D, loss, x, per_point=False),
    "09.modes_covered": lambda s, c, std: _modes_covered(s, c, std, high_quality_only=False),
    "10.r1_eigenvalues": lambda gamma, f1: _r1_eigenvalues(gamma, f1, sign=-1),
    "10.max_stable_lr": lambda J: _max_stable_lr(J, plus_one=True),
    "10.instance_noise_jacobian": lambda sigma, f1, f2: torch.tensor(
        [[0.0, f1], [-f1, sigma ** 2 * f2]], dtype=torch.float64),
}


def test_gradient_penalty_without_its_graph_is_named():
    def detached(critic, real, fake):
        return gradient_penalty(critic, real, fake).detach()

    with pytest.raises(ExerciseError, match="create_graph"):
        check("05.gradient_penalty", detached)


def test_every_checker_has_a_right_and_a_wrong_case():
    assert set(RIGHT) == set(WRONG) == set(exercises.KNOWN)


@pytest.mark.parametrize("exercise_id", exercises.KNOWN)
def test_right_answers_pass(exercise_id, capsys):
    check(exercise_id, RIGHT[exercise_id])
    assert capsys.readouterr().out.startswith(f"{exercise_id}: passed")


@pytest.mark.parametrize("exercise_id", exercises.KNOWN)
def test_wrong_answers_fail_with_a_message(exercise_id):
    with pytest.raises(ExerciseError) as info:
        check(exercise_id, WRONG[exercise_id])
    assert "expected" in str(info.value) or "probability" in str(info.value)


def test_transposed_instance_noise_jacobian_gets_the_sign_convention_hint():
    def paper(sigma, f1, f2):
        return torch.tensor([[0.0, -f1], [f1, 2 * sigma ** 2 * f2]], dtype=torch.float64)
    with pytest.raises(ExerciseError, match="transpose, the paper's sign convention"):
        check("10.instance_noise_jacobian", paper)


def test_unknown_id_lists_known_and_non_callables_are_rejected():
    with pytest.raises(ValueError, match="exercise_id must be one of 00.to_unit_range.*got '09.x'"):
        check("09.x", len)
    with pytest.raises(ExerciseError, match="expected a function"):
        check("00.to_unit_range", 3)


def test_unfinished_exercise_raises_not_implemented():
    def stub(x):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check("00.to_unit_range", stub)


def _solutions(nb):
    """The text between the markers in every cell (what must never reach a learner)."""
    found = []
    for cell in nb.cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "code" and BEGIN in cell.source:
            i = next(k for k, line in enumerate(lines) if line.strip() == BEGIN)
            j = next(k for k, line in enumerate(lines) if line.strip() == END)
            found.append("\n".join(lines[i + 1:j]).strip())
    return found


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_learner_copy_hides_solutions_and_keeps_the_rest(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    n = build_learner_copy(path, tmp_path / path.name)
    learner = nbformat.read(tmp_path / path.name, as_version=4)
    solutions = _solutions(nb)
    assert n == len(solutions) >= (1 if path.name.startswith("00") else 2)
    everything = "\n".join(c.source for c in learner.cells)
    exercise_cells = [after.source for before, after in zip(nb.cells, learner.cells, strict=True)
                      if before.cell_type == "code" and BEGIN in before.source]
    for solution, cell in zip(solutions, exercise_cells, strict=True):
        assert solution not in everything
        for line in solution.splitlines():
            assert line.strip() not in cell, f"solution line leaked: {line.strip()!r}"
    assert len(learner.cells) == len(nb.cells)
    for before, after in zip(nb.cells, learner.cells, strict=True):
        if before.cell_type == "code" and BEGIN in before.source:
            assert "raise NotImplementedError" in after.source
            assert BEGIN not in after.source
        else:
            assert after.source == before.source
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
    # building again (from the learner copy, or from the same source) changes nothing
    build_learner_copy(tmp_path / path.name, tmp_path / "again" / path.name)
    build_learner_copy(path, tmp_path / "twice" / path.name)
    copy = (tmp_path / path.name).read_text()
    assert (tmp_path / "again" / path.name).read_text() == copy
    assert (tmp_path / "twice" / path.name).read_text() == copy


def test_unterminated_solution_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"def f():\n    {BEGIN}\n    return 1\n")]
    nbformat.write(nb, tmp_path / "00_bad.ipynb")
    with pytest.raises(ValueError, match="without"):
        build_learner_copy(tmp_path / "00_bad.ipynb", tmp_path / "out.ipynb")


def test_learner_copy_fails_exactly_at_the_exercises(tmp_path, capsys):
    # one execution: the CLI check of a learner copy of notebook 00 (the fastest notebook)
    source = NOTEBOOKS / "00_start_here.ipynb"
    assert main(["exercises", "build", str(source), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    results = tmp_path / "results.json"
    assert main(["exercises", "check", str(tmp_path), "--json", str(results)]) == 1
    out = capsys.readouterr().out
    # the only failing cell is the exercise's check, with NotImplementedError
    assert "00.to_unit_range  FAILED (NotImplementedError)" in out
    assert "\n    Exercise: replace this line with your solution\n" in out   # the message
    assert "all or nothing" in out
    assert "0 passed, 1 failed; 0/1 points" in out and " cell " not in out
    graded = json.loads(results.read_text())
    assert graded["exercises"] == [{"id": "00.to_unit_range", "notebook": "00_start_here.ipynb",
                                    "passed": False, "points": 0, "max_points": 1,
                                    "message": graded["exercises"][0]["message"]}]
    assert graded["exercises"][0]["message"].startswith("NotImplementedError")
    assert (graded["points"], graded["max_points"], graded["failed"]) == (0, 1, 1)


def test_check_notebooks_reports_failures_outside_exercises(tmp_path):
    nb = nbformat.v4.new_notebook()
    probe = 'import ganlab\nganlab.exercises.check("00.to_unit_range", lambda x: x)'
    nb.cells = [nbformat.v4.new_code_cell("1 / 0"), nbformat.v4.new_code_cell(probe)]
    nbformat.write(nb, tmp_path / "00_probe.ipynb")
    results = check_notebooks([tmp_path / "00_probe.ipynb"])
    assert results == {"00_probe.ipynb cell 0": "ZeroDivisionError",
                       "00.to_unit_range": "ExerciseError"}


def test_instructor_notebook_passes_its_checks(capsys, tmp_path):
    results = tmp_path / "r.json"
    assert main(["exercises", "check", str(NOTEBOOKS / "00_start_here.ipynb"),
                 "--json", str(results)]) == 0
    assert "1 passed, 0 failed; 1/1 points" in capsys.readouterr().out
    graded = json.loads(results.read_text())
    assert graded["exercises"][0]["passed"] and graded["exercises"][0]["message"] == ""
    assert (graded["points"], graded["max_points"], graded["failed"]) == (1, 1, 0)


def test_every_exercise_is_marked_for_nbgrader():
    import nbformat

    from ganlab.notebooks import course_notebooks

    ids = []
    for path in course_notebooks(Path(__file__).resolve().parents[1] / "notebooks"):
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        for answer, test in zip(cells, cells[1:], strict=False):
            if grading.BEGIN not in answer.source:
                continue
            solution, grade = answer.metadata["nbgrader"], test.metadata["nbgrader"]
            assert solution["solution"] and not solution["grade"] and not solution["locked"]
            assert grade["grade"] and grade["locked"] and not grade["solution"]
            (exercise_id,) = grading._CHECK_CALL.findall(test.source)
            assert solution["grade_id"] == exercise_id.replace(".", "_")
            assert grade["grade_id"] == solution["grade_id"] + "_check"
            assert re.fullmatch(r"[a-zA-Z0-9_\-]+", grade["grade_id"])   # nbgrader's pattern
            assert grade["points"] == exercises.POINTS[exercise_id] > 0
            assert solution["schema_version"] == grade["schema_version"] == 3
            ids += [solution["grade_id"], grade["grade_id"]]
    assert len(ids) == len(set(ids)) > 0          # unique across the course


@pytest.mark.parametrize("exercise_id", exercises.KNOWN)
def test_a_pass_awards_the_points_declared_once(exercise_id, capsys):
    # the points are stated only in @_exercise: the checker returns nothing, and check /
    # verdict award the declared points when it returns
    with torch.random.fork_rng(devices=[]):
        assert exercises.EXERCISES[exercise_id].checker(RIGHT[exercise_id]) is None
    check(exercise_id, RIGHT[exercise_id])
    assert capsys.readouterr().out == \
        f"{exercise_id}: passed ({exercises.POINTS[exercise_id]} checks)\n"
    assert exercises.verdict(exercise_id, RIGHT[exercise_id]) == {
        "passed": True, "checks": exercises.POINTS[exercise_id], "message": ""}


@pytest.mark.parametrize("answers", [RIGHT, WRONG], ids=["right", "wrong"])
@pytest.mark.parametrize("exercise_id", exercises.KNOWN)
def test_check_leaves_the_callers_random_state_alone(exercise_id, answers, capsys):
    # some checkers seed torch's global random generator (their networks' weights); a
    # library call must not reseed the caller's
    torch.manual_seed(1234)
    np.random.seed(1234)
    random.seed(1234)
    torch_state, np_state, py_state = torch.get_rng_state(), np.random.get_state(), \
        random.getstate()
    if answers is RIGHT:
        check(exercise_id, answers[exercise_id])
    else:
        with pytest.raises(ExerciseError):
            check(exercise_id, answers[exercise_id])
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert random.getstate() == py_state
    exercises.verdict(exercise_id, answers[exercise_id])
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_classroom_template_grades_every_notebook_for_its_points():
    # templates/classroom-autograding.yml: one GitHub Classroom grader step per notebook,
    # worth the points of its exercises, all of them reported.
    import yaml

    from ganlab.notebooks import course_notebooks

    root = Path(__file__).resolve().parents[1]
    workflow = yaml.safe_load((root / "templates" / "classroom-autograding.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = {s["id"]: s["with"] for s in steps
               if "autograding-command-grader" in s.get("uses", "")}
    reporter = next(s for s in steps if "grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"].split(",") == list(graders)
    assert set(reporter["env"]) == {f"{i.upper()}_RESULTS" for i in graders}
    for path in course_notebooks(root / "notebooks"):
        prefix = path.name[:2]
        step = graders[f"nb{prefix}"]
        assert step["command"] == (f"ganlab exercises check notebooks/{path.name} "
                                   f"--json results-{prefix}.json")
        assert step["max-score"] == sum(v for k, v in exercises.POINTS.items()
                                        if k.startswith(prefix + ".")) > 0


def test_grading_survives_what_learners_do_to_their_copy(tmp_path):
    # Synthetic copies of notebook 00's exercise: each what a learner might hand in.
    check_cell = 'import ganlab\nganlab.exercises.check("00.to_unit_range", to_unit_range)'
    right = "def to_unit_range(x):\n    return (x + 1) / 2"
    wrong = "def to_unit_range(x):\n    return x"
    chatty = "for i in range(20000):\n    print('step', i)\n" + right
    cases = {"deleted": [right], "copied": [wrong, check_cell, check_cell],
             "renamed": [right, check_cell.replace("00.to_unit_range", "00.unit_range")],
             "chatty": [chatty, check_cell]}
    paths = []
    for name, sources in cases.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
        (tmp_path / name).mkdir()
        nbformat.write(nb, tmp_path / name / "00_start_here.ipynb")
        paths.append(tmp_path / name / "00_start_here.ipynb")
    graded = grading.grade_notebooks(paths)
    # records come notebook by notebook, in the order of `paths`
    records = {}
    it = iter(graded)
    for name in cases:
        n = 1 + (name == "renamed")                  # renamed: the unknown id too
        records[name] = [next(it) for _ in range(n)]
    assert next(it, None) is None
    deleted, = records["deleted"]
    assert (deleted["id"], deleted["passed"], deleted["points"]) == ("00.to_unit_range", False, 0)
    assert "not graded" in deleted["message"] and "restore the check cell" in deleted["message"]
    copied, = records["copied"]
    assert not copied["passed"] and "(checked 2 times; 2 failed)" in copied["message"]
    missing, unknown = records["renamed"]
    assert missing["id"] == "00.to_unit_range" and "not graded" in missing["message"]
    assert unknown["id"] == "00.unit_range" and unknown["message"].startswith("ValueError")
    assert unknown["max_points"] == 0
    chatty_record, = records["chatty"]
    assert chatty_record["passed"] and chatty_record["points"] == 1


def test_fast_grading_runs_only_imports_and_exercises(tmp_path):
    # --fast: the course's own answers are self-contained (full marks from the reduced
    # copies), and a learner copy fails exactly at its exercises, in seconds per notebook.
    from ganlab.notebooks import course_notebooks

    nb = nbformat.read(NOTEBOOKS / "05_wgan_gp.ipynb", as_version=4)
    reduced = grading.exercises_only(nb)
    assert reduced.cells[0].source.startswith("import ganlab")
    assert "fit(" not in "\n".join(c.source for c in reduced.cells[1:])      # no training
    assert len(reduced.cells) == 1 + 2 * 2                                    # 2 exercises
    paths = course_notebooks(NOTEBOOKS)
    instructor = grading.grade_notebooks(paths, fast=True)
    present = {p.name[:2] for p in paths}
    assert [r["id"] for r in instructor] == [k for k in exercises.KNOWN if k[:2] in present]
    assert all(r["passed"] for r in instructor)
    for name in ("01_minimax_optimal_d.ipynb", "07_improved_gan_tricks.ipynb"):
        build_learner_copy(NOTEBOOKS / name, tmp_path / name)
    learner = grading.grade_notebooks(sorted(tmp_path.glob("*.ipynb")), fast=True)
    assert len(learner) == 5 and all(r["message"].startswith("NotImplementedError")
                                     for r in learner)


# ------------------------------------------- exercises that need a derivation (issue 25) ----
for _replaced in ("01.optimal_discriminator", "02.reverse_kl_conjugate", "03.constraint_matrix",
                  "04.clip", "02.fgan_objective", "04.wgan_losses"):
    RIGHT.pop(_replaced)
    WRONG.pop(_replaced)


def _alpha_conjugate(t, alpha):
    kink = -1 / (alpha - 1)
    smooth = (1 + (alpha - 1) * t.clamp_min(kink)) ** (alpha / (alpha - 1)) / alpha - 1 / alpha
    return torch.where(t >= kink, smooth, torch.full_like(t, -1 / alpha))


def _kr_potential_1d(x, y, z, slope_sign=1.0):
    grid = np.sort(np.concatenate([x, y]))
    f_p = np.searchsorted(np.sort(x), grid, side="right") / len(x)
    f_q = np.searchsorted(np.sort(y), grid, side="right") / len(y)
    slope = slope_sign * np.sign(f_q - f_p)[:-1]   # phi' on each gap between sample points
    phi = np.concatenate([[0.0], np.cumsum(slope * np.diff(grid))])
    return np.interp(z, grid, phi)


def _lipschitz_bound(widths, c, spectral=True):
    pairs = zip(widths, widths[1:], strict=False)
    return float(np.prod([c * (np.sqrt(i * o) if spectral else i) for i, o in pairs]))


def _optimal_critic_output(log_ratio, name, kl_shift=1.0):
    scale, shift = {"kl": (1.0, kl_shift), "squared-hellinger": (0.5, 0.0),
                    "jensen-shannon": (1.0, 0.0), "neyman": (-2.0, 0.0)}[name]
    return scale * log_ratio + shift


def _clipped_linear_critic(real, fake, c, norm="l1"):
    delta = real.mean(0) - fake.mean(0)
    w = c * torch.sign(delta) if norm == "l1" else c * delta / delta.norm()
    return w, (w * delta).sum()


RIGHT.update({
    "01.weighted_discriminator": lambda p, q, a, b: a * p / (a * p + b * q),
    "02.alpha_conjugate": _alpha_conjugate,
    "03.kr_potential_1d": _kr_potential_1d,
    "04.clipped_lipschitz_bound": _lipschitz_bound,
    "02.optimal_critic_output": _optimal_critic_output,
    "04.clipped_linear_critic": _clipped_linear_critic,
})
WRONG.update({
    "01.weighted_discriminator": lambda p, q, a, b: p / (p + q),   # the weights ignored
    "02.alpha_conjugate": lambda t, a: torch.exp(t - 1),          # the KL row's conjugate
    "03.kr_potential_1d": lambda x, y, z: _kr_potential_1d(x, y, z, slope_sign=-1.0),
    "04.clipped_lipschitz_bound": lambda widths, c: _lipschitz_bound(widths, c, spectral=False),
    "02.optimal_critic_output": lambda r, name: _optimal_critic_output(r, name, kl_shift=0.0),
    "04.clipped_linear_critic": lambda r, f, c: _clipped_linear_critic(r, f, c, norm="l2"),
})


def test_weighted_discriminator_hints():
    with pytest.raises(ExerciseError, match="probability that x is \\*real\\*"):
        check("01.weighted_discriminator", lambda p, q, a, b: b * q / (a * p + b * q))
    with pytest.raises(ExerciseError, match="does not depend on alpha, beta"):
        check("01.weighted_discriminator", WRONG["01.weighted_discriminator"])


def test_alpha_conjugate_without_the_u_ge_0_piece_fails_there():
    def unrestricted(t, alpha):  # (1/alpha)(1 + (alpha - 1) t)^(alpha/(alpha-1)) - 1/alpha
        return (1 + (alpha - 1) * t).abs() ** (alpha / (alpha - 1)) / alpha - 1 / alpha

    with pytest.raises(ExerciseError, match="no u > 0 is stationary"):
        check("02.alpha_conjugate", unrestricted)


def test_kr_potential_that_is_not_1_lipschitz_or_not_optimal_fails():
    with pytest.raises(ExerciseError, match="1-Lipschitz"):
        check("03.kr_potential_1d", lambda x, y, z: 2 * _kr_potential_1d(x, y, z))
    with pytest.raises(ExerciseError, match="equal to W1"):
        check("03.kr_potential_1d", lambda x, y, z: -np.asarray(z))   # 1-Lipschitz, not optimal


def test_clipped_lipschitz_bound_must_be_an_upper_bound_and_the_smallest():
    with pytest.raises(ExerciseError, match="no smaller than the Lipschitz constant"):
        check("04.clipped_lipschitz_bound", lambda widths, c: 0.5 * _lipschitz_bound(widths, c))
    with pytest.raises(ExerciseError, match="the smallest such K"):
        check("04.clipped_lipschitz_bound", WRONG["04.clipped_lipschitz_bound"])


# ------------------------------------------------------- grading that cannot be fooled (#31)
def _with_cells(nb, edit):
    """A copy of ``nb`` whose code cells pass through ``edit(index, cell) -> [cells]``."""
    import copy

    out = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(out.cells):
        cells += edit(i, cell) if cell.cell_type == "code" else [cell]
    out.cells = cells
    return out


def _check_cells(nb):
    return {grading._CHECK_CALL.findall(c.source)[0]: i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and grading._CHECK_CALL.findall(c.source)}


PATCH = """import ganlab
ganlab.exercises.check = lambda *args, **kwargs: print("passed")
registry = ganlab.exercises.EXERCISES
for k in ganlab.exercises.KNOWN:
    registry.register(k, registry[k]._replace(checker=lambda f: None))
ganlab.exercises._run = lambda *args: 1
print('01.weighted_discriminator: passed (3 checks)')
"""


def test_tampered_learner_copy_scores_only_what_passes(tmp_path):
    # Notebook 01's learner copy: every check wrapped in try/except (a learner keeping the
    # notebook running), an answer cell that patches the checkers and prints a fake pass,
    # and one exercise solved for real. Before issue 31 this scored 12 of 12.
    build_learner_copy(NOTEBOOKS / "01_minimax_optimal_d.ipynb", tmp_path / "01.ipynb")
    nb = nbformat.read(tmp_path / "01.ipynb", as_version=4)
    checks = _check_cells(nb)
    solved = "def nonsaturating_loss(fake_scores):\n    return F.softplus(-fake_scores).mean()"

    def tamper(i, cell):
        if i in checks.values():
            cell.source = "try:\n    " + cell.source + "\nexcept Exception:\n    pass"
        if i == checks["01.weighted_discriminator"] - 1:
            cell.source = PATCH + cell.source
        if i == checks["01.nonsaturating_loss"] - 1:
            cell.source = solved
        return [cell]

    path = tmp_path / "tampered" / "01_minimax_optimal_d.ipynb"
    path.parent.mkdir()
    nbformat.write(_with_cells(nb, tamper), path)
    records = {r["id"]: r for r in grading.grade_notebooks([path], fast=True)}
    assert set(records) == {"01.weighted_discriminator", "01.jensen_shannon",
                            "01.nonsaturating_loss"}
    for exercise_id in ("01.weighted_discriminator", "01.jensen_shannon"):
        assert records[exercise_id]["points"] == 0
        assert records[exercise_id]["message"].startswith("NotImplementedError")
    assert records["01.nonsaturating_loss"]["passed"]
    assert records["01.nonsaturating_loss"]["points"] == exercises.POINTS["01.nonsaturating_loss"]


def test_solved_copy_survives_scratch_deleted_renamed_and_copied_check_cells(tmp_path):
    # The instructor notebook (every answer right) as a learner may leave it: a scratch cell
    # between an answer and its check, one check cell deleted, one renamed, one copied.
    # nbgrader's metadata names each exercise, so every check is restored: full marks, each
    # exercise counted once -- in --fast mode, which used to report NameError for the
    # scratch cell.
    nb = nbformat.read(NOTEBOOKS / "01_minimax_optimal_d.ipynb", as_version=4)
    checks = _check_cells(nb)

    def edit(i, cell):
        if i == checks["01.weighted_discriminator"]:
            return [nbformat.v4.new_code_cell("scratch = 1 + 1"), cell, copy_of(cell)]
        if i == checks["01.jensen_shannon"]:
            return []
        if i == checks["01.nonsaturating_loss"]:
            cell.source = cell.source.replace("01.nonsaturating_loss", "01.nonsaturating")
        return [cell]

    def copy_of(cell):
        import copy

        copied = copy.deepcopy(cell)
        copied["id"] = "copied-check"
        return copied

    path = tmp_path / "01_minimax_optimal_d.ipynb"
    nbformat.write(_with_cells(nb, edit), path)
    records = grading.grade_notebooks([path], fast=True)
    assert [(r["id"], r["points"]) for r in records] == [
        (k, exercises.POINTS[k]) for k in exercises.KNOWN if k.startswith("01.")]


def test_restore_checks_rewrites_only_check_cells():
    nb = nbformat.read(NOTEBOOKS / "01_minimax_optimal_d.ipynb", as_version=4)
    checks = _check_cells(nb)
    wrapped = _with_cells(nb, lambda i, c: [c] if i not in checks.values() else [
        nbformat.v4.new_code_cell("try:\n    " + c.source + "\nexcept Exception:\n    pass",
                                  metadata=c.metadata)])
    restored = grading.restore_checks(wrapped)
    for exercise_id, i in checks.items():
        assert restored.cells[i].source.endswith(f'ganlab.exercises.check("{exercise_id}", '
                                                 f'{nb.cells[i].source.split(", ")[1]}')
        assert "try" not in restored.cells[i].source
    others = [i for i in range(len(nb.cells)) if i not in checks.values()]
    assert all(restored.cells[i].source == nb.cells[i].source for i in others)


def test_patched_checker_and_forged_output_do_not_pass_in_a_full_run(tmp_path):
    # The same tricks on a two-cell notebook, executed whole (not --fast).
    nb = nbformat.v4.new_notebook()
    wrong = "def to_unit_range(x):\n    return x\n" + PATCH
    check_cell = ('try:\n    import ganlab\n    ganlab.exercises.check("00.to_unit_range", '
                  'to_unit_range)\nexcept Exception:\n    pass')
    nb.cells = [nbformat.v4.new_code_cell(wrong), nbformat.v4.new_code_cell(check_cell)]
    nbformat.write(nb, tmp_path / "00_start_here.ipynb")
    (record,) = grading.grade_notebooks([tmp_path / "00_start_here.ipynb"])
    assert (record["id"], record["points"]) == ("00.to_unit_range", 0)
    assert record["message"].startswith("ExerciseError: to_unit_range([-1, 0, 1, 0.5])")


def test_fast_grading_names_the_self_contained_rule(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("OFFSET = 1"),
                nbformat.v4.new_code_cell("def to_unit_range(x):\n    return (x + OFFSET) / 2"),
                nbformat.v4.new_code_cell('import ganlab\n'
                                          'ganlab.exercises.check("00.to_unit_range", '
                                          'to_unit_range)')]
    nbformat.write(nb, tmp_path / "00_start_here.ipynb")
    (slow,) = grading.grade_notebooks([tmp_path / "00_start_here.ipynb"])
    (fast,) = grading.grade_notebooks([tmp_path / "00_start_here.ipynb"], fast=True)
    assert slow["passed"]
    assert fast["message"].startswith("NameError") and "define everything it uses" in \
        fast["message"]


def test_learner_copies_in_the_repository_match_the_notebooks(tmp_path):
    # learner/ is where self-learners start (`make lab`); `make learner` regenerates it.
    from ganlab.notebooks import course_notebooks

    learner = NOTEBOOKS.parent / "learner"
    paths = course_notebooks(NOTEBOOKS)
    assert sorted(p.name for p in learner.glob("*.ipynb")) == [p.name for p in paths]
    for path in paths:
        build_learner_copy(path, tmp_path / path.name)
        assert (learner / path.name).read_text() == (tmp_path / path.name).read_text(), \
            f"learner/{path.name} lags notebooks/{path.name}: run `make learner`"


def test_an_exercise_is_declared_once_with_its_points():
    # the registry is the one place: KNOWN, POINTS and the checkers all derive from it
    assert set(exercises.KNOWN) == set(exercises.POINTS) == set(exercises.EXERCISES)
    with pytest.raises(ValueError, match="registered twice"):
        exercises._exercise("05.interpolates", points=8)(lambda fn: 8)
    with pytest.raises(ValueError, match="points"):
        exercises._exercise("99.new", points=0)(lambda fn: 0)
    assert "99.new" not in exercises.EXERCISES
