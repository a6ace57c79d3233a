r"""The Earth Mover's distance: moving plans as the variables of a linear program.

Used by notebooks 03-05 (and by ``ganlab.train`` metrics that track exact W1).

Given masses a (n,) at points x_i and b (m,) at points y_j with the same total, and a
ground cost M (n, m) (M_ij = ||x_i - y_j|| for W1), a *moving plan* gamma (n, m) >= 0
says how much mass goes from x_i to y_j. Its rows must sum to a and its columns to b.
The Earth Mover's distance is the cheapest plan's cost (Kantorovich 1942):

.. math::

    W(a, b) = \min_\gamma \sum_{ij} \gamma_{ij} M_{ij} \quad \text{s.t.} \quad
    \gamma \mathbf{1} = a,\; \gamma^\top \mathbf{1} = b,\; \gamma \ge 0.

Its dual (Kantorovich-Rubinstein when M is a metric) is

.. math::

    W(a, b) = \max_{f, g} \sum_i a_i f_i + \sum_j b_j g_j \quad \text{s.t.} \quad
    f_i + g_j \le M_{ij},

and for a metric cost the optimal f may be taken 1-Lipschitz with g = -f, which is the
form the WGAN critic estimates (Arjovsky et al. 2017, eq. 2-3).

* ``emd`` -- POT's network simplex (Bonneel et al. 2011), exact; optional dual potentials.
* ``emd_linprog`` -- the same LP written out with ``plan_constraints`` and solved by SciPy's
  HiGHS, to show that a moving plan is nothing more than LP variables.
* ``wasserstein1`` -- exact W1 between weighted point clouds (Euclidean ground cost; note
  that ``ot.dist`` defaults to the *squared* Euclidean distance).

Inputs may be NumPy arrays or torch tensors on any device; results are floats and NumPy
arrays (float64).

References: Flamary et al., "POT: Python Optimal Transport", JMLR 2021. Peyre & Cuturi,
"Computational Optimal Transport", 2019, ch. 3. Villani, "Optimal Transport: Old and New",
2009. Arjovsky, Chintala, Bottou, "Wasserstein GAN", arXiv:1701.07875.
"""

from __future__ import annotations

import numpy as np
import ot
import scipy.sparse as sp
import torch
from scipy.optimize import linprog

from . import _checks
from ._checks import positive_int

__all__ = ["MASS_RTOL", "emd", "emd_linprog", "plan_constraints", "wasserstein1"]

MASS_RTOL = 1e-6  # relative tolerance on sum(a) == sum(b)
NUM_ITER_MAX = 10_000_000  # POT's default, 100,000, stops early on large problems (POT 0.9.7:
#                            two 4,000-point Gaussian clouds in the plane; 2,000 still converge)


def _as_numpy(name: str, value, dims: int | tuple[int, ...]) -> np.ndarray:
    """A checked float64 copy of an array or tensor (any device): finite, of rank ``dims``,
    not empty."""
    if value is not None and not isinstance(value, torch.Tensor):  # lists, arrays: float64
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            pass  # not numbers: _checks.tensor names the argument
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        value = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float64))  # no float32 trip
    return _checks.tensor(name, value, dims=dims).detach().cpu().to(torch.float64).numpy()


def _check_problem(a, b, M) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, M = _as_numpy("a", a, 1), _as_numpy("b", b, 1), _as_numpy("M", M, 2)
    if M.shape != (len(a), len(b)):
        raise ValueError(f"M must have shape (len(a), len(b)) = {(len(a), len(b))}, got {M.shape}")
    if (a < 0).any() or (b < 0).any():
        raise ValueError("a and b must be non-negative weights")
    if not np.isclose(a.sum(), b.sum(), rtol=MASS_RTOL, atol=0):
        raise ValueError(f"a and b must have equal total mass: sum(a) = {a.sum():.10g}, "
                         f"sum(b) = {b.sum():.10g}")
    return a, b, M


def emd(a, b, M, *, return_duals: bool = False):
    r"""Exact optimal transport by POT's network simplex (Bonneel et al. 2011).

    .. math::

        W(a, b) = \min_{\gamma \ge 0} \sum_{ij} \gamma_{ij} M_{ij}
        \quad \text{s.t.} \quad \gamma \mathbf{1} = a,\; \gamma^\top \mathbf{1} = b

    Parameters
    ----------
    a : array_like or torch.Tensor
        Masses at the sources, shape (n,), non-negative.
    b : array_like or torch.Tensor
        Masses at the targets, shape (m,), non-negative, with the same total as ``a``
        (relative tolerance ``MASS_RTOL``).
    M : array_like or torch.Tensor
        The ground cost, shape (n, m).
    return_duals : bool
        Also return the dual potentials.

    Returns
    -------
    cost : float
        :math:`\sum_{ij} \gamma_{ij} M_{ij}` for the optimal plan.
    plan : numpy.ndarray
        The optimal :math:`\gamma`, shape (n, m), float64: rows sum to ``a``, columns to
        ``b``.
    duals : tuple of numpy.ndarray
        Only with ``return_duals``: potentials f (n,) and g (m,) with
        :math:`f_i + g_j \le M_{ij}` and :math:`a \cdot f + b \cdot g` = cost.

    Raises
    ------
    ValueError, TypeError
        The inputs are not finite arrays of the shapes above, have negative masses or
        unequal totals.
    RuntimeError
        The solver did not reach the optimum.

    References
    ----------
    Bonneel, van de Panne, Paris, Heidrich, "Displacement Interpolation Using Lagrangian Mass
    Transport", ACM Trans. Graph. 2011. Flamary et al., "POT: Python Optimal Transport",
    JMLR 2021.
    """
    a, b, M = _check_problem(a, b, M)
    b = b * (a.sum() / b.sum())  # remove the rounding difference POT would warn about
    plan, log = ot.emd(a, b, M, numItermax=NUM_ITER_MAX, log=True)
    if log["result_code"] != 1:  # 1 = OPTIMAL; see ot.lp.emd_c
        raise RuntimeError(f"ot.emd did not converge: {log['warning']} "
                           f"(result code {log['result_code']}, n = {len(a)}, m = {len(b)})")
    cost = float(np.sum(plan * M))
    if return_duals:
        return cost, plan, (np.asarray(log["u"]), np.asarray(log["v"]))
    return cost, plan


def plan_constraints(n: int, m: int) -> sp.csr_matrix:
    r"""The equality constraints of the moving-plan LP as a sparse matrix A.

    The plan :math:`\gamma` (n, m) is flattened row by row: variable :math:`k = i m + j` is
    :math:`\gamma_{ij}`. Then

    .. math::

        (A \operatorname{vec} \gamma)_i = \sum_j \gamma_{ij} \;(= a_i), \quad i < n; \qquad
        (A \operatorname{vec} \gamma)_{n + j} = \sum_i \gamma_{ij} \;(= b_j)

    Row :math:`i < n` is the mass leaving :math:`x_i`, row :math:`n + j` the mass arriving at
    :math:`y_j`.

    Parameters
    ----------
    n, m : int
        The numbers of sources and targets, positive.

    Returns
    -------
    scipy.sparse.csr_matrix
        A of shape (n + m, n m), entries 0 and 1.

    Raises
    ------
    ValueError
        ``n`` or ``m`` is not a positive integer.
    """
    for name, value in (("n", n), ("m", m)):
        positive_int(name, value, integer_types=(int, np.integer))
    rows_out = sp.kron(sp.identity(n), np.ones((1, m)))  # (n, n*m): sum over j
    cols_in = sp.kron(np.ones((1, n)), sp.identity(m))   # (m, n*m): sum over i
    return sp.vstack([rows_out, cols_in]).tocsr()


def emd_linprog(a, b, M, *, time_limit: float | None = None) -> tuple[float, np.ndarray]:
    r"""The moving-plan LP written out and solved by ``scipy.optimize.linprog`` (HiGHS).

    .. math::

        \min_{\gamma} \sum_{ij} M_{ij} \gamma_{ij} \quad \text{s.t.} \quad
        A \operatorname{vec} \gamma = \begin{bmatrix} a \\ b \end{bmatrix},\; \gamma \ge 0

    with :math:`A` = ``plan_constraints(n, m)``: a moving plan is nothing more than LP
    variables. Same inputs and optimum as ``emd``.

    Parameters
    ----------
    a, b, M : array_like or torch.Tensor
        Masses (n,) and (m,) with equal totals, ground cost (n, m) (as for ``emd``).
    time_limit : float, optional
        Seconds, passed to HiGHS.

    Returns
    -------
    cost : float
        The optimal cost.
    plan : numpy.ndarray
        An optimal plan, shape (n, m).

    Raises
    ------
    ValueError, TypeError
        Bad inputs (as for ``emd``), or ``time_limit`` not positive.
    RuntimeError
        HiGHS did not solve the LP (e.g. it stopped at ``time_limit``).
    """
    a, b, M = _check_problem(a, b, M)
    if time_limit is not None:
        _checks.positive_float("time_limit", time_limit)
    b = b * (a.sum() / b.sum())
    options = {"time_limit": time_limit} if time_limit is not None else None
    result = linprog(M.ravel(), A_eq=plan_constraints(len(a), len(b)),
                     b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs",
                     options=options)
    if result.status != 0:
        raise RuntimeError(f"linprog did not solve the moving-plan LP: {result.message}")
    plan = result.x.reshape(len(a), len(b))
    return float(result.fun), plan


def wasserstein1(x, y, a=None, b=None) -> float:
    r"""Exact :math:`W_1` between weighted point clouds, with Euclidean ground cost.

    .. math::

        W_1 = \min_{\gamma \ge 0,\, \gamma \mathbf{1} = a,\, \gamma^\top \mathbf{1} = b}
        \sum_{ij} \gamma_{ij} \lVert x_i - y_j \rVert_2

    solved by ``emd`` (note that ``ot.dist`` defaults to the *squared* Euclidean distance;
    this passes ``metric="euclidean"``).

    Parameters
    ----------
    x : array_like or torch.Tensor
        Points, shape (n, d); a 1-D input (n,) is n points on the line.
    y : array_like or torch.Tensor
        Points, shape (m, d) (or (m,)), in the same dimension d.
    a, b : array_like or torch.Tensor, optional
        Weights (n,) and (m,), non-negative with a positive total; default uniform. Each is
        normalised to sum to 1.

    Returns
    -------
    float
        The distance.

    Raises
    ------
    ValueError, TypeError
        Shapes that do not match, non-finite values, negative weights or a zero total.
    RuntimeError
        The solver did not reach the optimum.

    References
    ----------
    Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017 (arXiv:1701.07875), eq. 2-3
    for the dual that the WGAN critic estimates.
    """
    x, y = _as_numpy("x", x, (1, 2)), _as_numpy("y", y, (1, 2))
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, None] if y.ndim == 1 else y
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, d) and (m, d) point clouds, got {x.shape} and "
                         f"{y.shape}")
    a = np.full(len(x), 1.0 / len(x)) if a is None else _as_numpy("a", a, 1)
    b = np.full(len(y), 1.0 / len(y)) if b is None else _as_numpy("b", b, 1)
    if a.shape != (len(x),) or b.shape != (len(y),):
        raise ValueError(f"a must have shape ({len(x)},) and b ({len(y)},), got {a.shape} and "
                         f"{b.shape}")
    if a.sum() <= 0 or b.sum() <= 0:
        raise ValueError("a and b must have positive total mass")
    M = ot.dist(x, y, metric="euclidean")  # not the default "sqeuclidean"
    return emd(a / a.sum(), b / b.sum(), M)[0]
