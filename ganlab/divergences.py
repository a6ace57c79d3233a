r"""The f-divergence table as data: f, its Fenchel conjugate f*, and the f-GAN output activation.

Used by notebooks 01-03 and by ``ganlab.losses`` (the ``fgan-<name>`` losses).

For a convex f with f(1) = 0, the f-divergence of P from Q (densities p, q) is
(Csiszar 1967; Ali & Silvey 1966)

.. math:: D_f(P \Vert Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx

and is >= 0 by Jensen's inequality, with equality iff P = Q (for strictly convex f).
The Fenchel conjugate :math:`f^*(t) = \sup_u \{u t - f(u)\}` gives the variational bound

.. math::

    D_f(P \Vert Q) \ge \sup_T\; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))],
    \quad \text{tight at } T(x) = f'\bigl(p(x) / q(x)\bigr),

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

from ._checks import positive_float, tensor
from .registry import Registry

__all__ = ["DIVERGENCES", "FDivergence", "NAMES", "f_divergence", "fit_gaussian", "get",
           "wright_omega"]

Tensor = torch.Tensor
Fn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class FDivergence:
    r"""One row of the f-divergence table (Nowozin et al. 2016, Tables 1-2).

    .. math::

        D_f(P \,\|\, Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx, \qquad
        f^*(t) = \sup_u \{u t - f(u)\}

    The rows are built by the module (``get(name)``); every field is also an attribute.

    Parameters
    ----------
    name : str
        The row's name, e.g. ``"kl"``, ``"jensen-shannon"``, ``"gan"`` (``NAMES``).
    f, f_star, activation, f_prime : callable
        Elementwise functions on tensors: the generator function :math:`f`, its Fenchel
        conjugate :math:`f^*`, the output activation :math:`g_f` (mapping the real line into
        :math:`\mathrm{dom}\, f^*`) and the derivative :math:`f'`.
    domain : tuple of float
        :math:`\mathrm{dom}\, f^*` as (low, high).
    closed : tuple of bool
        Whether each end of ``domain`` belongs to it.
    slope_at_inf : float
        :math:`\lim_{u \to \infty} f(u)/u`, the cost of mass of P where Q has none.
    conjugate_of_activation : callable
        :math:`f^*(g_f(v))` written in a numerically stable form.
    formulas : tuple of str
        (:math:`f`, :math:`f^*`, :math:`g_f`) as plain text for tables.
    f_on_reals : bool
        :math:`f^*` is the conjugate of :math:`f` on the whole real line (Pearson, as in the
        paper's table); otherwise of :math:`f` on :math:`u \ge 0`. Pearson restricted to
        :math:`u \ge 0` has another conjugate: :math:`f^*(t) = t^2/4 + t` for
        :math:`t \ge -2`, where the maximiser :math:`u = 1 + t/2` is :math:`\ge 0`, and
        :math:`-1 = -f(0)` for :math:`t < -2`; that is not :math:`\max(t^2/4 + t, -1)`,
        which differs from it for :math:`t < -4`. On ratios :math:`p/q \ge 0` both
        conjugates give the same divergence.

    References
    ----------
    Nowozin, Cseke, Tomioka, "f-GAN: Training Generative Neural Samplers using Variational
    Divergence Minimization", NeurIPS 2016 (arXiv:1606.00709), Tables 1-2.
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
        r"""Whether each entry of ``t`` lies in :math:`\mathrm{dom}\, f^*`.

        Parameters
        ----------
        t : torch.Tensor
            Values of any shape.

        Returns
        -------
        torch.Tensor
            A boolean tensor of the shape of ``t``.
        """
        lo, hi = self.domain
        above = t >= lo if self.closed[0] else t > lo
        below = t <= hi if self.closed[1] else t < hi
        return above & below


def wright_omega(y: Tensor) -> Tensor:
    r"""The Wright omega function :math:`\omega(y) = W(e^y)`, for real y.

    :math:`W` is the Lambert W function; :math:`w = \omega(y)` solves

    .. math:: w + \log w = y,

    found here by Newton's method in the tensor's dtype, so it never forms :math:`e^y`
    (which overflows for :math:`y > 709` in float64). Differentiable:
    :math:`d W(e^y) / dy = w / (1 + w)`. Checked against ``scipy.special.lambertw`` and
    ``scipy.special.wrightomega`` in the tests. The conjugate of the Jeffrey divergence uses
    it.

    Parameters
    ----------
    y : torch.Tensor
        Real values of any shape; NaN gives NaN.

    Returns
    -------
    torch.Tensor
        :math:`\omega(y)`, of the shape and dtype of ``y``, with the exact derivative attached.

    Raises
    ------
    TypeError
        ``y`` is not a real tensor (or array).
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
DIVERGENCES: Registry[FDivergence] = Registry("f-divergence")
for _row in _TABLE:
    DIVERGENCES.register(_row.name, _row)
del _row
NAMES = DIVERGENCES.names()


def get(name: str) -> FDivergence:
    r"""The table row called ``name``.

    Parameters
    ----------
    name : str
        One of ``NAMES``: ``"total-variation"``, ``"kl"``, ``"reverse-kl"``, ``"pearson"``,
        ``"neyman"``, ``"squared-hellinger"``, ``"jeffrey"``, ``"jensen-shannon"``,
        ``"jensen-shannon-weighted"`` (:math:`\pi = 1/2`), ``"gan"``.

    Returns
    -------
    FDivergence
        The row, with :math:`f`, :math:`f^*`, :math:`g_f`, :math:`f'` and the domain.

    Raises
    ------
    ValueError
        ``name`` is not in the table; the message lists the names.
    """
    return DIVERGENCES.lookup(name)


def f_divergence(p, q, name: str, *, dx: float = 1.0) -> float:
    r"""The f-divergence of discrete P from Q (or of densities on a grid).

    .. math:: D_f(P \,\|\, Q) = \sum_i q_i\, f(p_i / q_i)\, \Delta x

    Conventions at zeros: :math:`0 \cdot f(0/0) = 0`; where :math:`q_i = 0 < p_i` the term is
    :math:`p_i \lim_{u \to \infty} f(u)/u` (infinite for KL, Pearson, Jeffrey); where
    :math:`p_i = 0 < q_i` it is :math:`q_i f(0)` (infinite for reverse KL and Neyman).

    Parameters
    ----------
    p, q : array_like or torch.Tensor
        Non-negative values of the same shape: probabilities, or density values on an evenly
        spaced grid with spacing ``dx``.
    name : str
        The divergence, one of ``NAMES``.
    dx : float
        The grid spacing :math:`\Delta x` (1 for probabilities).

    Returns
    -------
    float
        The divergence, computed in float64; may be ``inf``.

    Raises
    ------
    ValueError
        Unknown ``name``; ``p`` and ``q`` of different shapes, negative or not finite;
        ``dx`` not positive.
    TypeError
        ``p`` or ``q`` is not an array of numbers.
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
    r"""The Gaussian that minimises the f-divergence of P from it, found from ``start``.

    .. math:: (\mu^*, \sigma^*) = \arg\min_{\mu, \sigma} D_f(P \,\|\, \mathcal{N}(\mu, \sigma^2))

    Minimises the grid integral of ``f_divergence`` over :math:`(\mu, \log\sigma)` with
    Nelder-Mead started at ``start``, so it returns the minimiser *downhill from the start*
    -- a local one when the divergence has several.

    Parameters
    ----------
    p_values : array_like or torch.Tensor
        The density of P on the grid ``x``, shape (n,), non-negative.
    x : array_like or torch.Tensor
        An increasing, evenly spaced 1-D grid, shape (n,), n >= 3.
    name : str
        The divergence, one of ``NAMES``.
    start : tuple of float
        :math:`(\mu_0, \sigma_0)`, with :math:`\sigma_0 > 0`.

    Returns
    -------
    mu : float
        The optimal mean :math:`\mu^*`.
    sigma : float
        The optimal standard deviation :math:`\sigma^*`.
    value : float
        :math:`D_f` at the optimum.

    Raises
    ------
    ValueError
        Unknown ``name``; ``p_values`` not one non-negative value per grid point; ``x`` not
        increasing; a start :math:`\sigma_0 \le 0`.
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
