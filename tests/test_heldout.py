"""The fixed held-out digits (data.shipped_split) and the memorisation check (issue 26)."""

import pytest
import torch
from scipy import stats as scipy_stats

from ganlab import data, metrics


@pytest.fixture(scope="module")
def split():
    return data.shipped_split("train").tensors, data.shipped_split("heldout").tensors


def test_heldout_digits_are_fixed_balanced_and_disjoint_from_training(split):
    (x_train, y_train), (x_held, y_held) = split
    assert len(x_train) == 4000 and len(x_held) == 1000
    assert torch.bincount(y_held, minlength=10).tolist() == [data.HELDOUT_PER_CLASS] * 10
    assert torch.bincount(y_train, minlength=10).tolist() == [400] * 10
    index = data.heldout_indices()
    assert torch.equal(index, data.heldout_indices())  # the same set every time
    assert len(torch.unique(index)) == 1000
    all_x, all_y = data.mnist("shipped").tensors
    assert torch.equal(all_x[index], x_held) and torch.equal(all_y[index], y_held)
    # together the two parts are the whole file, each digit once
    rest = torch.ones(len(all_x), dtype=torch.bool)
    rest[index] = False
    assert torch.equal(all_x[rest], x_train)


def test_heldout_digits_are_not_the_first_of_each_class():
    # the legacy classifier held out the first 50 of each class; the new set is a random draw
    first = {c * 500 + i for c in range(10) for i in range(100)}
    assert len(first & set(data.heldout_indices().tolist())) < 400


def test_bad_part_is_named():
    with pytest.raises(ValueError, match="part='test'.*train, heldout"):
        data.shipped_split("test")


def test_heldout_classifier_loads_and_reads_unseen_digits(split):
    _, (x_held, y_held) = split
    net = metrics.mnist_feature_net(metrics.HELDOUT_CLASSIFIER_FILE)
    with torch.no_grad():
        accuracy = (net(x_held).argmax(1) == y_held).double().mean().item()
    assert accuracy > 0.95  # MANIFEST states 96.9 %; a broken or wrong file reads far lower
    with pytest.raises(ValueError, match="name"):
        metrics.mnist_feature_net("mnist_5k.npz")


# ------------------------------------------------------------------- nearest distances ------
def test_nearest_distances_match_brute_force():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 1, 3, 3, generator=g), torch.randn(11, 1, 3, 3, generator=g)
    expected = torch.stack([min((x - y).double().flatten().norm() for y in b) for x in a])
    torch.testing.assert_close(metrics.nearest_distances(a, b, batch_size=3), expected,
                               rtol=1e-6, atol=1e-6)  # cdist expands |x - y|^2 (matmul)
    # a point of the reference set is at distance 0 from it
    assert metrics.nearest_distances(b[:2], b).abs().max().item() < 1e-6


# ------------------------------------------------------------------------- memorisation -----
def _copies(x_train, n, noise, seed=0):
    g = torch.Generator().manual_seed(seed)
    picked = x_train[torch.randperm(len(x_train), generator=g)[:n]]
    return picked + noise * torch.randn(picked.shape, generator=g)


def test_a_generator_that_copies_training_digits_is_flagged(split):
    (x_train, _), (x_held, _) = split
    result = metrics.memorisation(_copies(x_train, 500, 0.05), x_train, x_held)
    assert result.flagged()
    assert result.ratio < 0.3 and result.closer_fraction > 0.9 and result.superiority > 0.95


def test_fresh_real_digits_are_not_flagged(split):
    (x_train, _), (x_held, _) = split
    # half the held-out digits play the samples, the other half the held-out reference
    result = metrics.memorisation(x_held[::2], x_train, x_held[1::2])
    assert not result.flagged()
    assert 0.9 < result.ratio < 1.1 and 0.4 < result.superiority < 0.6
    assert abs(result.closer_fraction - 0.05) < 0.03


def test_a_copying_minority_is_caught_by_the_closer_fraction(split):
    (x_train, _), (x_held, _) = split
    samples = torch.cat([x_held[::2][:450], _copies(x_train, 50, 0.05)])  # 10 % copies
    result = metrics.memorisation(samples, x_train, x_held[1::2])
    assert result.flagged() and result.closer_fraction > 0.12
    assert result.ratio > 0.9  # the median alone would not have seen it


def test_samples_unlike_any_digit_are_far_not_copies(split):
    (x_train, _), (x_held, _) = split
    noise = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    result = metrics.memorisation(noise, x_train, x_held)
    assert not result.flagged() and result.ratio > 2 and result.superiority < 0.05


def test_memorisation_statistics_by_hand():
    # 1-pixel "images" on a line: training digits at 0 and 10
    train = torch.tensor([0.0, 10.0]).view(2, 1)
    held = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(4, 1)      # distances 1, 2, 3, 4
    samples = torch.tensor([0.5, 9.0, 3.5]).view(3, 1)        # distances 0.5, 1, 3.5
    result = metrics.memorisation(samples, train, held, quantile=0.5)
    assert result.sample_distance == 1.0 and result.heldout_distance == 2.5
    assert result.ratio == pytest.approx(0.4)
    assert result.closer_fraction == pytest.approx(2 / 3)  # 0.5 and 1 are below 2.5
    pairs = sum((s < h) + 0.5 * (s == h) for s in (0.5, 1, 3.5) for h in (1, 2, 3, 4))
    assert result.superiority == pytest.approx(pairs / 12)
    assert result.p_value == pytest.approx(
        scipy_stats.binomtest(2, 3, 0.5, alternative="greater").pvalue)


def test_memorisation_bad_input_is_named():
    x = torch.zeros(4, 1, 28, 28)
    with pytest.raises(ValueError, match="heldout_digits"):
        metrics.memorisation(x + 1, torch.zeros(4, 1, 28, 28), torch.zeros(4, 1, 14, 14))
    with pytest.raises(ValueError, match="samples"):
        metrics.memorisation(torch.full((4, 1, 28, 28), float("nan")), x, x + 1)
    with pytest.raises(ValueError, match="samples"):
        metrics.memorisation(x[:1], x, x + 1)  # one sample: no distribution to compare
    with pytest.raises(ValueError, match="quantile"):
        metrics.memorisation(x, x, x + 1, quantile=1.5)
    with pytest.raises(ValueError, match="heldout_digits"):
        metrics.memorisation(x + 1, x, x)  # "held-out" digits that were trained on


def test_distances_and_memorisation_take_tensors_on_any_device(device):
    g = torch.Generator().manual_seed(3)
    a, b, c = (torch.randn(n, 1, 5, 5, generator=g) for n in (6, 9, 7))
    torch.testing.assert_close(metrics.nearest_distances(a.to(device), b.to(device)),
                               metrics.nearest_distances(a, b))
    assert metrics.memorisation(a.to(device), b.to(device), c.to(device)) == \
        metrics.memorisation(a, b, c)
