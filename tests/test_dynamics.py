"""ganlab.dynamics: the Dirac-GAN's field, Jacobian, update operators and trajectories,
against the closed forms of Mescheder, Geiger & Nowozin 2018 and finite differences."""

import math

import pytest
import torch
from torch.testing import assert_close

from ganlab.dynamics import LOSSES, dirac_field, dirac_jacobian, simulate, update_eigenvalues

F1 = {"minimax": 0.5, "nonsaturating": 0.5, "wasserstein": 1.0}   # f'(0)
F2 = {"minimax": -0.25, "nonsaturating": -0.25, "wasserstein": 0.0}  # f''(0)


def _sorted(eig):
    eig = torch.as_tensor(eig, dtype=torch.complex128)
    return eig[torch.argsort(eig.imag * 1e6 + eig.real)]


def _closed_field(loss, theta, psi):
    """v = (-dL_G/dtheta, -dL_D/dpsi) written by hand (course's sign convention)."""
    s = torch.sigmoid
    if loss == "minimax":
        return psi * s(psi * theta), -theta * s(psi * theta)
    if loss == "nonsaturating":
        return psi * s(-psi * theta), -theta * s(psi * theta)
    return psi + 0 * theta, -theta + 0 * psi


@pytest.mark.parametrize("loss", LOSSES)
def test_field_matches_the_hand_derivatives_on_a_grid(loss, device):
    theta, psi = torch.meshgrid(torch.linspace(-2, 2, 7, device=device),
                                torch.linspace(-1.5, 2.5, 5, device=device), indexing="ij")
    v = dirac_field(theta, psi, loss=loss)
    assert v.shape == (7, 5, 2) and v.device.type == device.type
    want = _closed_field(loss, theta.double(), psi.double())
    assert_close(v[..., 0], want[0])
    assert_close(v[..., 1], want[1])
    # the grid is only a batch: each point equals its own evaluation
    assert_close(v[3, 2], dirac_field(float(theta[3, 2]), float(psi[3, 2]), loss=loss))


@pytest.mark.parametrize("loss", LOSSES)
def test_unregularised_eigenvalues_are_plus_minus_i_f_prime(loss):
    J = dirac_jacobian(loss)
    f1 = F1[loss]
    assert_close(J, torch.tensor([[0.0, f1], [-f1, 0.0]], dtype=torch.float64))
    assert_close(_sorted(torch.linalg.eigvals(J)), _sorted([-1j * f1, 1j * f1]))


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("gamma", [0.1, 0.3, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("penalty", ["r1", "r2"])
def test_zero_centred_penalty_eigenvalues(loss, gamma, penalty):
    f1 = F1[loss]
    root = torch.tensor(gamma ** 2 / 4 - f1 ** 2, dtype=torch.complex128).sqrt()
    want = _sorted(torch.stack([-gamma / 2 + root, -gamma / 2 - root]))
    got = torch.linalg.eigvals(dirac_jacobian(loss, **{penalty: gamma}))
    assert_close(_sorted(got), want)
    assert bool((got.real < 0).all())


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sigma", [0.3, 0.7, 2.0])
def test_instance_noise_eigenvalues(loss, sigma):
    f1, f2 = F1[loss], F2[loss]
    root = torch.tensor(f2 ** 2 * sigma ** 4 - f1 ** 2, dtype=torch.complex128).sqrt()
    want = _sorted(torch.stack([f2 * sigma ** 2 + root, f2 * sigma ** 2 - root]))
    assert_close(_sorted(torch.linalg.eigvals(dirac_jacobian(loss, instance_noise=sigma))), want)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("gamma", [0.1, 0.5, 1.0, 4.0])
def test_consensus_eigenvalues(loss, gamma):
    # J = [[0, c], [-c, 0]], so J^T J = c^2 I and J - gamma J^T J = [[-gamma c^2, c],
    # [-c, -gamma c^2]]: eigenvalues -gamma c^2 +- i c, the rotation kept, a damping added
    c = F1[loss]
    J = dirac_jacobian(loss, consensus=gamma)
    assert_close(J, torch.tensor([[-gamma * c ** 2, c], [-c, -gamma * c ** 2]],
                                 dtype=torch.float64))
    want = _sorted([-gamma * c ** 2 - 1j * c, -gamma * c ** 2 + 1j * c])
    assert_close(_sorted(torch.linalg.eigvals(J)), want)


@pytest.mark.parametrize("loss", LOSSES)
def test_consensus_on_top_of_r1_is_j_minus_gamma_jt_j(loss):
    # with R1 (weight g): J = [[0, c], [-c, -g]], J^T J = [[c^2, c g], [c g, c^2 + g^2]]
    c, g, gamma = F1[loss], 0.3, 0.8
    want = torch.tensor([[-gamma * c ** 2, c - gamma * c * g],
                         [-c - gamma * c * g, -g - gamma * (c ** 2 + g ** 2)]],
                        dtype=torch.float64)
    assert_close(dirac_jacobian(loss, r1=g, consensus=gamma), want)


def test_consensus_field_matches_the_hand_gradient_off_the_equilibrium():
    # minimax: v = (psi s, -theta s), s = sigmoid(psi theta); L = (psi^2 + theta^2) s^2 / 2,
    # dL/dtheta = theta s^2 + (psi^2 + theta^2) s s' psi, dL/dpsi likewise with theta <-> psi
    gamma = 0.8
    theta, psi = torch.meshgrid(torch.linspace(-2, 2, 5, dtype=torch.float64),
                                torch.linspace(-1.5, 2.5, 4, dtype=torch.float64),
                                indexing="ij")
    s = torch.sigmoid(psi * theta)
    ds, n = s * (1 - s), psi ** 2 + theta ** 2
    want = torch.stack([psi * s - gamma * (theta * s ** 2 + n * s * ds * psi),
                        -theta * s - gamma * (psi * s ** 2 + n * s * ds * theta)], dim=-1)
    assert_close(dirac_field(theta, psi, loss="minimax", consensus=gamma), want)
    # WGAN's field is linear, v = (psi, -theta): consensus adds -gamma (theta, psi)
    v = dirac_field(theta, psi, loss="wasserstein", consensus=gamma)
    assert_close(v, torch.stack([psi - gamma * theta, -theta - gamma * psi], dim=-1))


@pytest.mark.parametrize("gamma", [0.3, 1.0, 3.0])
def test_consensus_step_size_boundary(gamma):
    # |1 + h(-a +- i c)|^2 < 1 with a = gamma c^2  <=>  h < 2a / (a^2 + c^2)
    #                                              = 2 gamma / (gamma^2 c^2 + 1)
    c = F1["minimax"]
    h_max = 2 * gamma / (gamma ** 2 * c ** 2 + 1)
    J = dirac_jacobian("minimax", consensus=gamma)
    assert float(update_eigenvalues(J, 0.99 * h_max).abs().max()) < 1
    assert float(update_eigenvalues(J, 1.01 * h_max).abs().max()) > 1
    assert float(update_eigenvalues(J, h_max).abs().max()) == pytest.approx(1.0)
    start = 1e-3
    inside = simulate(start, start, loss="minimax", consensus=gamma, lr=0.9 * h_max, steps=2000)
    outside = simulate(start, start, loss="minimax", consensus=gamma, lr=1.1 * h_max, steps=400)
    assert float(inside[-1].norm()) < 1e-3 * start
    assert float(outside[-1].norm()) > 3 * start


def test_consensus_converges_from_afar_with_both_schemes():
    # the released Dirac-GAN notebook's setting: GAN_Consensus(1.), h = 0.2, from (1, 1)
    for scheme in ("simultaneous", "alternating"):
        path = simulate(1.0, 1.0, loss="minimax", consensus=1.0, lr=0.2, steps=300, scheme=scheme)
        assert float(path[-1].norm()) < 1e-4, scheme


@pytest.mark.parametrize("kw", [{}, {"r1": 0.7}, {"r2": 1.3}, {"instance_noise": 0.5},
                                {"r1": 0.2, "instance_noise": 1.0}, {"consensus": 0.4},
                                {"consensus": 1.5, "r1": 0.3},
                                {"consensus": 0.6, "instance_noise": 0.8}])
@pytest.mark.parametrize("loss", LOSSES)
def test_jacobian_matches_central_differences_of_the_field(loss, kw):
    eps = 1e-5
    columns = []
    for direction in torch.eye(2, dtype=torch.float64):
        plus = dirac_field(eps * direction[0], eps * direction[1], loss=loss, **kw)
        minus = dirac_field(-eps * direction[0], -eps * direction[1], loss=loss, **kw)
        columns.append((plus - minus) / (2 * eps))
    assert_close(dirac_jacobian(loss, **kw), torch.stack(columns, dim=1), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("h", [0.01, 0.2, 1.0])
def test_simultaneous_steps_spiral_out_for_every_rate(loss, h):
    eig = update_eigenvalues(dirac_jacobian(loss), h)
    assert_close(eig.abs(), torch.full((2,), math.sqrt(1 + h ** 2 * F1[loss] ** 2),
                                       dtype=torch.float64))
    assert_close(_sorted(eig), _sorted([1 - 1j * h * F1[loss], 1 + 1j * h * F1[loss]]))


@pytest.mark.parametrize("n_critic, h_g, h_d", [(1, 0.2, 0.2), (5, 0.1, 0.3), (1, 1.5, 1.5),
                                                 (4, 1.0, 1.2)])
def test_alternating_steps_closed_form(n_critic, h_g, h_d):
    # alpha = sqrt(n h_g h_d) f'(0): eigenvalues 1 - a^2/2 +- sqrt((1 - a^2/2)^2 - 1)
    f1 = F1["wasserstein"]
    alpha2 = n_critic * h_g * h_d * f1 ** 2
    root = torch.tensor((1 - alpha2 / 2) ** 2 - 1, dtype=torch.complex128).sqrt()
    want = _sorted(torch.stack([1 - alpha2 / 2 + root, 1 - alpha2 / 2 - root]))
    got = update_eigenvalues(dirac_jacobian("wasserstein"), (h_g, h_d), "alternating",
                             n_critic=n_critic)
    assert_close(_sorted(got), want)
    radius = float(got.abs().max())
    assert (radius == pytest.approx(1.0)) == (alpha2 <= 4)   # on the circle while alpha <= 2
    assert radius >= 1 - 1e-12                               # never inside it: no convergence


@pytest.mark.parametrize("gamma", [0.3, 1.0, 3.0])
def test_r1_step_size_boundary(gamma):
    # |1 + h lambda| < 1 for every eigenvalue iff h < min over lambda of -2 Re(lambda) / |lambda|^2
    eig = torch.linalg.eigvals(dirac_jacobian("minimax", r1=gamma))
    h_max = float((-2 * eig.real / eig.abs() ** 2).min())
    J = dirac_jacobian("minimax", r1=gamma)
    assert float(update_eigenvalues(J, 0.98 * h_max).abs().max()) < 1
    assert float(update_eigenvalues(J, 1.02 * h_max).abs().max()) > 1
    start = torch.tensor([0.05, -0.05], dtype=torch.float64)
    inside = simulate(start[0], start[1], loss="minimax", r1=gamma, lr=0.9 * h_max, steps=3000)
    outside = simulate(start[0], start[1], loss="minimax", r1=gamma, lr=1.1 * h_max, steps=300)
    assert float(inside[-1].norm()) < 1e-3 * float(start.norm())
    assert float(outside[-1].norm()) > 3 * float(start.norm())   # moves away (then saturates)


def test_simulate_is_the_update_operator_on_a_linear_field():
    # WGAN + R1 has a linear field: one step from e1 and e2 gives the update matrix
    for scheme, n_critic, lr in (("simultaneous", 1, 0.3), ("alternating", 3, (0.2, 0.4))):
        ends = [simulate(t, p, loss="wasserstein", r1=0.5, lr=lr, steps=1, scheme=scheme,
                         n_critic=n_critic)[-1] for t, p in ((1.0, 0.0), (0.0, 1.0))]
        F = torch.stack(ends, dim=1)
        want = update_eigenvalues(dirac_jacobian("wasserstein", r1=0.5), lr, scheme,
                                  n_critic=n_critic)
        assert_close(_sorted(torch.linalg.eigvals(F)), _sorted(want))


def test_simulate_wgan_distance_grows_by_the_predicted_factor():
    h = 0.2
    path = simulate(1.0, 1.0, loss="wasserstein", lr=h, steps=50)
    assert path.shape == (51, 2)
    ratio = path[1:].norm(dim=-1) / path[:-1].norm(dim=-1)
    assert_close(ratio, torch.full((50,), math.sqrt(1 + h ** 2), dtype=torch.float64))


def test_simulate_many_starts_at_once_and_clipping():
    theta0 = torch.linspace(-1, 1, 4)
    path = simulate(theta0, 0.5, loss="wasserstein", lr=0.3, steps=40, clip=0.6,
                    scheme="alternating", n_critic=2)
    assert path.shape == (41, 4, 2)
    assert float(path[..., 1].abs().max()) <= 0.6 + 1e-12
    one = simulate(float(theta0[1]), 0.5, loss="wasserstein", lr=0.3, steps=40, clip=0.6,
                   scheme="alternating", n_critic=2)
    assert_close(path[:, 1], one)


def test_clipped_field_drops_only_outward_motion():
    v = dirac_field(torch.tensor([1.0, -1.0, 1.0]), torch.tensor([-0.5, -0.5, 0.2]),
                    loss="wasserstein", clip=0.5)
    # psi' = -theta: at psi = -0.5 it points outward for theta = 1, inward for theta = -1
    assert_close(v[:, 1], torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64))


def test_wgan_gp_has_no_jacobian_and_does_not_settle_at_the_equilibrium():
    with pytest.raises(ValueError, match="gp=0.5.*not differentiable"):
        dirac_jacobian("wasserstein", gp=0.5)
    path = simulate(1.0, 1.0, loss="wasserstein", gp=0.5, lr=0.1, steps=2000)
    late = path[-500:].norm(dim=-1)
    assert float(late.min()) > 0.1            # it keeps away from (0, 0)
    # the penalty pulls |psi| to 1, not 0: at theta = 0 the critic rests at psi = +-1
    v = dirac_field(0.0, torch.tensor([-1.0, 1.0]), loss="wasserstein", gp=0.5)
    assert_close(v[:, 1], torch.zeros(2, dtype=torch.float64))
    assert_close(v[:, 0], torch.tensor([-1.0, 1.0], dtype=torch.float64))


def test_r1_converges_from_afar_and_unregularised_does_not():
    r1 = simulate(1.0, 1.0, loss="nonsaturating", r1=0.3, lr=0.2, steps=1000)
    plain = simulate(1.0, 1.0, loss="minimax", lr=0.2, steps=1000)
    alternating = simulate(1.0, 1.0, loss="minimax", lr=0.2, steps=1000, scheme="alternating")
    assert float(r1[-1].norm()) < 1e-3
    assert float(plain[-1].norm()) > float(plain[0].norm())
    radius = alternating.norm(dim=-1)
    assert float(radius.min()) > 0.9 * float(radius[0])


@pytest.mark.parametrize("call, message", [
    (lambda: dirac_field(0.0, 0.0, loss="hinge"), "loss must be one of minimax"),
    (lambda: dirac_field(0.0, 0.0, loss="minimax", r1=-1.0), "r1 must be a finite non-negative"),
    (lambda: dirac_field(0.0, 0.0, loss="minimax", r2=math.nan), "r2 must be"),
    (lambda: dirac_field(0.0, 0.0, loss="minimax", gp=-0.1), "gp must be"),
    (lambda: dirac_field(0.0, 0.0, loss="minimax", clip=0.0), "clip must be a finite positive"),
    (lambda: dirac_field(0.0, 0.0, loss="minimax", instance_noise=-1), "instance_noise must"),
    (lambda: dirac_field(0.0, 0.0, loss="minimax", consensus=-0.5), "consensus must be a finite"),
    (lambda: dirac_jacobian("minimax", consensus=math.inf), "consensus must be"),
    (lambda: simulate(1.0, 1.0, loss="minimax", lr=0.1, steps=3, consensus=math.nan),
     "consensus must be"),
    (lambda: dirac_field(torch.tensor([math.nan]), 0.0, loss="minimax"), "theta contains NaN"),
    (lambda: dirac_field(torch.zeros(3), torch.zeros(2), loss="minimax"), "theta and psi must"),
    (lambda: dirac_jacobian("wgan"), "loss must be one of"),
    (lambda: dirac_jacobian("minimax", r1=-2.0), "r1 must be"),
    (lambda: update_eigenvalues(torch.eye(3), 0.1), "J must be a 2 x 2"),
    (lambda: update_eigenvalues(torch.eye(2), -0.1), "lr must be a finite positive"),
    (lambda: update_eigenvalues(torch.eye(2), (0.1, 0.2, 0.3)), "lr must be one rate or a pair"),
    (lambda: update_eigenvalues(torch.eye(2), (0.1, 0.0)), "critic's rate"),
    (lambda: update_eigenvalues(torch.eye(2), 0.1, "leapfrog"), "scheme must be one of"),
    (lambda: update_eigenvalues(torch.eye(2), 0.1, n_critic=5), "needs scheme='alternating'"),
    (lambda: simulate(1.0, 1.0, loss="minimax", lr=0.1, steps=0), "steps must be a positive"),
    (lambda: simulate(1.0, 1.0, loss="minimax", lr=0.1, steps=3, n_critic=0), "n_critic must"),
    (lambda: simulate(1.0, 1.0, loss="minimax", lr=0.1, steps=3, n_critic=2),
     "needs scheme='alternating'"),
    (lambda: simulate(1.0, math.inf, loss="minimax", lr=0.1, steps=3), "psi0 contains NaN"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="theta must"):
        dirac_field(True, 0.0, loss="minimax")
    with pytest.raises(TypeError, match="psi must"):
        dirac_field(0.0, "x", loss="minimax")
    with pytest.raises(TypeError, match="J must hold real numbers"):
        update_eigenvalues(torch.eye(2, dtype=torch.complex64), 0.1)


def test_toy_script_measures_a_tiny_run(load_script):
    script = load_script("train_convergence_toy")
    run = script.train_one("nonsaturating-r1", seed=3, steps=4, every=2)
    assert run["snapshot_steps"] == [2, 4] and len(run["move"]) == len(run["w1_step"]) == 1
    assert len(run["w1_data"]) == 2 and run["move"][0] > 0 and run["w1_step"][0] > 0
    assert script.late_mean([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]) == 7.5


def test_shipped_toy_runs_are_checksummed_and_complete():
    import json

    from ganlab.data import verify

    toy = json.loads(verify("convergence_toy.json").read_text())
    for method in ("nonsaturating", "nonsaturating-r1", "wgan-gp"):
        mine = [r for r in toy["runs"] if r["method"] == method]
        assert sorted(r["seed"] for r in mine) == list(range(len(mine))) and len(mine) >= 10
        for r in mine:
            n = toy["settings"]["steps"] // toy["settings"]["snapshot_every"]
            assert len(r["w1_data"]) == n and len(r["move"]) == n - 1
