import numpy as np
import ot
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from scipy.stats import wasserstein_distance

from ganlab.transport import emd, emd_linprog, plan_constraints, wasserstein1


def random_problem(seed, n=7, m=5):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n), rng.random(m)
    a, b = a / a.sum(), b / b.sum()
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    return a, b, ot.dist(x, y, metric="euclidean")


@pytest.mark.parametrize("seed", range(5))
def test_pot_equals_linprog_and_plans_have_the_marginals(seed):
    a, b, M = random_problem(seed)
    cost, plan = emd(a, b, M)
    cost_lp, plan_lp = emd_linprog(a, b, M)
    assert cost == pytest.approx(cost_lp, rel=1e-9, abs=1e-12)
    for p in (plan, plan_lp):
        np.testing.assert_allclose(p.sum(axis=1), a, atol=1e-9)
        np.testing.assert_allclose(p.sum(axis=0), b, atol=1e-9)
        assert (p >= -1e-12).all()
        assert np.sum(p * M) == pytest.approx(cost, rel=1e-9)


def test_identical_clouds_give_the_identity_plan():
    x = np.random.default_rng(0).normal(size=(6, 3))
    a = np.full(6, 1 / 6)
    cost, plan = emd(a, a, ot.dist(x, x, metric="euclidean"))
    assert cost == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(plan, np.eye(6) / 6, atol=1e-12)


def test_duals_are_feasible_and_reach_the_cost():
    a, b, M = random_problem(3, n=20, m=30)
    cost, plan, (f, g) = emd(a, b, M, return_duals=True)
    assert (f[:, None] + g[None, :] <= M + 1e-9).all()
    assert a @ f + b @ g == pytest.approx(cost, rel=1e-9)  # zero duality gap
    support = plan > 1e-12
    np.testing.assert_allclose((f[:, None] + g[None, :])[support], M[support], atol=1e-9)


def test_one_dimensional_w1_matches_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=200), rng.normal(1.0, 2.0, size=300)
    wx, wy = rng.random(200), rng.random(300)
    assert wasserstein1(x, y) == pytest.approx(wasserstein_distance(x, y), rel=1e-9)
    assert wasserstein1(x, y, wx, wy) == pytest.approx(
        wasserstein_distance(x, y, wx, wy), rel=1e-9)


def test_uniform_n_to_n_is_the_assignment_problem():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 0.5
    M = ot.dist(x, y, metric="euclidean")
    rows, cols = linear_sum_assignment(M)
    assert wasserstein1(x, y) == pytest.approx(M[rows, cols].mean(), rel=1e-9)


def test_accepts_torch_tensors_on_any_device(device):
    x = torch.randn(30, 2, device=device)
    y = torch.randn(25, 2, device=device) + 1
    ref = wasserstein1(x.cpu().numpy(), y.cpu().numpy())
    assert isinstance(wasserstein1(x, y), float) and wasserstein1(x, y) == pytest.approx(ref)


def test_large_problem_converges():
    # a larger problem under ganlab's iteration cap (POT's default cap of 100,000 is enough at
    # this size with POT 0.9.7; it stops early from about 4,000 points per side)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(1500, 2)), rng.normal(size=(1500, 2))
    assert np.isfinite(wasserstein1(x, y))


def test_solver_stopped_by_its_iteration_cap_is_an_error(monkeypatch):
    import ganlab.transport

    monkeypatch.setattr(ganlab.transport, "NUM_ITER_MAX", 10)
    a, b, M = random_problem(0, n=40, m=40)
    with pytest.warns(UserWarning, match="numItermax"), \
            pytest.raises(RuntimeError, match="did not converge"):
        emd(a, b, M)   # POT only warns; ganlab raises


def test_plan_constraints_structure():
    A = plan_constraints(2, 3).toarray()
    expected = np.array([[1, 1, 1, 0, 0, 0],
                         [0, 0, 0, 1, 1, 1],
                         [1, 0, 0, 1, 0, 0],
                         [0, 1, 0, 0, 1, 0],
                         [0, 0, 1, 0, 0, 1]])
    np.testing.assert_array_equal(A, expected)


@pytest.mark.parametrize("a, b, M, error, match", [
    ([0.5, 0.5], [1.0], np.zeros((2, 2)), ValueError, r"M must have shape .* = \(2, 1\)"),
    ([0.5, 0.6], [0.5, 0.5], np.zeros((2, 2)), ValueError, "equal total mass: sum.a. = 1.1"),
    ([1.5, -0.5], [0.5, 0.5], np.zeros((2, 2)), ValueError, "non-negative"),
    ([0.5, np.nan], [0.5, 0.5], np.zeros((2, 2)), ValueError, "a contains NaN or infinite"),
    ([[0.5, 0.5]], [1.0], np.zeros((1, 1)), ValueError, r"a must have 1 dimension\(s\)"),
    ([], [1.0], np.zeros((0, 1)), ValueError, "a must have at least 1 entries"),
    (["x"], [1.0], np.zeros((1, 1)), TypeError, "a must be a tensor .or array. of numbers"),
])
def test_bad_input(a, b, M, error, match):
    with pytest.raises(error, match=match):
        emd(a, b, M)
    with pytest.raises(error, match=match):
        emd_linprog(a, b, M)


def test_bad_point_clouds():
    with pytest.raises(ValueError, match=r"\(n, d\) and \(m, d\) point clouds"):
        wasserstein1(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"a must have shape \(3,\)"):
        wasserstein1(np.zeros((3, 2)), np.zeros((3, 2)), a=[1.0, 1.0])
    with pytest.raises(ValueError, match="n must be a positive int"):
        plan_constraints(0, 3)


def test_linprog_time_limit_is_reported():
    a, b, M = random_problem(0, n=150, m=150)
    with pytest.raises(RuntimeError, match="linprog did not solve"):
        emd_linprog(a, b, M, time_limit=1e-6)
