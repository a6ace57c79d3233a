"""Statistics for comparing methods over training seeds: what every comparison table uses.

Used by notebooks 05-10. A comparison between two GAN recipes is a comparison between two
small samples -- one score per training seed -- so each table reports, per method, the mean,
the standard deviation with ddof = 1, a 95 % interval and n, and an ordering "A beats B" is
asserted only where a rank test, corrected for all the comparisons the notebook makes,
supports it.

* ``summary(values)`` -- mean, sd (ddof = 1), a confidence interval for the mean (Student t,
  or a percentile bootstrap with an explicit seed or random number generator) and n.
* ``compare(a, b)`` -- the Mann-Whitney U (Wilcoxon rank-sum) test, exact whenever the exact
  null distribution can be enumerated, with the probability of superiority U / (n_a n_b).
* ``min_p_value(n_a, n_b)`` -- the smallest p the exact test can give: with 3 seeds against 3,
  1/20 one-sided, so no correction for more than one comparison can reach 0.05.
* ``holm(pvalues)`` -- Holm-Bonferroni adjusted p-values.
* ``table(groups)`` and ``comparisons(groups, pairs)`` -- rows a notebook prints and asserts on.
* ``late_change(steps, values)`` -- how far a learning curve's seed mean still moves over the
  last fifth of training: the course calls a run converged only where this is small.

References
----------
1. H. B. Mann, D. R. Whitney, "On a test of whether one of two random variables is
   stochastically larger than the other", Ann. Math. Statist. 18 (1947) 50-60.
2. S. Holm, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6
   (1979) 65-70.
3. B. Efron, R. J. Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall (1993),
   ch. 13 (percentile intervals).
4. "Student" (W. S. Gosset), "The probable error of a mean", Biometrika 6 (1908) 1-25.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats as _scipy

from ._checks import one_of, positive_int

__all__ = ["ALTERNATIVES", "Comparison", "ComparisonRow", "Comparisons", "Summary",
           "compare", "comparisons", "holm", "late_change", "min_p_value", "summary", "table"]

ALTERNATIVES = ("two-sided", "greater", "less")
CI_METHODS = ("t", "bootstrap")
EXACT_LIMIT = 200_000  # largest number of label arrangements the exact test enumerates
EXACT_SIZE = 100  # largest n_a + n_b for scipy's exact U distribution (no ties)


def _values(name: str, values, *, min_n: int = 2) -> np.ndarray:
    """``values`` as a 1-D float64 array of at least ``min_n`` finite numbers."""
    if isinstance(values, (str, bytes, Mapping)) or values is None:
        raise TypeError(f"{name} must be a 1-D sequence of numbers (list, array, tensor), got "
                        f"{type(values).__name__}")
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().to(torch.float64).numpy()
    try:
        x = np.asarray(values)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got "
                        f"{type(values).__name__} ({err})") from None
    if x.dtype == bool or x.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per seed), got shape {x.shape}")
    if len(x) < min_n:
        raise ValueError(f"{name} needs at least {min_n} values (a standard deviation and a "
                         f"test need them), got {len(x)}")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values (a diverged run? report it "
                         "separately instead of averaging it in)")
    return x


def _level(level, name: str = "level") -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"{name} must be a number in (0, 1), e.g. "
                         f"{0.95 if name == 'level' else 0.05}, got {level!r}")
    return float(level)


# ------------------------------------------------------------------ one method's scores ------
@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation (ddof = 1), a ``level`` interval for the mean, and n.

    ``str`` gives ``"mean ± sd [low, high] n=N"`` (``format``).

    Attributes
    ----------
    mean, sd : float
        The sample mean and the standard deviation with ddof = 1.
    low, high : float
        The interval for the mean.
    n : int
        The number of values (seeds).
    level : float
        The interval's coverage, e.g. 0.95.
    method : str
        How the interval was made: ``"t"`` or ``"bootstrap"``.
    """

    mean: float
    sd: float
    low: float
    high: float
    n: int
    level: float = 0.95
    method: str = "t"

    def format(self, digits: int = 3) -> str:
        """The summary as ``"mean ± sd [low, high] n=N"``.

        Parameters
        ----------
        digits : int
            Significant digits of each number.

        Returns
        -------
        str
            E.g. ``"0.512 ± 0.0301 [0.437, 0.587] n=3"``.
        """
        g = f".{digits}g"
        return (f"{self.mean:{g}} ± {self.sd:{g}} [{self.low:{g}}, {self.high:{g}}] "
                f"n={self.n}")

    def __str__(self) -> str:
        return self.format()


def summary(values, *, level: float = 0.95, method: str = "t", n_boot: int = 10_000,
            generator: int | np.random.Generator | torch.Generator | None = None) -> Summary:
    r"""Mean, standard deviation and a confidence interval for the mean of ``values``.

    .. math::

        \bar x = \frac{1}{n} \sum_i x_i, \qquad
        s = \sqrt{\frac{1}{n - 1} \sum_i (x_i - \bar x)^2}, \qquad
        \bar x \pm t_{(1 + \text{level})/2,\, n - 1}\, \frac{s}{\sqrt n}

    (ddof = 1: the unbiased variance; the interval is Student's, exact when the scores are
    normal).

    Parameters
    ----------
    values : sequence of float
        One score per seed, shape (n,), finite, n >= 2.
    level : float
        Coverage of the interval, in (0, 1) (0.95: a 95 % interval).
    method : {"t", "bootstrap"}
        ``"t"``: Student's interval above (Student 1908). ``"bootstrap"``: the percentile
        interval of the mean over ``n_boot`` resamples with replacement (Efron & Tibshirani
        1993, ch. 13; it needs ``generator`` and is too narrow for n below about 10).
    n_boot : int
        Bootstrap resamples.
    generator : int, numpy.random.Generator or torch.Generator, optional
        For the bootstrap: a seed (non-negative int) or a random number generator
        (``numpy.random.Generator`` or ``torch.Generator``); randomness is never drawn from a
        global state.

    Returns
    -------
    Summary
        ``mean``, ``sd``, ``low``, ``high``, ``n``, ``level``, ``method``.

    Raises
    ------
    TypeError
        ``values`` is not a 1-D sequence of real numbers; ``method="bootstrap"`` without a
        seed or random number generator.
    ValueError
        Fewer than 2 values, NaN or infinite values (a diverged run: report it separately),
        ``level`` outside (0, 1), an unknown ``method``, ``n_boot`` not positive.

    References
    ----------
    "Student" (W. S. Gosset), "The probable error of a mean", Biometrika 6 (1908) 1-25.
    B. Efron, R. J. Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall (1993),
    ch. 13.
    """
    x = _values("values", values)
    level = _level(level)
    one_of("method", method, CI_METHODS, "confidence interval methods")
    n, mean, sd = len(x), float(x.mean()), float(x.std(ddof=1))
    if method == "t":
        half = _scipy.t.ppf((1 + level) / 2, n - 1) * sd / math.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low, high = _bootstrap_interval(x, level, n_boot, generator)
    return Summary(mean, sd, float(low), float(high), n, level, method)


def _resample_indices(n: int, n_boot: int, generator) -> np.ndarray:
    """(n_boot, n) indices drawn with replacement from the given seed or random number generator."""
    if isinstance(generator, torch.Generator):
        return torch.randint(n, (n_boot, n), generator=generator).numpy()
    if isinstance(generator, np.random.Generator):
        return generator.integers(n, size=(n_boot, n))
    if isinstance(generator, int) and not isinstance(generator, bool) and generator >= 0:
        return np.random.default_rng(generator).integers(n, size=(n_boot, n))
    raise TypeError("generator must be a seed (non-negative int), a numpy.random.Generator or a "
                    f"torch.Generator when method='bootstrap', got {generator!r}")


def _bootstrap_interval(x: np.ndarray, level: float, n_boot: int, generator):
    positive_int("n_boot", n_boot)
    means = x[_resample_indices(len(x), n_boot, generator)].mean(axis=1)
    return np.quantile(means, [(1 - level) / 2, (1 + level) / 2])


# ------------------------------------------------------------------- two methods ------------
@dataclass(frozen=True)
class Comparison:
    r"""A Mann-Whitney U test of sample a against sample b (``compare``).

    Attributes
    ----------
    statistic : float
        :math:`U_a`, the number of pairs :math:`(a_i, b_j)` with :math:`a_i > b_j` plus half
        the ties.
    superiority : float
        :math:`U_a / (n_a n_b)`, an estimate of :math:`P(A > B) + P(A = B) / 2`.
    p : float
        The p-value for ``alternative``.
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    method : str
        ``"exact"``, ``"exact permutation"`` or ``"asymptotic"``.
    """

    statistic: float
    superiority: float
    p: float
    alternative: str
    method: str


def _arrangements(n_a: int, n_b: int) -> int:
    return math.comb(n_a + n_b, n_a)


def compare(a, b, *, alternative: str = "two-sided") -> Comparison:
    r"""Mann-Whitney U (Wilcoxon rank-sum) test of ``a`` against ``b``.

    .. math::

        U_a = \sum_i \sum_j \Bigl([a_i > b_j] + \tfrac{1}{2} [a_i = b_j]\Bigr)

    (Mann & Whitney 1947). Under the null hypothesis that both samples come from one
    distribution every split of the pooled values into :math:`n_a` and :math:`n_b` is equally
    likely, which gives U's exact distribution.

    The p-value is exact when it can be: without ties and with :math:`n_a + n_b \le 100`,
    from U's exact null distribution (``scipy.stats.mannwhitneyu(method="exact")``); with
    ties (mode counts often tie) and at most ``EXACT_LIMIT`` = 200,000 splits (10 seeds
    against 10 is 184,756), by enumerating every split (an exact permutation test on U);
    beyond that, the normal approximation with the tie correction. With
    :math:`n_a = n_b = 3` the smallest possible p is 1/20 one-sided (``min_p_value``).

    Parameters
    ----------
    a, b : sequence of float
        Shapes (n_a,) and (n_b,), finite, each of at least 2 values.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: A tends to score higher than B; ``"less"``: lower; ``"two-sided"``:
        either (twice the smaller one-sided p, at most 1).

    Returns
    -------
    Comparison
        :math:`U_a`, :math:`U_a / (n_a n_b)`, the p-value and the method used.

    Raises
    ------
    TypeError, ValueError
        ``a`` or ``b`` is not a 1-D sequence of at least 2 finite numbers; an unknown
        ``alternative``.

    References
    ----------
    H. B. Mann, D. R. Whitney, "On a test of whether one of two random variables is
    stochastically larger than the other", Ann. Math. Statist. 18 (1947) 50-60.
    """
    x, y = _values("a", a), _values("b", b)
    one_of("alternative", alternative, ALTERNATIVES)
    tied = len(np.unique(np.concatenate([x, y]))) < len(x) + len(y)
    if not tied and len(x) + len(y) <= EXACT_SIZE:
        method, result = "exact", _scipy.mannwhitneyu(x, y, alternative=alternative,
                                                       method="exact")
        p = result.pvalue
    elif _arrangements(len(x), len(y)) <= EXACT_LIMIT:
        method, p = "exact permutation", _permutation_p(x, y, alternative)
    else:
        method, result = "asymptotic", _scipy.mannwhitneyu(x, y, alternative=alternative,
                                                            method="asymptotic")
        p = result.pvalue
    u = _u_statistic(x[None, :], y[None, :])[0]
    return Comparison(float(u), float(u / (len(x) * len(y))), float(p), alternative, method)


def _u_statistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """U of the rows of x (k, n_a) against the rows of y (k, n_b): pairs won plus half ties."""
    diff = x[:, :, None] - y[:, None, :]  # (k, n_a, n_b)
    return (diff > 0).sum(axis=(1, 2)) + 0.5 * (diff == 0).sum(axis=(1, 2))


def _permutation_p(x: np.ndarray, y: np.ndarray, alternative: str) -> float:
    """Exact p-value of U by enumerating every way to choose which pooled values are "a"."""
    from itertools import combinations

    pooled, n_a = np.concatenate([x, y]), len(x)
    splits = np.array(list(combinations(range(len(pooled)), n_a)))  # (S, n_a)
    mask = np.zeros((len(splits), len(pooled)), dtype=bool)
    np.put_along_axis(mask, splits, True, axis=1)
    # U_a = R_a - n_a (n_a + 1) / 2 with R_a the sum of the pooled mid-ranks of the "a"
    # values (ties share their mean rank): the same U as counting pairs, for every split
    u = mask.astype(np.float64) @ _scipy.rankdata(pooled) - n_a * (n_a + 1) / 2
    observed = _u_statistic(x[None, :], y[None, :])[0]
    tol = 1e-9  # U is a multiple of 1/2; the tolerance only absorbs float summation
    greater, less = (u >= observed - tol).mean(), (u <= observed + tol).mean()
    if alternative == "greater":
        return float(greater)
    if alternative == "less":
        return float(less)
    return float(min(1.0, 2 * min(greater, less)))


def min_p_value(n_a: int, n_b: int, *, alternative: str = "two-sided") -> float:
    r"""The smallest p-value the exact rank test can give for samples of n_a and n_b.

    .. math:: p_{\min} = 1 \Big/ \binom{n_a + n_b}{n_a}

    one-sided, twice that two-sided (at most 1): complete separation. With 3 seeds against 3
    that is 0.05 one-sided and 0.1 two-sided: after any correction for more than one
    comparison no ordering of two 3-seed samples can be significant at 0.05.

    Parameters
    ----------
    n_a, n_b : int
        The sample sizes, positive.
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    float
        :math:`p_{\min}`, in (0, 1].

    Raises
    ------
    ValueError
        A size that is not a positive int, or an unknown ``alternative``.
    """
    positive_int("n_a", n_a)
    positive_int("n_b", n_b)
    one_of("alternative", alternative, ALTERNATIVES)
    p = 1 / _arrangements(n_a, n_b)
    return min(1.0, 2 * p) if alternative == "two-sided" else p


# ---------------------------------------------------------------- many comparisons ----------
def holm(pvalues) -> np.ndarray:
    r"""Holm-Bonferroni adjusted p-values, in the order given.

    With the m p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`, the adjusted value of
    the i-th is

    .. math:: \tilde p_{(i)} = \max_{j \le i} \min\bigl(1, (m - j + 1)\, p_{(j)}\bigr)

    (Holm 1979). Rejecting every hypothesis whose adjusted p is :math:`\le \alpha` is Holm's
    step-down procedure: it controls the probability of any false rejection among the m at
    :math:`\alpha`, for any dependence between the tests.

    Parameters
    ----------
    pvalues : sequence of float
        Shape (m,), m >= 1, each in [0, 1].

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, shape (m,), in the order of ``pvalues``.

    Raises
    ------
    TypeError, ValueError
        ``pvalues`` is not a 1-D sequence of finite numbers in [0, 1].

    References
    ----------
    S. Holm, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6
    (1979) 65-70.
    """
    p = _values("pvalues", pvalues, min_n=1)
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"pvalues must lie in [0, 1], got {p.tolist()}")
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def table(groups: Mapping[str, Sequence[float]], *, level: float = 0.95) -> dict[str, Summary]:
    """``summary`` (t interval) of each method's scores.

    Parameters
    ----------
    groups : dict of str to sequence of float
        ``{method name: one score per seed}``, n >= 2 each.
    level : float
        The intervals' coverage.

    Returns
    -------
    dict of str to Summary
        ``{method: Summary}`` in the order of ``groups``.

    Raises
    ------
    TypeError, ValueError
        ``groups`` is not a non-empty dict keyed by names, or a group's scores are bad (as
        for ``summary``).
    """
    _groups(groups)
    return {name: summary(values, level=level) for name, values in groups.items()}


def _groups(groups) -> Mapping:
    if not isinstance(groups, Mapping) or not groups:
        raise TypeError(f"groups must be a non-empty dict {{method: scores}}, got "
                        f"{type(groups).__name__ if not isinstance(groups, Mapping) else '{}'}")
    for name in groups:
        if not isinstance(name, str):
            raise TypeError(f"groups must be keyed by method names (str), got {name!r}")
    return groups


@dataclass(frozen=True)
class ComparisonRow:
    """One claimed ordering "a beats b" and what the data say about it.

    Attributes
    ----------
    a, b : str
        The two methods.
    claim : str
        E.g. ``"wgan-gp > sngan"`` (``>`` for alternative "greater", ``<`` for "less",
        ``≠`` for two-sided).
    summary_a, summary_b : Summary
        Each method's scores, with t intervals.
    test : Comparison
        The rank test of a against b.
    p_holm : float
        The Holm-adjusted p over all the rows of the same ``comparisons`` call.
    alpha : float
        The family-wise error rate the claim is judged at.
    """

    a: str
    b: str
    claim: str
    summary_a: Summary
    summary_b: Summary
    test: Comparison
    p_holm: float
    alpha: float

    @property
    def p(self) -> float:
        """The raw rank-test p-value (before the Holm correction)."""
        return self.test.p

    @property
    def supported(self) -> bool:
        """Whether the claim survives the correction: ``p_holm <= alpha``."""
        return self.p_holm <= self.alpha


class Comparisons(tuple):
    """The rows of ``comparisons`` (a tuple of ``ComparisonRow``); ``str`` prints a table."""

    def row(self, a: str, b: str) -> ComparisonRow:
        """The row comparing ``a`` with ``b``.

        Parameters
        ----------
        a, b : str
            The pair, in the order it was passed to ``comparisons``.

        Returns
        -------
        ComparisonRow
            The first row for that pair.

        Raises
        ------
        KeyError
            That pair was not compared.
        """
        for r in self:
            if (r.a, r.b) == (a, b):
                return r
        raise KeyError(f"the pair ({a!r}, {b!r}) was not compared; compared: "
                       f"{[(r.a, r.b) for r in self]}")

    def supported(self, a: str, b: str) -> bool:
        """Whether the ordering claimed for (a, b) survives the Holm correction at alpha.

        Takes the pair as ``row`` does (and raises ``KeyError`` as it does when the pair was
        not compared); returns ``row(a, b).supported``, a bool.
        """
        return self.row(a, b).supported

    def __str__(self) -> str:
        if not self:
            return "(no comparisons)"
        width = max(len(r.claim) for r in self)
        head = (f"{'claim':{width}s}  {'mean ± sd [95% CI] n (a)':34s}  "
                f"{'mean ± sd [95% CI] n (b)':34s}  {'U':>5s} {'p':>7s} {'p Holm':>7s}  "
                f"supported at {self[0].alpha:g} (Holm over {len(self)})")
        lines = [head]
        for r in self:
            lines.append(f"{r.claim:{width}s}  {r.summary_a.format():34s}  "
                         f"{r.summary_b.format():34s}  {r.test.statistic:5.1f} {r.p:7.4f} "
                         f"{r.p_holm:7.4f}  {'yes' if r.supported else 'no'}")
        return "\n".join(lines)


def comparisons(groups: Mapping[str, Sequence[float]], pairs: Sequence[tuple[str, str]], *,
                alternative: str = "greater", alpha: float = 0.05,
                level: float = 0.95) -> Comparisons:
    """Test each claimed ordering in ``pairs`` and correct for all of them together (Holm).

    Each pair gets a rank test (``compare``) and the p-values are adjusted together
    (``holm``). The correction counts exactly the pairs passed: pass every comparison the
    notebook makes in one call, and say how many that was (``len(result)``).

    Parameters
    ----------
    groups : dict of str to sequence of float
        ``{method: scores}``, one score per seed (n >= 2 each).
    pairs : sequence of tuple of str
        ``[(a, b), ...]``; each claims "a beats b": a's scores are larger when
        ``alternative="greater"`` (mode counts, high-quality share), smaller with ``"less"``
        (Frechet distance, W1); ``"two-sided"`` asks only whether they differ.
    alternative : {"greater", "less", "two-sided"}
        The direction of every claim.
    alpha : float
        Family-wise error rate of the whole set of claims (Holm 1979), in (0, 1).
    level : float
        Coverage of the t intervals in the summaries.

    Returns
    -------
    Comparisons
        One ``ComparisonRow`` per pair (summaries with t intervals at ``level``, U, raw p,
        Holm p, supported), printable as a table; ``.supported(a, b)`` for asserts.

    Raises
    ------
    TypeError
        ``groups`` is not a non-empty dict keyed by names, or ``pairs`` not a non-empty list
        of (a, b) tuples.
    ValueError
        A pair names a method not in ``groups``; bad scores, ``alpha`` or ``alternative``.

    References
    ----------
    S. Holm, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6
    (1979) 65-70.
    """
    _groups(groups)
    one_of("alternative", alternative, ALTERNATIVES)
    _level(alpha, "alpha")
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Sequence) or not pairs:
        raise TypeError(f"pairs must be a non-empty list of (a, b) method names, got {pairs!r}")
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"pairs must hold (a, b) tuples of method names, got {pair!r}")
        for name in pair:
            if name not in groups:
                raise ValueError(f"pairs names {name!r}, which is not in groups; known: "
                                 f"{', '.join(groups)}")
    summaries = table(groups, level=level)
    tests = [compare(groups[a], groups[b], alternative=alternative) for a, b in pairs]
    adjusted = holm([t.p for t in tests])
    sign = {"greater": ">", "less": "<", "two-sided": "≠"}[alternative]
    return Comparisons(
        ComparisonRow(a, b, f"{a} {sign} {b}", summaries[a], summaries[b], t, float(p), alpha)
        for (a, b), t, p in zip(pairs, tests, adjusted, strict=True))


def late_change(steps, values, *, last: float = 0.2) -> float:
    r"""How far a learning curve's seed mean moves over the last ``last`` fraction of training.

    .. math::

        \Delta = \bar m(t_P) - \bar m(t_0), \qquad
        t_0 = \min\{t_i : t_i \ge (1 - \text{last})\, t_P\}

    with :math:`\bar m` the mean over seeds at each recorded step. The course's rule: a curve
    is *flat* -- and the run may be called converged -- when :math:`|\Delta|` is below a
    tolerance stated with it (for the toys, 1 mode and 2 points of high-quality share);
    otherwise a result is "after N steps", not "at convergence".

    Parameters
    ----------
    steps : sequence of int
        The recorded steps (P,), increasing, at least 2.
    values : sequence
        (n, P): one row of scores per seed, or (P,) for one run; finite.
    last : float
        The fraction of training looked at, in (0, 1).

    Returns
    -------
    float
        :math:`\Delta`, signed: positive while the mean still rises.

    Raises
    ------
    ValueError
        Steps not increasing, values of the wrong shape or not finite, ``last`` outside
        (0, 1).
    """
    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    if steps.ndim != 1 or len(steps) < 2 or not np.all(np.diff(steps) > 0):
        raise ValueError(f"steps must be increasing recorded steps (at least 2), got {steps}")
    if values.ndim == 1:
        values = values[None]
    if values.ndim != 2 or values.shape[1] != len(steps):
        raise ValueError(f"values must be (seeds, {len(steps)}) for {len(steps)} steps, got "
                         f"shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite")
    if not (isinstance(last, (int, float)) and 0 < last < 1):
        raise ValueError(f"last must be a fraction in (0, 1), got {last!r}")
    mean = values.mean(0)
    late = mean[steps >= (1 - last) * steps[-1]]
    return float(late[-1] - late[0])
