"""Statistics for comparing methods over training seeds: what every comparison table uses.

Used by notebooks 05-10. A comparison between two GAN recipes is a comparison between two
small samples -- one score per training seed -- so each table reports, per method, the mean,
the standard deviation with ddof = 1, a 95 % interval and n, and an ordering "A beats B" is
asserted only where a rank test, corrected for all the comparisons the notebook makes,
supports it.

* ``summary(values)`` -- mean, sd (ddof = 1), a confidence interval for the mean (Student t,
  or a percentile bootstrap with an explicit seed or generator) and n.
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
    """Mean, sample standard deviation (ddof = 1), a ``level`` interval for the mean, and n."""

    mean: float
    sd: float
    low: float
    high: float
    n: int
    level: float = 0.95
    method: str = "t"

    def format(self, digits: int = 3) -> str:
        """``"mean ± sd [low, high] n=N"`` with ``digits`` significant digits."""
        g = f".{digits}g"
        return (f"{self.mean:{g}} ± {self.sd:{g}} [{self.low:{g}}, {self.high:{g}}] "
                f"n={self.n}")

    def __str__(self) -> str:
        return self.format()


def summary(values, *, level: float = 0.95, method: str = "t", n_boot: int = 10_000,
            generator: int | np.random.Generator | torch.Generator | None = None) -> Summary:
    """Mean, standard deviation and a confidence interval for the mean of ``values``.

    Parameters
    ----------
    values : (n,) sequence of finite numbers, n >= 2 -- one score per seed.
    level : coverage of the interval (0.95: a 95 % interval).
    method : ``"t"`` -- Student's interval ``mean ± t_{(1+level)/2, n-1} * sd / sqrt(n)``
        (exact when the scores are normal; Student 1908); ``"bootstrap"`` -- the percentile
        interval of the mean over ``n_boot`` resamples with replacement (Efron & Tibshirani
        1993, ch. 13; it needs ``generator`` and is too narrow for n below about 10).
    generator : seed (int), ``numpy.random.Generator`` or ``torch.Generator`` for the
        bootstrap; randomness is never drawn from a global state.

    Returns
    -------
    Summary with ``mean = sum x_i / n``, ``sd = sqrt(sum (x_i - mean)^2 / (n - 1))``
    (ddof = 1: the unbiased variance), ``low``, ``high``, ``n``.
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
    """(n_boot, n) indices drawn with replacement from the given seed or generator."""
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
    """A Mann-Whitney U test of sample a against sample b.

    statistic: U_a, the number of pairs (a_i, b_j) with a_i > b_j plus half the ties;
    superiority: U_a / (n_a n_b), an estimate of P(A > B) + P(A = B) / 2;
    p: the p-value for ``alternative``; method: "exact", "exact permutation" or "asymptotic".
    """

    statistic: float
    superiority: float
    p: float
    alternative: str
    method: str


def _arrangements(n_a: int, n_b: int) -> int:
    return math.comb(n_a + n_b, n_a)


def compare(a, b, *, alternative: str = "two-sided") -> Comparison:
    """Mann-Whitney U (Wilcoxon rank-sum) test of ``a`` against ``b``.

    ``U_a = sum_i sum_j [a_i > b_j] + [a_i = b_j] / 2`` (Mann & Whitney 1947). Under the null
    hypothesis that both samples come from one distribution every split of the pooled values
    into n_a and n_b is equally likely, which gives U's exact distribution.

    Parameters
    ----------
    a, b : (n_a,), (n_b,) sequences of finite numbers, each of at least 2.
    alternative : ``"greater"`` -- A tends to score higher than B; ``"less"`` -- lower;
        ``"two-sided"`` -- either (twice the smaller one-sided p, at most 1).

    The p-value is exact when it can be: without ties and with n_a + n_b <= 100, from U's
    exact null distribution (``scipy.stats.mannwhitneyu(method="exact")``); with ties (mode
    counts often tie) and at most ``EXACT_LIMIT`` = 200,000 splits (10 seeds against 10 is
    184,756), by enumerating every split (an exact permutation test on U); beyond that, the
    normal approximation with the tie correction. With n_a = n_b = 3 the smallest possible p
    is 1/20 one-sided (``min_p_value``).
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
    """The smallest p-value the exact rank test can give for samples of n_a and n_b:
    ``1 / C(n_a + n_b, n_a)`` one-sided, twice that two-sided (complete separation).

    With 3 seeds against 3 that is 0.05 one-sided and 0.1 two-sided: after any correction
    for more than one comparison no ordering of two 3-seed samples can be significant at 0.05.
    """
    positive_int("n_a", n_a)
    positive_int("n_b", n_b)
    one_of("alternative", alternative, ALTERNATIVES)
    p = 1 / _arrangements(n_a, n_b)
    return min(1.0, 2 * p) if alternative == "two-sided" else p


# ---------------------------------------------------------------- many comparisons ----------
def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the order given.

    With the m p-values sorted, p_(1) <= ... <= p_(m), the adjusted value of the i-th is
    ``max_{j <= i} min(1, (m - j + 1) p_(j))`` (Holm 1979). Rejecting every hypothesis whose
    adjusted p is <= alpha is Holm's step-down procedure: it controls the probability of any
    false rejection among the m at alpha, for any dependence between the tests.

    Parameters
    ----------
    pvalues : (m,) sequence of p-values in [0, 1], m >= 1.
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
    """``summary`` (t interval) of each method's scores: ``{method: Summary}`` in the given
    order. ``groups``: ``{method name: one score per seed}``."""
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

    ``claim`` reads e.g. ``"wgan-gp > sngan"`` (``>`` for alternative "greater", ``<`` for
    "less", ``≠`` for two-sided); ``p`` is the raw rank-test p, ``p_holm`` the Holm-adjusted
    one over all the rows of the same ``comparisons`` call, and ``supported`` is
    ``p_holm <= alpha``.
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
        return self.test.p

    @property
    def supported(self) -> bool:
        return self.p_holm <= self.alpha


class Comparisons(tuple):
    """The rows of ``comparisons`` (a tuple of ``ComparisonRow``); ``str`` prints a table."""

    def row(self, a: str, b: str) -> ComparisonRow:
        """The row comparing ``a`` with ``b`` (KeyError when that pair was not compared)."""
        for r in self:
            if (r.a, r.b) == (a, b):
                return r
        raise KeyError(f"the pair ({a!r}, {b!r}) was not compared; compared: "
                       f"{[(r.a, r.b) for r in self]}")

    def supported(self, a: str, b: str) -> bool:
        """Whether the ordering claimed for (a, b) survives the Holm correction at alpha."""
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

    Parameters
    ----------
    groups : ``{method: scores}``, one score per seed (n >= 2 each).
    pairs : ``[(a, b), ...]`` -- each claims "a beats b": a's scores are larger when
        ``alternative="greater"`` (mode counts, high-quality share), smaller with ``"less"``
        (Frechet distance, W1); ``"two-sided"`` asks only whether they differ.
    alpha : family-wise error rate of the whole set of claims (Holm 1979).

    Returns
    -------
    Comparisons: one ``ComparisonRow`` per pair (summaries with t intervals at ``level``,
    U, raw p, Holm p, supported), printable as a table; ``.supported(a, b)`` for asserts.
    The correction counts exactly the pairs passed: pass every comparison the notebook
    makes in one call, and say how many that was (``len(result)``).
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
    """How far a learning curve's seed mean moves over the last ``last`` fraction of training.

    ``steps`` (P,) are the recorded steps, increasing; ``values`` (n, P) one row per seed (or
    (P,) for one run). Returns m(t_end) - m(t_0) (signed: positive if still rising), m the
    mean over seeds and t_0 the first recorded step at or after (1 - last) times the last
    step. The course's rule: a curve is *flat* -- and the run may be called converged -- when
    its absolute value is below a tolerance stated with it (for the toys, 1 mode and 2 points
    of high-quality share); otherwise a result is "after N steps".
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
