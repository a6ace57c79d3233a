"""ganlab.stats against scipy and against second, independent computations."""

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from ganlab import stats

SAMPLES = [[19.0, 16.0, 16.0], [0.8852, 0.9208, 0.9488, 0.71], list(np.linspace(-3, 5, 10) ** 2)]


# ------------------------------------------------------------------ summary ------------------
@pytest.mark.parametrize("values", SAMPLES)
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_interval_is_scipys(values, level):
    s = stats.summary(values, level=level)
    x = np.asarray(values)
    low, high = scipy_stats.t.interval(level, len(x) - 1, loc=x.mean(),
                                       scale=scipy_stats.sem(x))
    assert s.n == len(x) and s.method == "t" and s.level == level
    assert s.mean == pytest.approx(float(np.mean(x)), rel=1e-12)
    # ddof = 1, written out: sqrt(sum (x - mean)^2 / (n - 1))
    assert s.sd == pytest.approx(math.sqrt(((x - x.mean()) ** 2).sum() / (len(x) - 1)))
    assert (s.low, s.high) == pytest.approx((low, high), rel=1e-12)


def test_summary_accepts_tensors_and_formats():
    s = stats.summary(torch.tensor([1.0, 2.0, 3.0]))
    assert (s.mean, s.sd) == pytest.approx((2.0, 1.0))
    assert str(s) == s.format() and s.format().startswith("2 ± 1 [") and s.format().endswith("n=3")


def test_identical_values_give_a_zero_width_interval():
    s = stats.summary([25, 25, 25])
    assert (s.sd, s.low, s.high) == (0.0, 25.0, 25.0)


@pytest.mark.parametrize("make", [lambda: 7, lambda: np.random.default_rng(7),
                                  lambda: torch.Generator().manual_seed(7)],
                         ids=["seed", "numpy", "torch"])
def test_bootstrap_is_reproducible_and_brackets_the_mean(make):
    x = np.random.default_rng(0).normal(size=40)
    first = stats.summary(x, method="bootstrap", generator=make(), n_boot=2000)
    second = stats.summary(x, method="bootstrap", generator=make(), n_boot=2000)
    assert (first.low, first.high) == (second.low, second.high)
    assert first.low < first.mean < first.high and first.method == "bootstrap"


def test_bootstrap_agrees_with_t_on_a_large_normal_sample():
    x = np.random.default_rng(1).normal(3.0, 2.0, size=400)
    t, boot = stats.summary(x), stats.summary(x, method="bootstrap", generator=0)
    assert boot.high - boot.low == pytest.approx(t.high - t.low, rel=0.1)
    assert (boot.low + boot.high) / 2 == pytest.approx(t.mean, abs=0.05)


def test_bootstrap_percentiles_are_those_of_the_resampled_means():
    x = np.array([1.0, 4.0, 2.0, 8.0, 5.0])
    s = stats.summary(x, method="bootstrap", generator=3, n_boot=500, level=0.8)
    means = x[np.random.default_rng(3).integers(5, size=(500, 5))].mean(axis=1)
    assert (s.low, s.high) == pytest.approx(tuple(np.quantile(means, [0.1, 0.9])))


# ------------------------------------------------------------------ compare ------------------
def _u_by_pairs(a, b):
    return sum((x > y) + 0.5 * (x == y) for x in a for y in b)


@pytest.mark.parametrize("alternative", stats.ALTERNATIVES)
@pytest.mark.parametrize("a, b", [([1.0, 2.5, 3.0], [4.0, 5.0, 6.0]),
                                  ([0.3, 0.1, 0.7, 0.9], [0.2, 0.5, 0.8]),
                                  (list(range(10)), [x + 0.5 for x in range(10)])])
def test_without_ties_the_test_is_scipys_exact_one(a, b, alternative):
    result = stats.compare(a, b, alternative=alternative)
    oracle = scipy_stats.mannwhitneyu(a, b, alternative=alternative, method="exact")
    assert result.method == "exact"
    assert result.statistic == oracle.statistic == _u_by_pairs(a, b)
    assert result.p == pytest.approx(oracle.pvalue, rel=1e-12)
    assert result.superiority == pytest.approx(_u_by_pairs(a, b) / (len(a) * len(b)))


def _brute_force_p(a, b, alternative):
    """Enumerate every split of the pooled values into len(a) and len(b); count pairs."""
    pooled, observed = a + b, _u_by_pairs(a, b)
    us = []
    for chosen in itertools.combinations(range(len(pooled)), len(a)):
        rest = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        us.append(_u_by_pairs([pooled[i] for i in chosen], rest))
    greater = sum(u >= observed for u in us) / len(us)
    less = sum(u <= observed for u in us) / len(us)
    return {"greater": greater, "less": less,
            "two-sided": min(1.0, 2 * min(greater, less))}[alternative]


@pytest.mark.parametrize("alternative", stats.ALTERNATIVES)
@pytest.mark.parametrize("a, b", [([25, 25, 25], [24, 22, 23]), ([8, 8, 4], [8, 5, 2]),
                                  ([1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3])])
def test_with_ties_the_p_value_is_the_exact_permutation_one(a, b, alternative):
    result = stats.compare(a, b, alternative=alternative)
    assert result.method == "exact permutation"
    assert result.statistic == _u_by_pairs(a, b)
    assert result.p == pytest.approx(_brute_force_p(a, b, alternative), rel=1e-12)


def test_large_tied_samples_fall_back_to_scipys_normal_approximation():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 30), rng.integers(1, 6, 30)  # C(60, 30) splits: too many
    result = stats.compare(a, b, alternative="less")
    oracle = scipy_stats.mannwhitneyu(a, b, alternative="less", method="asymptotic")
    assert result.method == "asymptotic"
    assert (result.statistic, result.p) == pytest.approx((oracle.statistic, oracle.pvalue))


@pytest.mark.parametrize("n", [3, 5, 10])
def test_complete_separation_reaches_the_smallest_p(n):
    low, high = list(range(n)), list(range(n, 2 * n))
    one_sided = stats.compare(high, low, alternative="greater").p
    assert one_sided == pytest.approx(stats.min_p_value(n, n, alternative="greater"))
    assert one_sided == pytest.approx(1 / math.comb(2 * n, n))
    assert stats.compare(high, low).p == pytest.approx(stats.min_p_value(n, n))


def test_three_seeds_cannot_support_two_corrected_claims():
    assert stats.min_p_value(3, 3, alternative="greater") == pytest.approx(0.05)
    assert stats.min_p_value(3, 3) == pytest.approx(0.1)
    # two perfectly separated one-sided comparisons: Holm doubles the smaller p
    assert stats.holm([0.05, 0.05]).tolist() == [0.1, 0.1]


def test_unequal_sample_sizes_are_allowed():
    result = stats.compare([1.0, 2.0], [0.5, 3.0, 4.0, 5.0], alternative="less")
    oracle = scipy_stats.mannwhitneyu([1.0, 2.0], [0.5, 3.0, 4.0, 5.0], alternative="less",
                                      method="exact")
    assert result.p == pytest.approx(oracle.pvalue)


# -------------------------------------------------------------------- Holm -------------------
def test_holm_by_hand():
    # sorted: 0.005 * 4 = 0.02; 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04 -> 0.06
    # (adjusted values never decrease along the sorted order), returned in the input order
    adjusted = stats.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_holm_caps_at_one_and_leaves_one_test_alone():
    assert stats.holm([0.6, 0.7]).tolist() == [1.0, 1.0]
    assert stats.holm([0.037]).tolist() == [0.037]


def _step_down(p, alpha):
    """Holm's procedure as he states it: reject the smallest p while p_(j) <= alpha /
    (m - j + 1); stop at the first that is not."""
    m, rejected = len(p), set()
    for j, i in enumerate(np.argsort(p), start=1):
        if p[i] > alpha / (m - j + 1):
            break
        rejected.add(int(i))
    return rejected


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_holm_adjusted_values_reject_what_the_step_down_procedure_rejects(seed, alpha):
    p = np.random.default_rng(seed).uniform(0, 0.08, size=7)
    adjusted = stats.holm(p)
    assert {i for i in range(7) if adjusted[i] <= alpha} == _step_down(p, alpha)
    assert (adjusted >= p).all()


# -------------------------------------------------------------- tables -----------------------
GROUPS = {"gp": [25, 25, 25, 25, 24], "sn": [24, 22, 23, 22, 21], "clip": [21, 14, 15, 9, 12]}


def test_comparisons_correct_over_all_pairs_they_are_given():
    pairs = [("gp", "sn"), ("gp", "clip"), ("sn", "clip")]
    rows = stats.comparisons(GROUPS, pairs, alternative="greater")
    raw = [stats.compare(GROUPS[a], GROUPS[b], alternative="greater").p for a, b in pairs]
    np.testing.assert_allclose([r.p for r in rows], raw)
    np.testing.assert_allclose([r.p_holm for r in rows], stats.holm(raw))
    for r in rows:
        assert r.supported == (r.p_holm <= 0.05)
        assert r.summary_a == stats.summary(GROUPS[r.a])
    assert rows.supported("gp", "clip") and rows.row("gp", "clip").claim == "gp > clip"
    # one claim alone is corrected for nothing: its Holm p is its raw p
    alone = stats.comparisons(GROUPS, [("gp", "sn")])
    assert alone[0].p_holm == alone[0].p


def test_comparisons_print_a_row_per_claim():
    rows = stats.comparisons(GROUPS, [("sn", "gp"), ("gp", "clip")], alternative="less")
    text = str(rows)
    assert "Holm over 2" in text and len(text.splitlines()) == 3
    assert "sn < gp" in text and "gp < clip" in text
    assert not rows.supported("gp", "clip")  # gp scores higher: "gp < clip" is not supported


def test_table_summarises_each_group_in_order():
    out = stats.table(GROUPS)
    assert list(out) == list(GROUPS)
    assert out["clip"] == stats.summary(GROUPS["clip"])


# ------------------------------------------------------------- bad input ---------------------
@pytest.mark.parametrize("call", [
    lambda v: stats.summary(v), lambda v: stats.compare(v, [1.0, 2.0]),
    lambda v: stats.compare([1.0, 2.0], v), lambda v: stats.table({"m": v})])
@pytest.mark.parametrize("values, error, words", [
    ([1.0], ValueError, "at least 2"), ([], ValueError, "at least 2"),
    ([1.0, math.nan, 2.0], ValueError, "NaN"), ([1.0, math.inf], ValueError, "NaN"),
    ([[1.0, 2.0], [3.0, 4.0]], ValueError, "1-D"), ("1 2 3", TypeError, "sequence"),
    ([True, False], TypeError, "real numbers"), (None, TypeError, "sequence")])
def test_bad_values_are_named(call, values, error, words):
    with pytest.raises(error, match=words):
        call(values)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="level"):
        stats.summary([1, 2, 3], level=95)
    with pytest.raises(ValueError, match="method"):
        stats.summary([1, 2, 3], method="bca")
    with pytest.raises(TypeError, match="generator"):
        stats.summary([1, 2, 3], method="bootstrap")
    with pytest.raises(ValueError, match="n_boot"):
        stats.summary([1, 2, 3], method="bootstrap", generator=0, n_boot=0)
    with pytest.raises(ValueError, match="alternative"):
        stats.compare([1, 2], [3, 4], alternative="larger")
    with pytest.raises(ValueError, match="pvalues"):
        stats.holm([0.5, 1.2])
    with pytest.raises(ValueError, match="n_a"):
        stats.min_p_value(0, 3)


def test_bad_pairs_are_named():
    with pytest.raises(ValueError, match="'wgan'.*known: gp, sn, clip"):
        stats.comparisons(GROUPS, [("gp", "wgan")])
    with pytest.raises(TypeError, match="pairs"):
        stats.comparisons(GROUPS, [("gp", "sn", "clip")])  # a pair of three names
    with pytest.raises(TypeError, match="pairs"):
        stats.comparisons(GROUPS, [])
    with pytest.raises(TypeError, match="groups"):
        stats.comparisons([1, 2, 3], [("gp", "sn")])
    with pytest.raises(KeyError, match="not compared"):
        stats.comparisons(GROUPS, [("gp", "sn")]).row("sn", "gp")


def test_scores_may_be_tensors_on_any_device(device):
    values = torch.tensor([0.2, 0.5, 0.4, 0.9], dtype=torch.float64, device=device)
    assert stats.summary(values) == stats.summary([0.2, 0.5, 0.4, 0.9])
    assert stats.compare(values, values + 1).p == stats.compare([0.2, 0.5, 0.4, 0.9],
                                                                 [1.2, 1.5, 1.4, 1.9]).p


def test_late_change_is_the_move_of_the_seed_mean_over_the_last_fifth():
    steps = [100 * k for k in range(1, 11)]               # 100 ... 1000: last fifth from 800
    rising = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1, 2, 3, 4, 5, 6, 7, 10, 11]]
    assert stats.late_change(steps, rising) == pytest.approx(10 - 7)   # means 7 -> 10
    flat = [[5, 3, 9, 4, 4, 4, 4, 4, 4, 4]]
    assert stats.late_change(steps, flat) == 0.0
    assert stats.late_change(steps, [[9 - v for v in rising[0]]]) == pytest.approx(-2)  # falling
    assert stats.late_change(steps, rising[0], last=0.5) == pytest.approx(9 - 4)


@pytest.mark.parametrize("steps, values, kw, match", [
    ([1, 1, 2], [1, 2, 3], {}, "steps must be increasing"),
    ([1, 2, 3], [[1, 2]], {}, r"values must be \(seeds, 3\)"),
    ([1, 2, 3], [1, float("nan"), 3], {}, "values must be finite"),
    ([1, 2, 3], [1, 2, 3], {"last": 1.0}, "last must be a fraction"),
])
def test_late_change_names_bad_input(steps, values, kw, match):
    with pytest.raises(ValueError, match=match):
        stats.late_change(steps, values, **kw)
