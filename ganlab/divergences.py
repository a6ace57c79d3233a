"""The f-divergence table as data: f, its Fenchel conjugate f*, and the f-GAN output activation.

Used by notebooks 01-03 and by ``ganlab.losses`` (the ``fgan-<name>`` losses).

For a convex f with f(1) = 0, the f-divergence of P from Q (densities p, q) is

    D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx          (Csiszar 1967; Ali & Silvey 1966)

and is >= 0 by Jensen's inequality, with equality iff P = Q (for strictly convex f).
The Fenchel conjugate f*(t) = sup_u { u t - f(u) } gives the variational bound

    D_f(P || Q) >= sup_T  E_P[T(x)] - E_Q[f*(T(x))],   tight at T(x) = f'(p(x) / q(x)),

which f-GAN turns into a game: T(x) = g_f(V(x)) with a network V and an output activation
g_f mapping the real line into dom f* (Nowozin, Cseke, Tomioka 2016, sections 2.2-2.4,
Tables 1-2).

Every row of the paper's Table 2 is here except the two alpha-divergence rows, each with its
f, f*, g_f, f' and dom f*. Mind the normalisations (both are the paper's):

* ``jensen-shannon`` has f(u) = u log u - (u + 1) log((u + 1)/2), so D_f = KL(P||M) + KL(Q||M)
  = 2 JSD, where JSD is the 1/2-normalised Jensen-Shannon divergence (<= log 2; SciPy's
  ``jensenshannon`` squared). ``jensen-shannon-weighted`` with pi = 1/2 is JSD itself.
* ``gan`` has f(u) = u log u - (u + 1) log(u + 1), so f(1) = -log 4 and D_GAN = 2 JSD - log 4:
  the C(G) of Goodfellow et al. 2014 (notebook 01).

References: Nowozin, Cseke, Tomioka, "f-GAN: Training Generative Neural Samplers using
Variational Divergence Minimization", NeurIPS 2016, arXiv:1606.00709. Nguyen, Wainwright,
Jordan, "Estimating divergence functionals and the likelihood ratio by convex risk
minimization", IEEE Trans. Inf. Theory 2010 (the variational bound).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._checks import one_of, positive_float, tensor

__all__ = ["FDivergence", "NAMES", "f_divergence", "fit_gaussian", "get", "wright_omega"]

Tensor = torch.Tensor
Fn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class FDivergence:
    """One row of the f-divergence table (Nowozin et al. 2016, Tables 1-2).

    f, f_star, activation (g_f), f_prime: elementwise functions on tensors.
    domain: dom f* as (low, high); ``closed`` says whether each end belongs to it.
    slope_at_inf: lim_{u -> inf} f(u)/u, the cost of mass of P where Q has none.
    conjugate_of_activation: f*(g_f(v)) written in a numerically stable form.
    formulas: (f, f*, g_f) as plain text for tables.
    f_on_reals: f* is the conjugate of f on the whole real line (Pearson, as in the paper's
        table); otherwise of f on u >= 0. (Pearson restricted to u >= 0 has another conjugate:
        f*(t) = t^2/4 + t for t >= -2, where the maximiser u = 1 + t/2 is >= 0, and -1 = -f(0)
        for t < -2; that is not max(t^2/4 + t, -1), which differs from it for t < -4. On
        ratios p/q >= 0 both conjugates give the same divergence.)
    """

    name: str
    f: Fn
    f_star: Fn
    activation: Fn
    f_prime: Fn
    domain: tuple[float, float]
    closed: tuple[bool, bool]
    slope_at_inf: float
    conjugate_of_activation: Fn
    formulas: tuple[str, str, str]
    f_on_reals: bool = False

    def in_domain(self, t: Tensor) -> Tensor:
        """Boolean tensor: is t in dom f*?"""
        lo, hi = self.domain
        above = t >= lo if self.closed[0] else t > lo
        below = t <= hi if self.closed[1] else t < hi
        return above & below


def wright_omega(y: Tensor) -> Tensor:
    """W(e^y), the Lambert W function of e^y (the Wright omega function), for real y.

    Solves w + log w = y by Newton's method in the tensor's dtype, so it never forms e^y
    (which overflows for y > 709 in float64). Differentiable: dW(e^y)/dy = w / (1 + w).
    Checked against scipy.special.lambertw and scipy.special.wrightomega in the tests.
    """
    y = tensor("y", y, finite=False)  # NaN in, NaN out, like torch's own special functions
    with torch.no_grad():
        yd = y.detach()
        # start: w ~ e^y for very negative y, w ~ y - log y for large y (asymptotics of W)
        w = torch.where(yd > 1, yd - torch.log(yd.clamp_min(1.0)), torch.exp(yd.clamp_max(1.0)))
        for _ in range(30):
            w = w - (w + torch.log(w) - yd) * w / (1 + w)
            w = w.clamp_min(torch.finfo(w.dtype).tiny)
    # attach the exact derivative w / (1 + w) to the converged value (straight-through)
    return w + (y - yd) * (w / (1 + w))


def _xlogx(u: Tensor) -> Tensor:
    return torch.special.xlogy(u, u)  # u log u with 0 log 0 = 0


def _js_weighted(pi: float) -> FDivergence:
    lo_hi = -pi * math.log(pi)

    def f(u):
        return pi * _xlogx(u) - _xlogx(1 - pi + pi * u)

    def f_star(t):
        # (1 - pi) log((1 - pi) / (1 - pi e^{t/pi}))
        return (1 - pi) * (math.log(1 - pi) - torch.log1p(-pi * torch.exp(t / pi)))

    def conj_act(v):
        # pi e^{g(v)/pi} = sigmoid(v)^{1/pi}: f* = (1 - pi)(log(1 - pi) - log(1 - sigmoid^{1/pi}))
        # log(1 - e^{-a}) as log(-expm1(-a)): exact for small a = softplus(-v)/pi (large v)
        return (1 - pi) * (math.log(1 - pi) - torch.log(-torch.expm1(-F.softplus(-v) / pi)))

    return FDivergence(
        "jensen-shannon-weighted", f, f_star,
        lambda v: lo_hi - F.softplus(-v),
        lambda u: pi * torch.log(u / (1 - pi + pi * u)),
        (-math.inf, lo_hi), (False, False), lo_hi, conj_act,
        (f"pi u log u - (1-pi+pi u) log(1-pi+pi u), pi = {pi}",
         "(1-pi) log((1-pi) / (1 - pi e^(t/pi)))", "-pi log pi - log(1 + e^-v)"),
    )


LOG2 = math.log(2.0)

_TABLE = [
    FDivergence(
        "total-variation", lambda u: 0.5 * (u - 1).abs(), lambda t: t,
        lambda v: 0.5 * torch.tanh(v), lambda u: 0.5 * torch.sign(u - 1),
        (-0.5, 0.5), (True, True), 0.5, lambda v: 0.5 * torch.tanh(v),
        ("1/2 |u - 1|", "t", "1/2 tanh(v)")),
    FDivergence(
        "kl", _xlogx, lambda t: torch.exp(t - 1), lambda v: v, lambda u: torch.log(u) + 1,
        (-math.inf, math.inf), (False, False), math.inf, lambda v: torch.exp(v - 1),
        ("u log u", "exp(t - 1)", "v")),
    FDivergence(
        "reverse-kl", lambda u: -torch.log(u), lambda t: -1 - torch.log(-t),
        lambda v: -torch.exp(-v), lambda u: -1 / u,
        (-math.inf, 0.0), (False, False), 0.0, lambda v: v - 1,
        ("-log u", "-1 - log(-t)", "-exp(-v)")),
    FDivergence(
        "pearson", lambda u: (u - 1) ** 2, lambda t: 0.25 * t**2 + t, lambda v: v,
        lambda u: 2 * (u - 1), (-math.inf, math.inf), (False, False), math.inf,
        lambda v: 0.25 * v**2 + v, ("(u - 1)^2", "t^2/4 + t", "v"), f_on_reals=True),
    FDivergence(
        "neyman", lambda u: (1 - u) ** 2 / u, lambda t: 2 - 2 * torch.sqrt(1 - t),
        lambda v: 1 - torch.exp(v), lambda u: 1 - 1 / u**2,
        (-math.inf, 1.0), (False, False), 1.0, lambda v: 2 - 2 * torch.exp(v / 2),
        ("(1 - u)^2 / u", "2 - 2 sqrt(1 - t)", "1 - exp(v)")),
    FDivergence(
        "squared-hellinger", lambda u: (torch.sqrt(u) - 1) ** 2, lambda t: t / (1 - t),
        lambda v: 1 - torch.exp(-v), lambda u: 1 - 1 / torch.sqrt(u),
        (-math.inf, 1.0), (False, False), 1.0, torch.expm1,
        ("(sqrt(u) - 1)^2", "t / (1 - t)", "1 - exp(-v)")),
    FDivergence(
        "jeffrey", lambda u: (u - 1) * torch.log(u),
        lambda t: (w := wright_omega(1 - t)) + 1 / w + t - 2,
        lambda v: v, lambda u: torch.log(u) + 1 - 1 / u,
        (-math.inf, math.inf), (False, False), math.inf,
        lambda v: (w := wright_omega(1 - v)) + 1 / w + v - 2,
        ("(u - 1) log u", "W(e^(1-t)) + 1/W(e^(1-t)) + t - 2", "v")),
    FDivergence(
        "jensen-shannon", lambda u: _xlogx(u) - (u + 1) * torch.log((u + 1) / 2),
        lambda t: -torch.log(2 - torch.exp(t)), lambda v: LOG2 - F.softplus(-v),
        lambda u: torch.log(2 * u / (u + 1)),
        (-math.inf, LOG2), (False, False), LOG2, lambda v: F.softplus(v) - LOG2,
        ("u log u - (u + 1) log((u + 1)/2)", "-log(2 - exp(t))", "log 2 - log(1 + e^-v)")),
    _js_weighted(0.5),
    FDivergence(
        "gan", lambda u: _xlogx(u) - _xlogx(u + 1), lambda t: -torch.log1p(-torch.exp(t)),
        lambda v: -F.softplus(-v), lambda u: torch.log(u / (u + 1)),
        (-math.inf, 0.0), (False, False), 0.0, F.softplus,
        ("u log u - (u + 1) log(u + 1)", "-log(1 - exp(t))", "-log(1 + e^-v)")),
]
_REGISTRY = {d.name: d for d in _TABLE}
NAMES = tuple(_REGISTRY)


def get(name: str) -> FDivergence:
    """The table row called ``name``; unknown names raise ValueError listing the names."""
    return _REGISTRY[one_of("name", name, NAMES, "the f-divergences")]


def f_divergence(p, q, name: str, *, dx: float = 1.0) -> float:
    """D_f(P || Q) = sum_i q_i f(p_i / q_i) * dx for discrete p, q (or densities on a grid).

    p, q: non-negative arrays or tensors of the same shape (probabilities, or density values
    on an evenly spaced grid with spacing ``dx``). Conventions at zeros: 0 * f(0/0) = 0;
    where q = 0 < p the term is p * lim_{u->inf} f(u)/u (infinite for KL, Pearson, Jeffrey);
    where p = 0 < q it is q * f(0) (infinite for reverse KL and Neyman).
    """
    div = get(name)
    p = tensor("p", p).to(torch.float64)
    q = tensor("q", q).to(torch.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {tuple(p.shape)} and "
                         f"{tuple(q.shape)}")
    if (p < 0).any() or (q < 0).any():
        raise ValueError("p and q must be non-negative")
    positive_float("dx", dx)
    has_q = q > 0
    u = torch.where(has_q, p / torch.where(has_q, q, 1.0), 1.0)
    with torch.no_grad():
        terms = torch.where(has_q, q * div.f(u), 0.0)
        only_p = (~has_q) & (p > 0)
        if only_p.any():
            terms = torch.where(only_p, p * div.slope_at_inf, terms)
    return float(terms.sum() * dx)


def fit_gaussian(p_values, x, name: str, *, start: tuple[float, float] = (0.0, 1.0)
                 ) -> tuple[float, float, float]:
    """The Gaussian N(mu, sigma^2) that minimises D_f(P || N(mu, sigma^2)), from ``start``.

    p_values: density of P on the evenly spaced 1-D grid ``x``. Minimises the grid integral
    of ``f_divergence`` over (mu, log sigma) with Nelder-Mead started at ``start`` = (mu0,
    sigma0), so it returns the minimiser *downhill from the start* -- a local one when the
    divergence has several. Returns (mu, sigma, D_f at the optimum).
    """
    from scipy import optimize

    get(name)  # validate before optimising
    x = tensor("x", x, dims=1, min_rows=3).to(torch.float64)
    p_values = tensor("p_values", p_values, dims=1).to(torch.float64)
    if p_values.shape != x.shape:
        raise ValueError(f"p_values must have one value per grid point of x: got shape "
                         f"{tuple(p_values.shape)} for x of shape {tuple(x.shape)}")
    if (p_values < 0).any():
        raise ValueError("p_values must be non-negative (a density)")
    if not bool((x.diff() > 0).all()):
        raise ValueError("x must be an increasing, evenly spaced grid")
    if not start[1] > 0:
        raise ValueError(f"start sigma must be positive, got {start[1]!r}")
    dx = float(x[1] - x[0])

    def objective(params):
        mu, log_sigma = params
        z = (x - mu) / math.exp(log_sigma)
        q = torch.exp(-0.5 * z**2) / (math.exp(log_sigma) * math.sqrt(2 * math.pi))
        value = f_divergence(p_values, q, name, dx=dx)
        return value if math.isfinite(value) else 1e12

    res = optimize.minimize(objective, x0=[start[0], math.log(start[1])], method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 4000})
    return float(res.x[0]), math.exp(res.x[1]), float(res.fun)
