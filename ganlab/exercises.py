"""Checked exercises: ``check(exercise_id, obj)``, one checker per exercise.

Used by every notebook's exercise cells; the learner copies and the grading that run these
checkers are ``ganlab.grading``.

In an instructor notebook an exercise cell holds the solution between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers); the next cell calls
``ganlab.exercises.check("<notebook>.<name>", obj)``. A checker runs the learner's object on
several inputs, edge cases included, against reference behaviour from ``ganlab`` itself
(or SciPy), prints one line when everything holds, and otherwise raises ``ExerciseError``
saying which input and which property failed and what came back -- never the answer. Each
checker is registered with its points by ``@_exercise(id, points=...)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from ._checks import positive_int
from .registry import Registry

__all__ = ["EXERCISES", "ExerciseError", "KNOWN", "POINTS", "check", "verdict"]


class ExerciseError(AssertionError):
    """The learner's answer does not behave as the exercise asks.

    Raised by :func:`check` (and caught by :func:`verdict`). The message names the input and
    the property that failed and what came back, never the answer. A subclass of
    ``AssertionError``, so a failed check reads like a failed assert.
    """


# Tolerances: relative, loose enough for float32 arithmetic (about 7 digits) wherever the task
# does not ask for float64, and an absolute floor for values that should be 0.
RTOL, ATOL = 1e-5, 1e-7
_PRECISION = "compared to a relative precision of {rtol:g}, which float32 arithmetic meets"


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


def _describe(obj) -> str:
    """What came back, for a message: its type, and its shape if it has one."""
    shape = getattr(obj, "shape", None)
    kind = type(obj).__name__
    return f"a {kind} of shape {tuple(shape)}" if shape is not None else f"a {kind} ({obj!r:.40})"


def _tensor(got, what: str, expected: str) -> torch.Tensor:
    """``got`` as a detached float64 tensor, or an ExerciseError saying what was expected."""
    if isinstance(got, torch.Tensor):
        return got.detach().cpu().double()
    if hasattr(got, "toarray"):                      # a SciPy sparse matrix
        got = got.toarray()
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        raise ExerciseError(f"{what}: expected {expected}; got {_describe(got)}") from None
    return torch.from_numpy(array)


def _scalar(got, what: str, expected: str = "a single number") -> float:
    """``got`` as a float: a Python number, a 0-d tensor or array, or one of shape (1,)."""
    t = _tensor(got, what, expected)
    if t.numel() != 1 or t.dim() > 1:
        raise ExerciseError(f"{what}: expected {expected} (a float or a 0-d tensor: sum or "
                            f"average over the entries, e.g. `.sum()` or `.mean()`); got "
                            f"{_describe(got)}")
    return float(t.reshape(()))


def _near(got: float, want: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return math.isfinite(got) and abs(got - want) <= atol + rtol * abs(want)


def _require_close(got, want, what: str, expected: str, *, rtol: float = RTOL,
                   atol: float = ATOL) -> None:
    """ExerciseError unless ``got`` has ``want``'s shape and matches it to rtol/atol.

    The message names the shape or the first entry off and the precision used, never the
    expected values.
    """
    want = torch.as_tensor(want).detach().cpu().double()
    t = _tensor(got, what, f"a tensor of shape {tuple(want.shape)} ({expected})")
    if t.shape != want.shape:
        if not (want.dim() == 0 and t.numel() == 1 and t.dim() <= 1):
            raise ExerciseError(f"{what}: expected shape {tuple(want.shape)} ({expected}); "
                                f"got {_describe(got)}")
        t = t.reshape(())
    error = (t - want).abs().nan_to_num(nan=math.inf)
    excess = (error - atol - rtol * want.abs()).flatten()
    if bool((excess <= 0).all()):
        return
    i = int(excess.argmax())
    value = float(t.flatten()[i])
    index = [int(k) for k in np.unravel_index(i, tuple(t.shape))]
    where = "" if t.numel() == 1 else f" at index {index}"
    raise ExerciseError(f"{what}: expected {expected}; got {value:.6g}{where} "
                        f"({_PRECISION.format(rtol=rtol)})")


def _parts(got, n: int, what: str, names: str) -> tuple:
    """``got`` as a tuple of ``n`` values (a tuple or a list), or an ExerciseError."""
    if not isinstance(got, (tuple, list)) or len(got) != n:
        raise ExerciseError(f"{what}: expected {n} values {names} (return them as a tuple); "
                            f"got {_describe(got)}")
    return tuple(got)


def _graph_scalar(got, what: str, how: str = "no .detach(), torch.no_grad() or numpy on the way"):
    """``got`` as a one-element tensor that autograd can backpropagate, or an ExerciseError."""
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"{what}: expected a scalar tensor that keeps its graph (no "
                            f"float() or .item(), so it can be backpropagated); got "
                            f"{_describe(got)}")
    if got.numel() != 1:
        raise ExerciseError(f"{what}: expected a scalar tensor (average or sum over the batch, "
                            f"e.g. `.mean()`); got {_describe(got)}")
    if not got.requires_grad:
        raise ExerciseError(f"{what}: expected a result that keeps its graph ({how}); got a "
                            "tensor without one")
    return got.reshape(())


# ------------------------------------------------------- the registry ----------------------
class _Exercise(NamedTuple):
    """One exercise: its checker (``checker(answer) -> None``: it returns when the answer
    passes and raises ExerciseError on a wrong one) and the points it is worth (one per check
    the checker makes), declared once in ``@_exercise``. (A named tuple, not a dataclass:
    grading loads a fresh copy of this module outside sys.modules.)"""

    checker: Callable[[Callable], None]
    points: int


# exercise id -> _Exercise; filed by @_exercise below, one entry per checker
EXERCISES: Registry[_Exercise] = Registry("exercise")


def _exercise(exercise_id: str, *, points: int):
    """Register the decorated checker as exercise ``exercise_id``'s, worth ``points``.

    The one place an exercise is declared: it files ``(checker, points)`` in
    :data:`EXERCISES`, from which ``KNOWN`` and ``POINTS`` derive.

    Parameters
    ----------
    exercise_id : str
        ``"<notebook>.<name>"``, e.g. ``"01.jensen_shannon"``.
    points : int
        The exercise's points for nbgrader, one per check its checker makes; :func:`check`
        and :func:`verdict` award them when the checker returns (the only place they are
        stated: the checker itself returns nothing).

    Returns
    -------
    callable
        A decorator that registers the checker and returns it unchanged.

    Raises
    ------
    ValueError
        When the decorator is applied: ``exercise_id`` is registered already, or
        ``points`` is not a positive int.
    """
    def register(checker: Callable[[Callable], None]) -> Callable[[Callable], None]:
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        positive_int("points", points)
        EXERCISES.register(exercise_id, _Exercise(checker, points))
        return checker
    return register


# ---------------------------------------------------------------- 00 ------------------------
@_exercise("00.to_unit_range", points=1)
def _to_unit_range(fn: Callable) -> None:
    x = torch.tensor([-1.0, 0.0, 1.0, 0.5])
    _require_close(fn(x), (x + 1) / 2, "to_unit_range([-1, 0, 1, 0.5])",
                   "the map that sends -1 to 0 and 1 to 1, linearly")


# ---------------------------------------------------------------- 01 ------------------------

@_exercise("01.jensen_shannon", points=5)
def _jensen_shannon(fn: Callable) -> None:
    from scipy.spatial.distance import jensenshannon

    expected = "1/2 KL(p || m) + 1/2 KL(q || m) with m = (p + q)/2, in nats (natural log)"
    for seed in range(3):
        p, q = _random_pair(seed)
        what = f"jensen_shannon on random distributions (seed {seed})"
        got, want = _scalar(fn(p, q), what), jensenshannon(p, q) ** 2
        if _near(got, 2 * want):
            raise ExerciseError(f"{what}: expected {expected}; got twice that (mind the 1/2)")
        if _near(got, want / math.log(2)):
            raise ExerciseError(f"{what}: expected {expected}; got it in bits (log base 2)")
        if _near(got, math.sqrt(want)):
            raise ExerciseError(f"{what}: expected {expected}; got its square root (the "
                                "Jensen-Shannon *distance*, not the divergence)")
        _require(_near(got, want), what, expected, f"{got:.6g} ({_PRECISION.format(rtol=RTOL)})")
    half = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    got = _scalar(fn(half, half.flip(0)), "jensen_shannon on disjoint supports")
    _require(_near(got, math.log(2)), "jensen_shannon on disjoint supports",
             "the largest value the JSD takes (mind 0 log 0 = 0)", got)
    got = _scalar(fn(half, half), "jensen_shannon(p, p)")
    _require(abs(got) < 1e-6, "jensen_shannon(p, p)", "0, up to rounding", got)


@_exercise("01.nonsaturating_loss", points=3)
def _nonsaturating_loss(fn: Callable) -> None:
    s = torch.tensor([-3.0, 0.0, 2.5])
    what = "nonsaturating_loss([-3, 0, 2.5])"
    got = fn(s)
    _require(isinstance(got, torch.Tensor), what, "a tensor (no float() or .item(): the "
             "generator's training backpropagates it)", _describe(got))
    _require(got.numel() == 1, what, "a scalar tensor: the mean over the batch, e.g. `.mean()`",
             _describe(got))
    _require_close(got, torch.nn.functional.softplus(-s).mean(), what,
                   "the mean of -log sigmoid(s)")
    got = _scalar(fn(torch.tensor([-1000.0])), "nonsaturating_loss([-1000])")
    _require(math.isfinite(got) and _near(got, 1000.0), "nonsaturating_loss([-1000])",
             "a finite value close to 1000 (write it with softplus or logsigmoid)", got)
    s = torch.tensor([-8.0], requires_grad=True)
    _graph_scalar(fn(s), "nonsaturating_loss([-8]), backpropagated").backward()
    _require(s.grad is not None and abs(s.grad.item() + 1) < 1e-3,
             "d nonsaturating_loss / d s at s = -8", "a gradient near -1 (no saturation)",
             None if s.grad is None else s.grad.item())


# ---------------------------------------------------------------- 02 ------------------------

@_exercise("02.pearson_chi2", points=4)
def _pearson_chi2(fn: Callable) -> None:
    from .divergences import f_divergence

    expected = "sum_i q_i f(p_i/q_i) with f(u) = (u - 1)^2"
    for seed in range(3):
        p, q = _random_pair(seed, 7)
        what = f"pearson_chi2 on random distributions (seed {seed})"
        got = _scalar(fn(p, q), what)
        if not _near(got, f_divergence(p, q, "pearson")) \
                and _near(got, float(((p - q) ** 2 / p).sum())):
            raise ExerciseError(f"{what}: expected {expected}; got Neyman's chi^2 (divided "
                                "by p where the weights are q)")
        _require(_near(got, f_divergence(p, q, "pearson")), what, expected,
                 f"{got:.6g} ({_PRECISION.format(rtol=RTOL)})")
    got = _scalar(fn(q, q), "pearson_chi2(q, q)")
    _require(abs(got) < 1e-6, "pearson_chi2(q, q)", "0, up to rounding", got)


# ---------------------------------------------------------------- 03 ------------------------

@_exercise("03.plan_cost", points=2)
def _plan_cost(fn: Callable) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    plan = rng.random((5, 4))
    distance = np.linalg.norm(x[:, None] - y[None], axis=-1)
    what = "plan_cost on a random plan (5 x 4, points in 3-D)"
    got = _scalar(fn(plan, x, y), what)
    expected = "sum_ij plan_ij * ||x_i - y_j|| (Euclidean, not squared)"
    if _near(got, float(np.sum(plan * distance ** 2))):
        raise ExerciseError(f"{what}: expected {expected}; got the cost with squared distances")
    _require(_near(got, float(np.sum(plan * distance))), what, expected,
             f"{got:.6g} ({_PRECISION.format(rtol=RTOL)})")
    got = _scalar(fn(np.eye(3) / 3, np.zeros((3, 2)), np.zeros((3, 2))),
                  "plan_cost with all points equal")
    _require(abs(got) < 1e-6, "plan_cost with all points equal", "0, up to rounding", got)


@_exercise("03.w1_sorted", points=3)
def _w1_sorted(fn: Callable) -> None:
    from .transport import wasserstein1

    r = np.random.default_rng(0)
    cases = {"two samples of 100, normal and exponential":
             (r.normal(size=100), r.exponential(size=100)),
             "two samples of 100 with the same mean, spreads 1 and 3":
             (r.normal(size=100), 3 * r.normal(size=100)),
             "x = [2, 0], y = [1, 1]": (np.array([2.0, 0.0]), np.array([1.0, 1.0]))}
    for name, (u, v) in cases.items():
        what, want = f"w1_sorted on {name}", wasserstein1(u, v)
        got = _scalar(fn(u.copy(), v.copy()), what)
        hint = ""
        if _near(got, want):
            continue
        if _near(got, abs(u.mean() - v.mean())) or _near(got, u.mean() - v.mean()):
            hint = (": the difference of the means, which equals W1 only when every sorted "
                    "x lies on the same side of its partner")
        elif _near(got, float(np.abs(u - v).mean())):
            hint = ": x_i matched with y_i in the given order; match them in sorted order"
        elif _near(got, len(u) * want):
            hint = ": a sum over the pairs; each pair carries weight 1/n"
        _require(_near(got, want), what, "the exact W1 between the two samples (uniform "
                 "weights 1/n)", f"{got:.6g}{hint} ({_PRECISION.format(rtol=RTOL)})")


# ---------------------------------------------------------------- 05 ------------------------
def _segment_eps(points, real, fake):
    """For each sample, the eps with points = eps * real + (1 - eps) * fake, and the largest
    distance of a point from its segment's line (0 when every point is on it)."""
    d = (real - fake).detach().flatten(1).double()
    t = (points - fake).detach().flatten(1).double()
    eps = (t * d).sum(1) / (d * d).sum(1)
    return eps, float((t - eps[:, None] * d).abs().max())


@_exercise("05.interpolates", points=8)
def _interpolates(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    for shape in ((64, 3), (64, 1, 5, 5)):
        real, fake = torch.randn(shape, generator=g), torch.randn(shape, generator=g) + 2
        x = fn(real, fake, torch.Generator().manual_seed(1))
        where = f"interpolates on batches of shape {shape}"
        _require(isinstance(x, torch.Tensor) and x.shape == real.shape, where,
                 "a tensor of the same shape as real", _describe(x))
        eps, off = _segment_eps(x, real, fake)
        _require(off < 1e-5, where,
                 "each sample on the segment fake -> real, one eps for all its coordinates",
                 "points off their segments")
        inside = ((eps > 1e-3) & (eps < 1 - 1e-3)).double().mean()
        _require(bool((eps >= -1e-6).all() and (eps <= 1 + 1e-6).all()) and inside > 0.9
                 and eps.std() > 0.1, where,
                 "a different eps ~ U[0, 1] for each sample, strictly between 0 and 1 (a "
                 "point between the real and the generated sample, e.g. torch.rand)",
                 f"eps from {eps.min():.3f} to {eps.max():.3f}, "
                 f"{100 * float(inside):.0f} % strictly inside, standard deviation {eps.std():.3f}")
        again = fn(real, fake, torch.Generator().manual_seed(1))
        other = fn(real, fake, torch.Generator().manual_seed(2))
        _require(isinstance(again, torch.Tensor) and torch.equal(x, again)
                 and isinstance(other, torch.Tensor) and not torch.equal(x, other), where,
                 "eps drawn with the random generator `generator` passed in (torch.rand(..., "
                 "generator=generator)): the same seed of the random generator gives the "
                 "same points, another seed other points",
                 "draws that do not follow the random generator")


def _critic(seed: int, scale: float) -> torch.nn.Module:
    """A small tanh critic on 1x2x2 images whose gradient norm varies from point to point."""
    torch.default_generator.manual_seed(seed)  # CPU only: what _run forks
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 1))
    with torch.no_grad():
        net[1].weight.mul_(scale)
        net[3].weight.mul_(scale)
    return net


class _Recording(torch.nn.Module):
    """A critic that remembers every batch it scores (to learn where the penalty was taken)."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net, self.seen = net, []

    def forward(self, x):
        self.seen.append(x)
        return self.net(x)


def _penalty_points(critic: _Recording, real, fake, where: str):
    """The points the learner differentiated the critic at, checked to be interpolates."""
    points = [x for x in critic.seen if x.requires_grad]
    _require(len(points) >= 1, where, "the critic called on interpolates that require grad "
             "(x_hat.requires_grad_(True)), so that grad D(x_hat) exists",
             f"{len(critic.seen)} calls, none on a tensor that requires grad")
    x = points[-1]
    _require(x.shape == real.shape, where, f"the critic called on a batch of shape "
             f"{tuple(real.shape)}", f"shape {tuple(x.shape)}")
    eps, off = _segment_eps(x, real, fake)
    _require(off < 1e-5 and bool((eps > -1e-6).all() & (eps < 1 + 1e-6).all()), where,
             "the gradient taken at interpolates eps * real + (1 - eps) * fake",
             "points off the segments between real and generated samples")
    if bool((eps > 1 - 1e-6).all()) or bool((eps < 1e-6).all()):
        raise ExerciseError(f"{where}: expected the gradient taken at interpolates (your "
                            f"`interpolates`); got it taken at the "
                            f"{'real' if eps.mean() > 0.5 else 'generated'} samples themselves")
    _require(float(eps.std()) > 0.05, where, "a different eps for each sample",
             f"eps with standard deviation {eps.std():.3f}")
    return x.detach()


def _reference_penalty(net, x):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)
    return (norms - 1).pow(2).mean(), norms.detach(), grad.detach()


@_exercise("05.gradient_penalty", points=7)
def _gradient_penalty(fn: Callable) -> None:
    real = torch.randn(32, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    fake = torch.randn(32, 1, 2, 2, generator=torch.Generator().manual_seed(1)) + 1
    expected = "E[(||grad D(x_hat)|| - 1)^2]: each sample's norm over all its pixels, minus 1, "\
               "squared, then the mean over the batch"
    for seed, scale in ((0, 3.0), (1, 0.7)):
        net = _critic(seed, scale)
        critic = _Recording(net)
        where = f"gradient_penalty for a small tanh critic on 1x2x2 images (seed {seed})"
        got = fn(critic, real, fake)
        x = _penalty_points(critic, real, fake, where)
        want, norms, grad = _reference_penalty(net, x)
        value = _scalar(got, where, "a scalar tensor (the mean over the batch)")
        if not _near(value, float(want.detach()), rtol=1e-4):
            for wrong, hint in (((norms.mean() - 1) ** 2, "the norms averaged before "
                                 "subtracting 1 and squaring"),
                                ((norms - 1).clamp_min(0).pow(2).mean(), "the one-sided "
                                 "penalty max(0, ||grad|| - 1)^2"),
                                (10 * want.detach(), "the penalty times lambda = 10 (leave "
                                 "the weight to the caller)"),
                                ((norms ** 2 - 1).pow(2).mean(), "(||grad||^2 - 1)^2: the "
                                 "norm, not its square"),
                                ((grad.norm(dim=1) - 1).pow(2).mean(), "norms over one axis "
                                 "of the unflattened gradient (flatten each sample first)")):
                if _near(value, float(wrong), rtol=1e-4):
                    raise ExerciseError(f"{where}: expected {expected}; got {hint}")
        _require(_near(value, float(want.detach()), rtol=1e-4), where, expected,
                 f"{value:.6g} ({_PRECISION.format(rtol=1e-4)})")
        got = _graph_scalar(got, where + ", backpropagated", "create_graph=True in "
                            "torch.autograd.grad, no .detach()")
        net.zero_grad()
        want_grads = torch.autograd.grad(want, list(net.parameters()), allow_unused=True)
        got.backward()
        _require(all(torch.allclose(torch.zeros_like(p) if p.grad is None else p.grad,
                                    torch.zeros_like(p) if w is None else w, rtol=1e-4,
                                    atol=1e-6)
                     for p, w in zip(net.parameters(), want_grads, strict=True))
                 and any(p.grad is not None for p in net.parameters()),
                 where + ", backpropagated", "the penalty's gradient to reach the critic's "
                 "weights (keep the graph: create_graph=True)", "other gradients or none")

    class Norm(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1).norm(dim=1)

    got = _scalar(fn(Norm(), real, fake), "gradient_penalty for D(x) = ||x||")
    _require(abs(got) < 1e-5, "gradient_penalty for D(x) = ||x||", "0 (unit gradient)", got)


# ---------------------------------------------------------------- 06 ------------------------
@_exercise("06.power_step", points=5)
def _power_step(fn: Callable) -> None:
    from .spectral import power_iteration

    g = torch.Generator().manual_seed(0)
    W = torch.randn(6, 9, generator=g, dtype=torch.float64)
    u = torch.nn.functional.normalize(torch.randn(6, generator=g, dtype=torch.float64), dim=0)
    sigma, u_new, v = _parts(fn(W, u), 3, "power_step(W, u)", "(sigma, u_new, v)")
    v_want = torch.nn.functional.normalize(W.T @ u, dim=0)
    u_want = torch.nn.functional.normalize(W @ v_want, dim=0)
    _require_close(v, v_want, "power_step(W, u): v", "W^T u normalised to length 1")
    _require_close(u_new, u_want, "power_step(W, u): u_new", "W v normalised to length 1")
    value = _scalar(sigma, "power_step(W, u): sigma")
    if _near(value, float((W.T @ u).norm())) and not _near(value, float(u_want @ W @ v_want)):
        raise ExerciseError("power_step(W, u): expected sigma = u_new^T W v; got u^T W v, "
                            "with the u passed in")
    _require(_near(value, float(u_want @ W @ v_want)), "power_step(W, u): sigma", "u_new^T W v",
             value)
    top = torch.linalg.svdvals(W)[0].item()
    for _ in range(100):
        sigma, u, _v = _parts(fn(W, u), 3, "power_step(W, u)", "(sigma, u_new, v)")
        u = _tensor(u, "power_step(W, u): u_new", "a vector").to(W.dtype)
    _require(_near(_scalar(sigma, "power_step: sigma"), top), "100 power steps",
             "the top singular value (torch.linalg.svdvals)", float(sigma))
    _require(_near(float(power_iteration(W, u, 0)[0]), top), "100 power steps: u",
             "the top left singular vector", u)


@_exercise("06.spectral_bound", points=2)
def _spectral_bound(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(8, 3, generator=g), 3 * torch.randn(8, 8, generator=g),
               torch.randn(1, 8, generator=g)]
    want = math.prod(torch.linalg.svdvals(w.double())[0].item() for w in weights)
    got = _scalar(fn(weights), "spectral_bound of three layers")
    frobenius = math.prod(torch.linalg.norm(w.double()).item() for w in weights)
    if _near(got, frobenius, rtol=1e-4):
        raise ExerciseError("spectral_bound of three layers: expected the product of the top "
                            "singular values; got the product of Frobenius norms (an upper "
                            "bound on the spectral norm, not the norm)")
    _require(_near(got, want, rtol=1e-4), "spectral_bound of three layers",
             "the product of the top singular values", got)
    got = _scalar(fn([torch.eye(4)]), "spectral_bound([identity])")
    _require(_near(got, 1.0), "spectral_bound([identity])", "1", got)


# ---------------------------------------------------------------- 07 ------------------------
@_exercise("07.feature_matching", points=4)
def _feature_matching(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(20, 3, 2, generator=g, requires_grad=True)
    fake = torch.randn(20, 3, 2, generator=g, requires_grad=True)
    got = fn(real, fake)
    diff = real.detach().flatten(1).mean(0) - fake.detach().flatten(1).mean(0)
    want = (diff ** 2).sum()
    what, expected = ("feature_matching on (20, 3, 2) features",
                      "the squared distance between the mean feature vectors")
    value = _scalar(got, what, "a scalar tensor")
    if _near(value, float(want) / diff.numel()) and not _near(value, float(want)):
        raise ExerciseError(f"{what}: expected {expected}; got the mean over the feature "
                            "coordinates (F.mse_loss's default), where ||.||^2 sums them")
    _require(_near(value, float(want)), what, expected,
             f"{value:.6g} ({_PRECISION.format(rtol=RTOL)})")
    same = _scalar(fn(real, real.flip(0)), "feature_matching(f, f shuffled)")
    _require(abs(same) < 1e-6, "feature_matching(f, f shuffled)", "0 (same mean)", same)
    _graph_scalar(got, "feature_matching, backpropagated").backward()
    _require(real.grad is None or bool((real.grad == 0).all()), "feature_matching: gradients",
             "none into the real features (detach them)", "a gradient")
    _require(fake.grad is not None and bool(fake.grad.abs().sum() > 0),
             "feature_matching: gradients", "a gradient into the generated features", "none")


@_exercise("07.truncated_noise", points=4)
def _truncated_noise(fn: Callable) -> None:
    from scipy import stats

    a = 0.7
    z = fn(4000, 3, a, torch.Generator().manual_seed(0))
    _require(isinstance(z, torch.Tensor) and z.shape == (4000, 3),
             "truncated_noise(4000, 3, 0.7)", "a (4000, 3) tensor", _describe(z))
    _require(bool(z.abs().max() <= a), "truncated_noise(4000, 3, 0.7)",
             "every |z| <= 0.7", f"a largest |z| of {z.abs().max():.3f}")
    # a normal truncated to [-a, a] has variance 1 - 2a phi(a) / (2 Phi(a) - 1)
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    var = 1 - 2 * a * phi / math.erf(a / math.sqrt(2))
    fit = stats.kstest(z.detach().double().flatten().numpy(), stats.truncnorm(-a, a).cdf)
    _require(abs(z.var().item() - var) < 0.01 and fit.pvalue > 1e-4,
             "truncated_noise(4000, 3, 0.7)",
             f"the distribution of a normal truncated to [-0.7, 0.7] (variance {var:.3f}): "
             "redraw, do not clamp or rescale",
             f"variance {z.var().item():.3f}, Kolmogorov-Smirnov distance "
             f"{fit.statistic:.3f} from that distribution (p = {fit.pvalue:.1g})")
    wide = _tensor(fn(20000, 1, 2.0, torch.Generator().manual_seed(1)),
                   "truncated_noise(20000, 1, 2.0)", "a (20000, 1) tensor").flatten().numpy()
    fit = stats.kstest(wide, stats.truncnorm(-2.0, 2.0).cdf)
    _require(wide.shape == (20000,) and fit.pvalue > 1e-4, "truncated_noise(20000, 1, 2.0)",
             "the distribution of a normal truncated to [-2, 2]: standard normal draws, "
             "those outside redrawn",
             f"a Kolmogorov-Smirnov distance of {fit.statistic:.3f} from that distribution "
             f"(p = {fit.pvalue:.1g})")
    again = fn(4000, 3, a, torch.Generator().manual_seed(0))
    _require(torch.equal(z, again), "truncated_noise with the same random generator seed",
             "the same draws (use the random generator `generator` for every draw)",
             "different draws")


# ---------------------------------------------------------------- 08 ------------------------
@_exercise("08.projection_score", points=3)
def _projection_score(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    torch.default_generator.manual_seed(0)  # CPU only: what _run forks
    psi, embed = torch.nn.Linear(6, 1), torch.nn.Embedding(4, 6)
    h, y = torch.randn(5, 6, generator=g), torch.tensor([0, 3, 1, 3, 2])
    got = fn(h, y, psi, embed)
    want = psi(h).squeeze(-1) + (embed.weight[y] * h).sum(1)
    _require(isinstance(got, torch.Tensor) and got.shape == (5,),
             "projection_score on 5 samples", "a (5,) tensor of scores", _describe(got))
    _require_close(got, want, "projection_score",
                   "psi(h) + <embed(y), h> for each sample (the inner product, not a product "
                   "of sums)", atol=1e-6)
    other = fn(h, (y + 1) % 4, psi, embed)
    _require_close(other, psi(h).squeeze(-1) + (embed.weight[(y + 1) % 4] * h).sum(1),
                   "projection_score with other labels",
                   "a score that uses each sample's own label", atol=1e-6)


@_exercise("08.attention", points=4)
def _attention(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    theta, phi = torch.randn(2, 3, 12, generator=g), torch.randn(2, 3, 4, generator=g)
    values = torch.randn(2, 5, 4, generator=g)
    o, beta = _parts(fn(theta, phi, values), 2, "attention(theta, phi, g)", "(o, beta)")
    want_beta = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)
    _require(getattr(beta, "shape", None) == (2, 12, 4), "attention: beta",
             "shape (N, HW, keys) = (2, 12, 4)", _describe(beta))
    _require(_close(beta.sum(-1), torch.ones(2, 12), 1e-5), "attention: beta",
             "each query's weights over the keys summing to 1 (softmax over the keys)",
             "rows that do not sum to 1")
    _require_close(beta, want_beta, "attention: beta", "softmax over keys of theta^T phi "
                   "(no scaling)", atol=1e-6)
    _require_close(o, values @ want_beta.transpose(1, 2), "attention: o",
                   "g beta^T, shape (N, C_g, HW)", atol=1e-6)


@_exercise("08.orthogonal_penalty", points=3)
def _orthogonal_penalty(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    W = torch.randn(4, 6, generator=g, requires_grad=True)
    got = fn(W)
    gram = W.detach() @ W.detach().T
    want = (gram * (1 - torch.eye(4))).pow(2).sum()
    _require_close(_graph_scalar(got, "orthogonal_penalty on a (4, 6) W"), want,
                   "orthogonal_penalty on a (4, 6) W",
                   "||W W^T * (1 - I)||_F^2 (off-diagonal Gram entries only)", atol=1e-5)
    q, _ = torch.linalg.qr(torch.randn(6, 4, generator=g))
    scaled = (q.T * torch.tensor([[0.5], [1.0], [2.0], [3.0]]))   # orthogonal rows, any norms
    zero = _scalar(fn(scaled), "orthogonal_penalty on orthogonal rows")
    _require(abs(zero) < 1e-5, "orthogonal_penalty on orthogonal rows of norms 0.5, 1, 2, 3",
             "0: the norms are left free", zero)
    got.backward()
    _require(W.grad is not None
             and _close(W.grad, 4 * (gram * (1 - torch.eye(4))) @ W.detach(), 1e-4),
             "orthogonal_penalty: gradient", "4 (W W^T * (1 - I)) W, through autograd", "other")


# ---------------------------------------------------------------- 09 ------------------------
@_exercise("09.pull", points=4)
def _pull(fn: Callable) -> None:
    from .losses import get
    from .models import MLP

    torch.default_generator.manual_seed(0)  # CPU only: what _run forks
    D = MLP(2, 1, width=8, depth=2)
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(1))

    def want(loss_name, points):
        p = points.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(get(loss_name).generator(D(p)) * len(p), p)
        return -grad

    got = fn(D, get("wasserstein"), x)
    _require(isinstance(got, torch.Tensor) and got.shape == (6, 2), "pull on 6 points",
             "a (6, 2) tensor: one arrow per generated point", _describe(got))
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


@_exercise("09.modes_covered", points=3)
def _modes_covered(fn: Callable) -> None:
    centres = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    near = centres[[0, 0, 1, 1]] + 0.05

    def pair(got, what):
        modes, fraction = _parts(got, 2, what, "(modes, high-quality fraction)")
        return _scalar(modes, what), _scalar(fraction, what)

    got = pair(fn(near, centres, 0.1), "modes_covered")
    _require(got[0] == 2 and abs(got[1] - 1.0) < 1e-6, "4 samples near modes 0 and 1",
             "(2, 1.0)", got)
    far = torch.cat([near, torch.tensor([[2.0, 2.0], [0.0, 3.0]])])
    got = pair(fn(far, centres, 0.1), "modes_covered")
    _require(got[0] == 2 and abs(got[1] - 4 / 6) < 1e-6,
             "those 4 and 2 samples more than 3 std from every mode", "(2, 0.667): a far "
             "sample covers no mode and is not high quality", got)
    edge = torch.tensor([[0.29, 0.0], [4.31, 0.0]])
    got = pair(fn(edge, centres, 0.1), "modes_covered")
    _require(got[0] == 1 and abs(got[1] - 0.5) < 1e-6, "samples 2.9 and 3.1 std from a mode",
             "(1, 0.5): within 3 std counts, beyond does not", got)


# ------------------------------------------- exercises that need a derivation (issue 25) ----
# They replace 01.optimal_discriminator, 02.reverse_kl_conjugate, 03.constraint_matrix and
# 04.clip, whose answers the notebooks print before asking for them.
@_exercise("01.weighted_discriminator", points=3)
def _weighted_discriminator(fn: Callable) -> None:
    from .toy import Mixture1D

    x = torch.linspace(-5, 5, 201, dtype=torch.float64)
    p, q = Mixture1D((-1.5, 1.5), (0.4, 0.4)).pdf(x), Mixture1D((0.5,), (1.0,)).pdf(x)
    what = "the D maximising alpha p_data log D + beta p_G log(1 - D) at every x"
    for alpha, beta in ((1.0, 1.0), (3.0, 0.5), (0.2, 2.0)):
        got = fn(p, q, alpha, beta)
        want = alpha * p / (alpha * p + beta * q)
        if not _close(got, want, 1e-5) and _close(got, beta * q / (alpha * p + beta * q), 1e-5):
            raise ExerciseError("weighted_discriminator(p_data, p_G, alpha, beta): your D is "
                                "large where p_G dominates; D(x) is the probability that x is "
                                "*real*")
        if (alpha, beta) != (1.0, 1.0) and _close(got, p / (p + q), 1e-5):
            raise ExerciseError(f"weighted_discriminator(p_data, p_G, {alpha}, {beta}): "
                                f"expected {what}; got a D that does not depend on alpha, beta")
        # D lies in [0, 1]: an absolute 1e-5 is float32-friendly and far below any wrong answer
        _require_close(got, want, f"weighted_discriminator on two 1-D densities, alpha = "
                       f"{alpha}, beta = {beta}", what, rtol=0.0, atol=1e-5)
    for a, b, want, where in ((2.0, 0.0, 1.0, "where only the data has mass"),
                              (0.0, 3.0, 0.0, "where only the generator has mass")):
        value = float(torch.as_tensor(fn(*_f64([a], [b]), 2.0, 0.5)).flatten()[0])
        _require(math.isclose(value, want, abs_tol=1e-6),
                 f"weighted_discriminator({a}, {b}, 2.0, 0.5)", f"the maximiser {where}", value)


def _alpha_f(u: torch.Tensor, alpha: float) -> torch.Tensor:
    """The alpha-divergence's f(u) = (u^alpha - 1 - alpha (u - 1)) / (alpha (alpha - 1))."""
    return (u ** alpha - 1 - alpha * (u - 1)) / (alpha * (alpha - 1))


@_exercise("02.alpha_conjugate", points=4)
def _alpha_conjugate(fn: Callable) -> None:
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


@_exercise("03.kr_potential_1d", points=3)
def _kr_potential_1d(fn: Callable) -> None:
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


@_exercise("04.clipped_lipschitz_bound", points=3)
def _clipped_lipschitz_bound(fn: Callable) -> None:
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


@_exercise("02.optimal_critic_output", points=4)
def _optimal_critic_output(fn: Callable) -> None:
    from . import divergences

    log_ratio = torch.linspace(-4.0, 4.0, 81, dtype=torch.float64)   # r = log p - log q
    for name in ("kl", "squared-hellinger", "jensen-shannon", "neyman"):
        div = divergences.get(name)
        what = f"optimal_critic_output(log_ratio, {name!r})"
        got = _tensor(fn(log_ratio.clone(), name), what,
                      "a tensor of raw critic outputs V, one per log ratio")
        _require(got.shape == log_ratio.shape, what,
                 f"one raw output per log ratio, shape {tuple(log_ratio.shape)}", _describe(got))
        t_star = div.f_prime(log_ratio.exp())
        if not _close(div.activation(got), t_star, 1e-6) and _close(got, t_star, 1e-6):
            raise ExerciseError(f"{what}: you returned T* = f'(p/q) itself; the network's raw "
                                "output is V, and the critic is T = g_f(V): invert the row's g_f")
        _require_close(div.activation(got), t_star, f"g_f(V) for the V of {what}",
                       "f'(p/q), the critic at which the variational bound is tight",
                       rtol=1e-5, atol=1e-6)


@_exercise("04.clipped_linear_critic", points=3)
def _clipped_linear_critic(fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    blob = torch.randn(300, 2, generator=g, dtype=torch.float64)
    real8 = torch.randn(400, 5, generator=g, dtype=torch.float64) * torch.tensor(
        [1.0, 0.5, 2.0, 1.0, 0.3], dtype=torch.float64) + torch.tensor(
        [0.4, -0.3, 0.05, -1.0, 0.2], dtype=torch.float64)
    wide = torch.randn(500, 3, generator=g, dtype=torch.float64)
    narrow = 0.2 * torch.randn(250, 3, generator=g, dtype=torch.float64)
    cases = [("2-D: a shifted blob against a blob", 0.01,
              blob[:150] + torch.tensor([1.5, -0.5], dtype=torch.float64), blob[150:]),
             ("5-D: two Gaussian batches", 0.05, real8[:200], real8[200:] * 0.5),
             ("3-D: two batches with the same mean, spreads 1 and 0.2", 0.1,
              wide - wide.mean(0), narrow - narrow.mean(0))]
    for name, c, real, fake in cases:
        what = f"clipped_linear_critic on {name}, c = {c}"
        w, gap = _parts(fn(real.clone(), fake.clone(), c), 2, what, "(w, gap)")
        w = _tensor(w, f"{what}: w", f"a weight vector of shape ({real.shape[1]},)").flatten()
        gap = _scalar(gap, f"{what}: gap")
        _require(w.numel() == real.shape[1], f"{what}: w", f"{real.shape[1]} weights, one per "
                 "coordinate", _describe(w))
        _require(bool((w.abs() <= c * (1 + 1e-6)).all()), f"{what}: w",
                 "weights that obey the clipping, every |w_i| <= c",
                 f"a largest |w_i| of {w.abs().max().item():.4g}")
        own = float(real.mean(0) @ w - fake.mean(0) @ w)
        _require(_near(gap, own, rtol=1e-5, atol=1e-9), f"{what}: gap",
                 "the gap E_real[w.x] - E_fake[w.x] of the w you return",
                 f"{gap:.6g}, while your w has gap {own:.6g}")
        best = c * float((real.mean(0) - fake.mean(0)).abs().sum())
        _require(gap >= best * (1 - 1e-5) - 1e-9, f"{what}: gap",
                 "the largest gap of any linear critic with every |w_i| <= c (some clipped w "
                 "does better than yours)", f"{gap:.6g}")
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


@_exercise("10.r1_eigenvalues", points=5)
def _r1_eigenvalues(fn: Callable) -> None:
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


@_exercise("10.max_stable_lr", points=5)
def _max_stable_lr(fn: Callable) -> None:
    from .dynamics import dirac_jacobian, update_eigenvalues

    def radius(J, h):
        return float(update_eigenvalues(J, h).abs().max())

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
    got = fn(dirac_jacobian("wasserstein"))
    _require(isinstance(got, (int, float, torch.Tensor)) and float(got) == 0.0,
             "max_stable_lr for the unregularised WGAN (eigenvalues +-i)",
             "0.0: no positive rate is stable when an eigenvalue has real part 0", got)


@_exercise("10.instance_noise_jacobian", points=3)
def _instance_noise_jacobian(fn: Callable) -> None:
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


KNOWN = tuple(sorted(EXERCISES, key=lambda k: k[:2]))  # by notebook; stable within one


def check(exercise_id: str, obj) -> None:
    """Test the learner's ``obj`` for exercise ``exercise_id``; print one line if it passes.

    The exercise's checker runs ``obj`` on several inputs, edge cases included, against
    reference behaviour. When every property holds, one line is printed:
    ``"<exercise_id>: passed (<n> checks)"``, with ``n`` the exercise's :data:`POINTS`.
    The caller's torch random state is left as it was: the checker runs on a fork of it
    (``torch.random.fork_rng``), whether the answer passes or not.

    Parameters
    ----------
    exercise_id : str
        One of :data:`KNOWN`, ``"<notebook>.<name>"``.
    obj : callable
        The learner's function.

    Raises
    ------
    ExerciseError
        The answer does not behave as the exercise asks (the message says what is wrong,
        not the answer), or ``obj`` is not callable.
    ValueError
        An unknown ``exercise_id``.
    NotImplementedError
        From an unfinished exercise: it passes through.
    """
    n_checks = _run(exercise_id, obj)
    print(f"{exercise_id}: passed ({n_checks} checks)")


def _run(exercise_id: str, obj) -> int:
    """Run the exercise's checker on ``obj``; its points (:data:`POINTS`) when it returns.

    Some checkers seed torch's global random generator to build their networks' weights;
    they run on a fork of its state, so the caller's state is restored afterwards, whether
    the checker returns or raises. Only the CPU state is forked: the checkers seed the CPU
    random generator alone (``torch.default_generator.manual_seed``, not
    ``torch.manual_seed``, which would reseed every CUDA device too).
    """
    exercise = EXERCISES.lookup(exercise_id, argument="exercise_id")
    if not callable(obj):
        raise ExerciseError(f"{exercise_id}: expected a function, got {type(obj).__name__}")
    with torch.random.fork_rng(devices=[]):
        exercise.checker(obj)
    return exercise.points


def verdict(exercise_id: str, obj) -> dict:
    """The grader's record of one check, which never raises.

    ``passed`` only when the checker ran to its end on ``obj`` and returned; otherwise the
    exception's name and text (nothing escapes: any exception, an unknown ``exercise_id``
    included, becomes a failed record).

    Parameters
    ----------
    exercise_id : str
        One of :data:`KNOWN`.
    obj : object
        The learner's answer.

    Returns
    -------
    dict
        ``{"passed": bool, "checks": int, "message": str}``: the number of checks made,
        the exercise's :data:`POINTS` (0 on failure), and ``"<ExceptionName>: <text>"`` on
        failure, ``""`` on success.
    """
    try:
        n_checks = _run(exercise_id, obj)
    except BaseException as err:  # noqa: BLE001 - a learner's code may raise anything
        return {"passed": False, "checks": 0, "message": f"{type(err).__name__}: {err}"}
    return {"passed": True, "checks": n_checks, "message": ""}


# Points per exercise for nbgrader: one per check its checker makes, declared with the checker
# (``@_exercise``), awarded by ``check`` / ``verdict`` when the checker returns.
POINTS = {exercise_id: exercise.points for exercise_id, exercise in EXERCISES.items()}
