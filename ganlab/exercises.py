"""Checked exercises: ``check(exercise_id, obj)`` and the learner copies of the notebooks.

Used by every notebook's exercise cells and by ``ganlab exercises build|check``.

In an instructor notebook an exercise cell holds the solution between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers); the next cell calls
``ganlab.exercises.check("<notebook>.<name>", obj)``. A checker runs the learner's object on
several inputs, edge cases included, against reference behaviour from ``ganlab`` itself
(or SciPy), prints one line when everything holds, and otherwise raises ``ExerciseError``
saying which input and which property failed and what came back -- never the answer.

``build_learner_copy`` replaces each solution by ``raise NotImplementedError(...)`` and
clears all outputs; ``check_notebooks`` executes learner copies and reports each exercise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from . import _checks

__all__ = ["BEGIN", "END", "ExerciseError", "KNOWN", "POINTS", "build_learner_copy", "check",
           "check_notebooks", "exercises_only", "grade_id", "grade_notebooks",
           "nbgrader_metadata"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your solution")'


class ExerciseError(AssertionError):
    """The learner's answer does not behave as the exercise asks."""


def _require(ok: bool, what: str, expected: str, got) -> None:
    if not ok:
        raise ExerciseError(f"{what}: expected {expected}; got {got}")


def _f64(*values):
    return [torch.tensor(v, dtype=torch.float64) for v in values]


def _random_pair(seed: int, n: int = 8):
    g = torch.Generator().manual_seed(seed)
    p = torch.rand(n, generator=g, dtype=torch.float64) + 0.05
    q = torch.rand(n, generator=g, dtype=torch.float64) + 0.05
    return p / p.sum(), q / q.sum()


def _close(got, want, tol) -> bool:
    try:
        got = torch.as_tensor(got, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    return got.shape == torch.as_tensor(want).shape and bool(
        torch.allclose(got, torch.as_tensor(want, dtype=torch.float64), atol=tol, rtol=0))


# ---------------------------------------------------------------- 00 ------------------------
def _to_unit_range(fn: Callable) -> int:
    x = torch.tensor([-1.0, 0.0, 1.0, 0.5])
    got = fn(x)
    _require(_close(got, (x + 1) / 2, 1e-6), "to_unit_range([-1, 0, 1, 0.5])",
             "the map that sends -1 to 0 and 1 to 1, linearly", got)
    return 1


# ---------------------------------------------------------------- 01 ------------------------

def _jensen_shannon(fn: Callable) -> int:
    from scipy.spatial.distance import jensenshannon

    for seed in range(3):
        p, q = _random_pair(seed)
        got = float(fn(p, q))
        _require(math.isclose(got, jensenshannon(p, q) ** 2, abs_tol=1e-10),
                 f"jensen_shannon on random distributions (seed {seed})",
                 "the 1/2-normalised JSD in nats (scipy's jensenshannon squared)", got)
    half = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    got = float(fn(half, half.flip(0)))
    _require(math.isclose(got, math.log(2), abs_tol=1e-10), "jensen_shannon on disjoint supports",
             "the maximum of the JSD (mind 0 log 0 = 0)", got)
    got = float(fn(half, half))
    _require(abs(got) < 1e-12, "jensen_shannon(p, p)", "0", got)
    return 5


def _nonsaturating_loss(fn: Callable) -> int:
    s = torch.tensor([-3.0, 0.0, 2.5])
    got = fn(s)
    _require(_close(got, torch.nn.functional.softplus(-s).mean(), 1e-5),
             "nonsaturating_loss([-3, 0, 2.5])", "the mean of -log sigmoid(s)", got)
    got = fn(torch.tensor([-1000.0]))
    _require(bool(torch.isfinite(torch.as_tensor(got))) and abs(float(got) - 1000) < 1e-3,
             "nonsaturating_loss([-1000])", "a finite value (write it with softplus)", got)
    s = torch.tensor([-8.0], requires_grad=True)
    fn(s).backward()
    _require(s.grad is not None and abs(s.grad.item() + 1) < 1e-3,
             "d nonsaturating_loss / d s at s = -8", "a gradient near -1 (no saturation)",
             None if s.grad is None else s.grad.item())
    return 3


# ---------------------------------------------------------------- 02 ------------------------

def _pearson_chi2(fn: Callable) -> int:
    from .divergences import f_divergence

    for seed in range(3):
        p, q = _random_pair(seed, 7)
        got = float(fn(p, q))
        _require(math.isclose(got, f_divergence(p, q, "pearson"), abs_tol=1e-12),
                 f"pearson_chi2 on random distributions (seed {seed})",
                 "sum_i q_i (p_i/q_i - 1)^2", got)
    got = float(fn(q, q))
    _require(got == 0.0, "pearson_chi2(q, q)", "0", got)
    return 4


def _fgan_objective(fn: Callable) -> int:
    from . import divergences, losses

    g = torch.Generator().manual_seed(0)
    v_r, v_f = torch.randn(64, generator=g), torch.randn(64, generator=g)
    for name in ("kl", "pearson", "jensen-shannon", "reverse-kl"):
        want = -losses.get(f"fgan-{name}").discriminator(v_r, v_f)
        got = fn(v_r, v_f, divergences.get(name))
        _require(_close(got, want, 1e-5), f"fgan_objective with the {name} row",
                 "mean g_f(V(real)) - mean f*(g_f(V(fake)))", got)
    return 4


# ---------------------------------------------------------------- 03 ------------------------

def _plan_cost(fn: Callable) -> int:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(4, 2))
    plan = rng.random((5, 4))
    want = float(np.sum(plan * np.linalg.norm(x[:, None] - y[None], axis=-1)))
    got = fn(plan, x, y)
    _require(math.isclose(float(got), want, rel_tol=1e-9), "plan_cost on a random plan",
             "sum_ij plan_ij * ||x_i - y_j|| (Euclidean, not squared)", got)
    got = fn(np.eye(3) / 3, np.zeros((3, 2)), np.zeros((3, 2)))
    _require(float(got) == 0.0, "plan_cost with all points equal", "0", got)
    return 2


def _w1_sorted(fn: Callable) -> int:
    from .transport import wasserstein1

    for seed in range(3):
        r = np.random.default_rng(seed)
        u, v = r.normal(size=100), r.exponential(size=100)
        got = float(fn(u, v))
        _require(math.isclose(got, wasserstein1(u, v), rel_tol=1e-9),
                 f"w1_sorted on two samples of 100 (seed {seed})",
                 "the exact W1 between the samples", got)
    return 3


# ---------------------------------------------------------------- 04 ------------------------

def _wgan_losses(fn: Callable) -> int:
    from .losses import get

    w = get("wasserstein")
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(32, generator=g), torch.randn(32, generator=g) + 1
    d_loss, g_loss = fn(real, fake)
    _require(_close(d_loss, w.discriminator(real, fake), 1e-6), "wgan_losses: critic loss",
             "the quantity the critic minimises (no logs, no sigmoid)", d_loss)
    _require(_close(g_loss, w.generator(fake), 1e-6), "wgan_losses: generator loss",
             "the quantity the generator minimises", g_loss)
    return 2



# ---------------------------------------------------------------- 05 ------------------------
def _interpolates(fn: Callable) -> int:
    g = torch.Generator().manual_seed(0)
    for shape in ((64, 3), (64, 1, 5, 5)):
        real, fake = torch.randn(shape, generator=g), torch.randn(shape, generator=g) + 2
        x = fn(real, fake, torch.Generator().manual_seed(1))
        where = f"interpolates on batches of shape {shape}"
        _require(isinstance(x, torch.Tensor) and x.shape == real.shape, where,
                 "a tensor of the same shape", getattr(x, "shape", type(x).__name__))
        d, t = (real - fake).flatten(1), (x - fake).flatten(1)
        eps = (t * d).sum(1) / (d * d).sum(1)  # the best eps per sample
        _require(_close(t, eps[:, None] * d, 1e-5), where,
                 "each sample on the segment fake -> real, one eps for all its coordinates",
                 "points off their segments")
        _require(bool((eps >= -1e-6).all() and (eps <= 1 + 1e-6).all()), where,
                 "eps in [0, 1]", f"eps from {eps.min():.3f} to {eps.max():.3f}")
        _require(bool(eps.std() > 0.1), where, "a different eps ~ U[0, 1] for each sample",
                 f"eps with standard deviation {eps.std():.3f}")
    return 8


def _gradient_penalty(fn: Callable) -> int:
    real = torch.randn(32, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    fake = torch.randn(32, 1, 2, 2, generator=torch.Generator().manual_seed(1)) + 1
    for norm in (2.0, 0.5):
        critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1, bias=False))
        with torch.no_grad():
            critic[1].weight.fill_(norm / 2)  # ||w|| = norm over the 4 pixels
        got = fn(critic, real, fake)
        where = f"gradient_penalty for D(x) = w.x on 1x2x2 images, ||w|| = {norm}"
        _require(_close(got, (norm - 1) ** 2, 1e-5), where,
                 "(||w|| - 1)^2: the norm over all pixels, two-sided", got)
        _require(getattr(got, "requires_grad", False), where + ", backpropagated",
                 "a result that keeps its graph (create_graph=True)", "no graph")
        got.backward()
        want = 2 * (norm - 1) * critic[1].weight.detach() / norm
        _require(critic[1].weight.grad is not None and _close(critic[1].weight.grad, want, 1e-5),
                 where + ", backpropagated", "the penalty's gradient to reach the weights "
                 "(keep the graph: create_graph=True)", critic[1].weight.grad)

    class Norm(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1).norm(dim=1)

    got = fn(Norm(), real, fake)
    _require(_close(got, 0.0, 1e-5), "gradient_penalty for D(x) = ||x||", "0 (unit gradient)",
             got)
    return 7



# ---------------------------------------------------------------- 06 ------------------------
def _power_step(fn: Callable) -> int:
    from .spectral import power_iteration

    g = torch.Generator().manual_seed(0)
    W = torch.randn(6, 9, generator=g, dtype=torch.float64)
    u = torch.nn.functional.normalize(torch.randn(6, generator=g, dtype=torch.float64), dim=0)
    got = fn(W, u)
    _require(isinstance(got, tuple) and len(got) == 3, "power_step(W, u)", "(sigma, u_new, v)",
             type(got).__name__)
    sigma, u_new, v = got
    v_want = torch.nn.functional.normalize(W.T @ u, dim=0)
    u_want = torch.nn.functional.normalize(W @ v_want, dim=0)
    _require(_close(v, v_want, 1e-9), "power_step(W, u): v", "W^T u normalised to length 1", v)
    _require(_close(u_new, u_want, 1e-9), "power_step(W, u): u_new",
             "W v normalised to length 1", u_new)
    _require(_close(sigma, u_want @ W @ v_want, 1e-9), "power_step(W, u): sigma",
             "u_new^T W v", sigma)
    top = torch.linalg.svdvals(W)[0].item()
    for _ in range(100):
        sigma, u, _v = fn(W, u)
    _require(abs(float(sigma) - top) < 1e-6 * top, "100 power steps",
             "the top singular value (torch.linalg.svdvals)", float(sigma))
    _require(_close(power_iteration(W, u, 0)[0], top, 1e-6), "100 power steps: u",
             "the top left singular vector", u)
    return 5


def _spectral_bound(fn: Callable) -> int:
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(8, 3, generator=g), 3 * torch.randn(8, 8, generator=g),
               torch.randn(1, 8, generator=g)]
    want = math.prod(torch.linalg.svdvals(w.double())[0].item() for w in weights)
    got = fn(weights)
    _require(_close(got, want, 1e-4 * want), "spectral_bound of three layers",
             "the product of the top singular values", got)
    _require(_close(fn([torch.eye(4)]), 1.0, 1e-6), "spectral_bound([identity])", "1",
             fn([torch.eye(4)]))
    return 2



# ---------------------------------------------------------------- 07 ------------------------
def _feature_matching(fn: Callable) -> int:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(20, 3, 2, generator=g, requires_grad=True)
    fake = torch.randn(20, 3, 2, generator=g, requires_grad=True)
    got = fn(real, fake)
    want = ((real.detach().flatten(1).mean(0) - fake.detach().flatten(1).mean(0)) ** 2).sum()
    _require(_close(got, want, 1e-6), "feature_matching on (20, 3, 2) features",
             "the squared distance between the mean feature vectors", got)
    _require(_close(fn(real, real.flip(0)), 0.0, 1e-6), "feature_matching(f, f shuffled)",
             "0 (same mean)", fn(real, real.flip(0)))
    got.backward()
    _require(real.grad is None or bool((real.grad == 0).all()), "feature_matching: gradients",
             "none into the real features (detach them)", "a gradient")
    _require(fake.grad is not None and bool(fake.grad.abs().sum() > 0),
             "feature_matching: gradients", "a gradient into the generated features", "none")
    return 4


def _truncated_noise(fn: Callable) -> int:
    z = fn(4000, 3, 0.7, torch.Generator().manual_seed(0))
    _require(isinstance(z, torch.Tensor) and z.shape == (4000, 3),
             "truncated_noise(4000, 3, 0.7)", "a (4000, 3) tensor", getattr(z, "shape", z))
    _require(bool(z.abs().max() <= 0.7), "truncated_noise(4000, 3, 0.7)",
             "every |z| <= 0.7", f"a largest |z| of {z.abs().max():.3f}")
    # a normal truncated to [-a, a] has variance 1 - 2a phi(a) / (2 Phi(a) - 1)
    a = 0.7
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    var = 1 - 2 * a * phi / math.erf(a / math.sqrt(2))
    _require(abs(z.var().item() - var) < 0.01, "truncated_noise(4000, 3, 0.7)",
             f"the variance of a truncated normal ({var:.3f}): redraw, do not clamp or rescale",
             f"{z.var().item():.3f}")
    again = fn(4000, 3, 0.7, torch.Generator().manual_seed(0))
    _require(torch.equal(z, again), "truncated_noise with the same generator seed",
             "the same draws (use `generator` for every draw)", "different draws")
    return 4


# ---------------------------------------------------------------- 08 ------------------------
def _projection_score(fn: Callable) -> int:
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    psi, embed = torch.nn.Linear(6, 1), torch.nn.Embedding(4, 6)
    h, y = torch.randn(5, 6, generator=g), torch.tensor([0, 3, 1, 3, 2])
    got = fn(h, y, psi, embed)
    want = psi(h).squeeze(-1) + (embed.weight[y] * h).sum(1)
    _require(isinstance(got, torch.Tensor) and got.shape == (5,),
             "projection_score on 5 samples", "a (5,) tensor of scores", getattr(got, "shape", got))
    _require(_close(got, want, 1e-5), "projection_score",
             "psi(h) + <embed(y), h> for each sample (the inner product, not a product of sums)",
             got)
    other = fn(h, (y + 1) % 4, psi, embed)
    _require(_close(other, psi(h).squeeze(-1) + (embed.weight[(y + 1) % 4] * h).sum(1), 1e-5),
             "projection_score with other labels", "a score that uses each sample's own label",
             other)
    return 3


def _attention(fn: Callable) -> int:
    g = torch.Generator().manual_seed(0)
    theta, phi = torch.randn(2, 3, 12, generator=g), torch.randn(2, 3, 4, generator=g)
    values = torch.randn(2, 5, 4, generator=g)
    out = fn(theta, phi, values)
    _require(isinstance(out, tuple) and len(out) == 2, "attention(theta, phi, g)",
             "a pair (o, beta)", type(out).__name__)
    o, beta = out
    want_beta = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)
    _require(getattr(beta, "shape", None) == (2, 12, 4), "attention: beta",
             "shape (N, HW, keys) = (2, 12, 4)", getattr(beta, "shape", beta))
    _require(_close(beta.sum(-1), torch.ones(2, 12), 1e-5), "attention: beta",
             "each query's weights over the keys summing to 1 (softmax over the keys)",
             "rows that do not sum to 1")
    _require(_close(beta, want_beta, 1e-5), "attention: beta",
             "softmax over keys of theta^T phi", "other weights")
    _require(_close(o, values @ want_beta.transpose(1, 2), 1e-5), "attention: o",
             "g beta^T, shape (N, C_g, HW)", getattr(o, "shape", o))
    return 4


def _orthogonal_penalty(fn: Callable) -> int:
    g = torch.Generator().manual_seed(0)
    W = torch.randn(4, 6, generator=g, requires_grad=True)
    got = fn(W)
    gram = W.detach() @ W.detach().T
    want = (gram * (1 - torch.eye(4))).pow(2).sum()
    _require(_close(got, want, 1e-4), "orthogonal_penalty on a (4, 6) W",
             "||W W^T * (1 - I)||_F^2 (off-diagonal Gram entries only)", got)
    q, _ = torch.linalg.qr(torch.randn(6, 4, generator=g))
    scaled = (q.T * torch.tensor([[0.5], [1.0], [2.0], [3.0]]))   # orthogonal rows, any norms
    _require(_close(fn(scaled), 0.0, 1e-5), "orthogonal_penalty on orthogonal rows of norms "
             "0.5, 1, 2, 3", "0: the norms are left free", fn(scaled))
    got.backward()
    _require(_close(W.grad, 4 * (gram * (1 - torch.eye(4))) @ W.detach(), 1e-4),
             "orthogonal_penalty: gradient", "4 (W W^T * (1 - I)) W, through autograd", "other")
    return 3


# ---------------------------------------------------------------- 09 ------------------------
def _pull(fn: Callable) -> int:
    from .losses import get
    from .models import MLP

    torch.manual_seed(0)
    D = MLP(2, 1, width=8, depth=2)
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(1))

    def want(loss_name, points):
        p = points.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(get(loss_name).generator(D(p)) * len(p), p)
        return -grad

    got = fn(D, get("wasserstein"), x)
    _require(isinstance(got, torch.Tensor) and got.shape == (6, 2), "pull on 6 points",
             "a (6, 2) tensor: one arrow per generated point", getattr(got, "shape", got))
    _require(_close(got, want("wasserstein", x), 1e-5), "pull with the Wasserstein loss",
             "-d(N loss_G)/dx = +grad D(x) at each point (the direction that raises the "
             "score; the mean loss times N gives each point its own gradient)", "other arrows")
    got = fn(D, get("nonsaturating"), x)
    _require(_close(got, want("nonsaturating", x), 1e-5), "pull with the non-saturating loss",
             "each point's own gradient, not the batch mean's (multiply the mean loss by N)",
             "arrows scaled by 1/N or otherwise off")
    _require(all(q.grad is None for q in D.parameters()), "pull",
             "no gradient left in D's parameters (torch.autograd.grad, not backward)",
             "D's .grad filled")
    return 4


def _modes_covered(fn: Callable) -> int:
    centres = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    near = centres[[0, 0, 1, 1]] + 0.05
    got = fn(near, centres, 0.1)
    _require(isinstance(got, tuple) and len(got) == 2, "modes_covered",
             "a pair (modes, high-quality fraction)", type(got).__name__)
    _require(got[0] == 2 and abs(got[1] - 1.0) < 1e-9, "4 samples near modes 0 and 1",
             "(2, 1.0)", got)
    far = torch.cat([near, torch.tensor([[2.0, 2.0], [0.0, 0.35]])])
    got = fn(far, centres, 0.1)
    _require(got[0] == 2 and abs(got[1] - 4 / 6) < 1e-9,
             "those 4 and 2 samples more than 3 std from every mode", "(2, 0.667): a far "
             "sample covers no mode and is not high quality", got)
    edge = torch.tensor([[0.29, 0.0], [4.31, 0.0]])
    got = fn(edge, centres, 0.1)
    _require(got[0] == 1 and abs(got[1] - 0.5) < 1e-9, "samples 2.9 and 3.1 std from a mode",
             "(1, 0.5): within 3 std counts, beyond does not", got)
    return 3


# ------------------------------------------- exercises that need a derivation (issue 25) ----
# They replace 01.optimal_discriminator, 02.reverse_kl_conjugate, 03.constraint_matrix and
# 04.clip, whose answers the notebooks print before asking for them.
def _weighted_discriminator(fn: Callable) -> int:
    from .toy import Mixture1D

    x = torch.linspace(-5, 5, 201, dtype=torch.float64)
    p, q = Mixture1D((-1.5, 1.5), (0.4, 0.4)).pdf(x), Mixture1D((0.5,), (1.0,)).pdf(x)
    what = "the D maximising alpha p_data log D + beta p_G log(1 - D) at every x"
    for alpha, beta in ((1.0, 1.0), (3.0, 0.5), (0.2, 2.0)):
        got = fn(p, q, alpha, beta)
        want = alpha * p / (alpha * p + beta * q)
        if not _close(got, want, 1e-9) and _close(got, beta * q / (alpha * p + beta * q), 1e-9):
            raise ExerciseError("weighted_discriminator(p_data, p_G, alpha, beta): your D is "
                                "large where p_G dominates; D(x) is the probability that x is "
                                "*real*")
        if (alpha, beta) != (1.0, 1.0) and _close(got, p / (p + q), 1e-9):
            raise ExerciseError(f"weighted_discriminator(p_data, p_G, {alpha}, {beta}): "
                                f"expected {what}; got a D that does not depend on alpha, beta")
        _require(_close(got, want, 1e-9),
                 f"weighted_discriminator on two 1-D densities, alpha = {alpha}, beta = {beta}",
                 what, "another function of x")
    for a, b, want, where in ((2.0, 0.0, 1.0, "where only the data has mass"),
                              (0.0, 3.0, 0.0, "where only the generator has mass")):
        value = float(torch.as_tensor(fn(*_f64([a], [b]), 2.0, 0.5)).flatten()[0])
        _require(math.isclose(value, want, abs_tol=1e-12),
                 f"weighted_discriminator({a}, {b}, 2.0, 0.5)", f"the maximiser {where}", value)
    return 3


def _alpha_f(u: torch.Tensor, alpha: float) -> torch.Tensor:
    """The alpha-divergence's f(u) = (u^alpha - 1 - alpha (u - 1)) / (alpha (alpha - 1))."""
    return (u ** alpha - 1 - alpha * (u - 1)) / (alpha * (alpha - 1))


def _alpha_conjugate(fn: Callable) -> int:
    u = torch.linspace(0, 60, 600_001, dtype=torch.float64)
    for alpha, where in ((2.0, "smooth"), (2.0, "low"), (1.5, "all"), (3.0, "all")):
        kink = -1 / (alpha - 1)
        t = {"smooth": torch.tensor([kink + 0.2, 0.0, 0.7, 1.5]),
             "low": torch.tensor([kink - 2.0, kink - 0.4]),
             "all": torch.tensor([kink - 1.0, kink + 0.3, 0.0, 1.2])}[where].double()
        numerical = (u[:, None] * t[None, :] - _alpha_f(u, alpha)[:, None]).max(dim=0).values
        got = fn(t, alpha)
        part = {"smooth": "where the maximising u > 0 is a stationary point",
                "low": "where no u > 0 is stationary", "all": "for this alpha"}[where]
        _require(_close(got, numerical, 1e-6),
                 f"alpha_conjugate(t, {alpha}) at t = {[round(v, 2) for v in t.tolist()]} ({part})",
                 "sup over u >= 0 of (u t - f(u))", got)
    return 4


def _kr_potential_1d(fn: Callable) -> int:
    from .transport import wasserstein1

    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=200), rng.gamma(2.0, 1.0, 150) - 1.0, "P = N(0, 1), Q = gamma - 1"),
             (rng.gamma(2.0, 1.0, 120) + 1.0, rng.normal(size=90), "P to the right of Q")]
    for number, (x, y, name) in enumerate(cases):
        z = np.concatenate([x, y, np.linspace(-6.0, 10.0, 161)])
        phi = np.asarray(fn(x, y, z), dtype=float)
        _require(phi.shape == z.shape, f"kr_potential_1d({name})",
                 f"{z.shape[0]} values, one per z", phi.shape)
        if number == 0:
            order = np.argsort(z)
            steep = np.abs(np.diff(phi[order])) - np.diff(z[order])
            _require(bool(steep.max() <= 1e-9), f"kr_potential_1d({name})",
                     "a 1-Lipschitz function: |phi(a) - phi(b)| <= |a - b|",
                     f"a slope of {1 + steep.max():.3f} somewhere")
        gap = phi[: len(x)].mean() - phi[len(x): len(x) + len(y)].mean()
        _require(math.isclose(gap, wasserstein1(x, y), rel_tol=1e-9, abs_tol=1e-12),
                 f"kr_potential_1d({name})", "mean phi(x) - mean phi(y) equal to W1(P, Q) "
                 "(an optimal potential)", f"a gap of {gap:.6f}")
    return 3


def _clipped_lipschitz_bound(fn: Callable) -> int:
    for widths, c in (([2, 16, 16, 1], 0.1), ([3, 5, 7, 2], 0.05)):
        got = float(fn(list(widths), c))
        layers = list(zip(widths, widths[1:], strict=False))
        # a clipped network: every weight equal to c, at an input where every ReLU is on; its
        # output taken along (1, ..., 1) / sqrt(n_L), the Jacobian's top left singular vector
        x = torch.ones(1, widths[0], dtype=torch.float64, requires_grad=True)
        h = x
        for k, (i, o) in enumerate(layers):
            h = h @ torch.full((i, o), c, dtype=torch.float64)
            h = torch.relu(h) if k < len(layers) - 1 else h
        (grad,) = torch.autograd.grad(h.sum() / math.sqrt(widths[-1]), x)
        reached = grad.norm().item()
        _require(got >= reached * (1 - 1e-9), f"clipped_lipschitz_bound({widths}, {c})",
                 "a K no smaller than the Lipschitz constant of any clipped network with these "
                 "widths", f"{got:.4g}, below the gradient norm of a clipped network")
        _require(got <= reached * (1 + 1e-9), f"clipped_lipschitz_bound({widths}, {c})",
                 "the smallest such K (some clipped network should reach it)",
                 f"{got:.4g}, more than any clipped network with these widths can reach")
    _require(math.isclose(float(fn([4, 4], 0.5)), 2.0, rel_tol=1e-9),
             "clipped_lipschitz_bound([4, 4], 0.5)", "the bound for a single 4 x 4 layer",
             float(fn([4, 4], 0.5)))
    return 3
# ---------------------------------------------------------------- 10 ------------------------
def _as_complex_pair(got):
    try:
        values = torch.as_tensor(got if isinstance(got, torch.Tensor) else list(got),
                                 dtype=torch.complex128).flatten()
    except (TypeError, ValueError, RuntimeError):
        return None
    if values.numel() != 2:
        return None
    return values[torch.argsort(values.imag * 1e6 + values.real)]


def _r1_eigenvalues(fn: Callable) -> int:
    cases = [(0.0, 0.5), (0.3, 0.5), (1.0, 0.5), (3.0, 1.0), (2.0, 1.0)]
    for gamma, f1 in cases:
        J = torch.tensor([[0.0, f1], [-f1, -gamma]], dtype=torch.float64)
        want = _as_complex_pair(torch.linalg.eigvals(J))
        got = _as_complex_pair(fn(gamma, f1))
        kind = ("purely imaginary" if gamma == 0 else "real" if gamma > 2 * f1 else
                "a repeated real" if gamma == 2 * f1 else "a complex-conjugate pair")
        _require(got is not None and bool(torch.allclose(got, want, atol=1e-9, rtol=0)),
                 f"r1_eigenvalues(gamma={gamma}, f1={f1})",
                 f"the two eigenvalues of the R1-regularised Jacobian ({kind} here; any order, "
                 "as complex numbers)", got)
    return len(cases)


def _max_stable_lr(fn: Callable) -> int:
    from .dynamics import dirac_jacobian, update_eigenvalues

    def radius(J, h):
        return float(update_eigenvalues(J, h).abs().max())

    checks = 0
    for loss, kw in (("minimax", {"r1": 0.3}), ("minimax", {"r1": 3.0}),
                     ("wasserstein", {"r2": 1.0}), ("nonsaturating", {"instance_noise": 1.0})):
        J = dirac_jacobian(loss, **kw)
        got = fn(J)
        ok = isinstance(got, (int, float, torch.Tensor)) and torch.as_tensor(got).numel() == 1
        h = float(got) if ok else float("nan")
        ok = ok and h > 0 and radius(J, 0.999 * h) < 1 < radius(J, 1.001 * h)
        _require(ok, f"max_stable_lr for {loss} with {kw}",
                 "the rate h* with spectral radius of I + hJ below 1 for every h < h* and above "
                 "1 just past it (a float)", got)
        checks += 1
    got = fn(dirac_jacobian("wasserstein"))
    _require(isinstance(got, (int, float, torch.Tensor)) and float(got) == 0.0,
             "max_stable_lr for the unregularised WGAN (eigenvalues +-i)",
             "0.0: no positive rate is stable when an eigenvalue has real part 0", got)
    return checks + 1


def _instance_noise_jacobian(fn: Callable) -> int:
    from .dynamics import dirac_jacobian

    cases = (("minimax", 0.5, -0.25, 0.7), ("nonsaturating", 0.5, -0.25, 2.0),
             ("wasserstein", 1.0, 0.0, 1.0))
    for loss, f1, f2, sigma in cases:
        got = fn(sigma, f1, f2)
        want = dirac_jacobian(loss, instance_noise=sigma)
        ok = _close(got, want, 1e-9)
        if not ok and _close(got, want.T, 1e-9):
            raise ExerciseError(f"instance_noise_jacobian({sigma}, {f1}, {f2}): this is the "
                                "transpose, the paper's sign convention; rows are the (theta, "
                                "psi) velocities in the course's convention (critic scores "
                                "real data high)")
        _require(ok, f"instance_noise_jacobian(sigma={sigma}, f1={f1}, f2={f2}) ({loss})",
                 "the 2 x 2 Jacobian of the Dirac-GAN's field at (0, 0) with instance noise, "
                 "rows and columns ordered (theta, psi)", got)
    return len(cases)


_CHECKERS: dict[str, Callable[[Callable], int]] = {
    "00.to_unit_range": _to_unit_range,
    "01.jensen_shannon": _jensen_shannon,
    "01.nonsaturating_loss": _nonsaturating_loss,
    "02.pearson_chi2": _pearson_chi2,
    "02.fgan_objective": _fgan_objective,
    "03.plan_cost": _plan_cost,
    "03.w1_sorted": _w1_sorted,
    "04.wgan_losses": _wgan_losses,
    "05.interpolates": _interpolates,
    "05.gradient_penalty": _gradient_penalty,
    "06.power_step": _power_step,
    "06.spectral_bound": _spectral_bound,
    "07.feature_matching": _feature_matching,
    "07.truncated_noise": _truncated_noise,
    "08.projection_score": _projection_score,
    "08.attention": _attention,
    "08.orthogonal_penalty": _orthogonal_penalty,
    "09.pull": _pull,
    "09.modes_covered": _modes_covered,
    "10.r1_eigenvalues": _r1_eigenvalues,
    "10.max_stable_lr": _max_stable_lr,
    "10.instance_noise_jacobian": _instance_noise_jacobian,
}
_CHECKERS.update({"01.weighted_discriminator": _weighted_discriminator,   # issue 25
                  "02.alpha_conjugate": _alpha_conjugate,
                  "03.kr_potential_1d": _kr_potential_1d,
                  "04.clipped_lipschitz_bound": _clipped_lipschitz_bound})
KNOWN = tuple(sorted(_CHECKERS, key=lambda k: k[:2]))  # by notebook; stable within one


def check(exercise_id: str, obj) -> None:
    """Test the learner's ``obj`` for exercise ``exercise_id``; print one line if it passes.

    Raises ExerciseError (what is wrong, not the answer) when it does not, and ValueError for
    an unknown id. A NotImplementedError from an unfinished exercise passes through.
    """
    _checks.one_of("exercise_id", exercise_id, KNOWN, "the course's exercises")
    if not callable(obj):
        raise ExerciseError(f"{exercise_id}: expected a function, got {type(obj).__name__}")
    n_checks = _CHECKERS[exercise_id](obj)
    print(f"{exercise_id}: passed ({n_checks} checks)")


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


# Points per exercise for nbgrader: one per check its checker makes (a test keeps them equal).
POINTS = {"00.to_unit_range": 1, "01.optimal_discriminator": 4, "01.jensen_shannon": 5,
          "01.nonsaturating_loss": 3, "02.reverse_kl_conjugate": 3, "02.pearson_chi2": 4,
          "02.fgan_objective": 4, "03.constraint_matrix": 6, "03.plan_cost": 2,
          "03.w1_sorted": 3, "04.clip": 2, "04.wgan_losses": 2, "05.interpolates": 8,
          "05.gradient_penalty": 7, "06.power_step": 5, "06.spectral_bound": 2,
          "07.feature_matching": 4, "07.truncated_noise": 4, "08.projection_score": 3,
          "08.attention": 4, "08.orthogonal_penalty": 3, "09.pull": 4, "09.modes_covered": 3,
          "10.r1_eigenvalues": 5, "10.max_stable_lr": 5, "10.instance_noise_jacobian": 3}
for _replaced in ("01.optimal_discriminator", "02.reverse_kl_conjugate", "03.constraint_matrix",
                  "04.clip"):  # issue 25: replaced by exercises that need a derivation
    del POINTS[_replaced]
POINTS.update({"01.weighted_discriminator": 3, "02.alpha_conjugate": 4,
               "03.kr_potential_1d": 3, "04.clipped_lipschitz_bound": 3})


def grade_id(exercise_id: str) -> str:
    """nbgrader's name for an exercise's answer cell: the id with "_" for "." (nbgrader
    allows only letters, digits, "_" and "-"), e.g. "07_feature_matching"."""
    return _checks.one_of("exercise_id", exercise_id, KNOWN, "the course's exercises"
                          ).replace(".", "_")


def nbgrader_metadata(nb) -> int:
    """Mark each exercise for nbgrader (schema 3), in place; return how many were marked.

    The solution cell (the one with ``### BEGIN SOLUTION``) becomes an autograded answer
    (``solution``, unlocked, grade_id ``grade_id(id)``, e.g. "07_feature_matching"); the
    code cell after it, which calls ``exercises.check``, an autograder test (``grade``,
    locked, grade_id "<grade_id>_check", ``points`` = the checks it makes).
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
    """Write the learner copy of notebook ``src`` to ``dst``; return the number of exercises."""
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


def exercises_only(nb):
    """A copy of notebook ``nb`` reduced to what its exercises need: one cell with every
    top-level import of the notebook, then each exercise's answer cell and check cell. Grading
    it takes seconds instead of minutes (no training cells). An answer cell is the code cell
    just before a check cell, solved or not; an answer that relies on a name
    defined elsewhere in the notebook (not an import) fails there, so answers must be
    self-contained, as the course's own are (tested)."""
    import ast
    import copy

    import nbformat

    _checks.notebook("nb", nb)
    imports, keep = [], []
    cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell, after in zip(cells, cells[1:] + [None], strict=True):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics and the like: no imports taken from them
            tree = ast.Module(body=[], type_ignores=[])
        imports += [ast.unparse(node) for node in tree.body
                    if isinstance(node, (ast.Import, ast.ImportFrom))]
        if after is not None and _CHECK_CALL.search(after.source) \
                and not _CHECK_CALL.search(cell.source):  # an answer cell (solved or not)
            keep += [copy.deepcopy(cell), copy.deepcopy(after)]
    out = copy.deepcopy(nb)
    preamble = "\n".join(dict.fromkeys(["import ganlab", *imports]))
    out.cells = [nbformat.v4.new_code_cell(preamble), *keep]
    return out


def grade_notebooks(paths: list[Path], *, timeout: int = 900, fast: bool = False) -> list[dict]:
    """Execute notebooks; return one record per exercise (and per other failing cell):
    ``id``, ``notebook``, ``passed``, ``points`` (all or nothing: a checker stops at its first
    failed check), ``max_points`` (``POINTS``) and ``message`` (the error's name and text;
    empty when passed).

    What learners do to a copy is graded, not guessed: an exercise whose check cell was
    deleted, or renamed to another id, is reported as not graded (0 points, the message says
    which call to restore) -- the exercises a notebook must check are known from its number;
    an exercise checked twice (a copied check cell) counts once and passes only if every
    check passes. A cell that fails without checking an exercise gets the id
    ``"<notebook> cell <n>"`` and 0 of 0 points: a learner copy should fail only at its
    exercises. ``fast``: grade ``exercises_only(nb)`` instead of the whole notebook (cell
    numbers then refer to that reduced copy).
    """
    import nbformat

    from .notebooks import execute

    records: list[dict] = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if fast:
            nb = exercises_only(nb)
        execute(nb, path.parent, timeout=timeout, allow_errors=True)
        outcomes: dict[str, list[str]] = {}        # exercise id -> one message per check
        for number, cell in enumerate(nb.cells):
            ids = _CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            message = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else ""
            for exercise_id in ids:
                outcomes.setdefault(exercise_id, []).append(message)
            if errors and not ids:
                records.append(_record(f"{path.name} cell {number}", path.name, message, 0))
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
    """Execute notebooks; return {exercise id: "passed" or the error's name} per check cell
    (``grade_notebooks`` has the points and messages)."""
    return {r["id"]: "passed" if r["passed"] else r["message"].split(":")[0]
            for r in grade_notebooks(paths, timeout=timeout)}
