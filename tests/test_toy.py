import math

import pytest
import torch
from scipy import stats

from ganlab import toy


def test_mixture_density_matches_scipy_and_integrates_to_one():
    mix = toy.Mixture1D(means=(-2.0, 1.0), stds=(0.5, 1.5), weights=(0.3, 0.7))
    x = torch.linspace(-12, 12, 20001, dtype=torch.float64)
    ref = 0.3 * stats.norm.pdf(x, -2, 0.5) + 0.7 * stats.norm.pdf(x, 1, 1.5)
    torch.testing.assert_close(mix.pdf(x), torch.as_tensor(ref), rtol=1e-10, atol=1e-12)
    assert abs(torch.trapezoid(mix.pdf(x), x).item() - 1) < 1e-8
    ref_cdf = 0.3 * stats.norm.cdf(x, -2, 0.5) + 0.7 * stats.norm.cdf(x, 1, 1.5)
    torch.testing.assert_close(mix.cdf(x), torch.as_tensor(ref_cdf), rtol=1e-10, atol=1e-12)


def test_mixture_log_prob_is_finite_far_in_the_tails():
    mix = toy.Mixture1D(means=(0.0,), stds=(1.0,))
    lp = mix.log_prob(torch.tensor([60.0], dtype=torch.float64))
    assert torch.isfinite(lp).all()
    assert abs(lp.item() - (-1800 - 0.5 * math.log(2 * math.pi))) < 1e-9


def test_mixture_sampling_matches_moments():
    mix = toy.Mixture1D(means=(-2.0, 2.0), stds=(0.5, 0.5), weights=(0.25, 0.75))
    x = mix.sample(200_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (200_000, 1)
    assert abs(x.mean().item() - mix.mean()) < 0.02
    assert abs((x > 0).float().mean().item() - 0.75) < 0.01


@pytest.mark.parametrize("kwargs, match", [
    (dict(means=(0.0,), stds=(1.0, 2.0)), "equal length"),
    (dict(means=(0.0,), stds=(-1.0,)), "stds must be a finite positive number"),
    (dict(means=(0.0, 1.0), stds=(1.0, 1.0), weights=(0.5, 0.6)), "summing to 1"),
])
def test_mixture_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy.Mixture1D(**kwargs)


@pytest.mark.parametrize("name, k, std, radius", [
    ("8gaussians", 8, 0.02 / 1.414, 2 / 1.414),
    ("ring", 8, 0.02, 2.0),
])
def test_circle_sets(name, k, std, radius):
    centres, s = toy.modes(name)
    assert centres.shape == (k, 2) and s == pytest.approx(std)
    torch.testing.assert_close(centres.norm(dim=1), torch.full((k,), radius))


def test_25gaussians_grid():
    centres, s = toy.modes("25gaussians")
    assert centres.shape == (25, 2) and s == pytest.approx(0.05 / 2.828)
    assert sorted(set(round(v, 4) for v in centres[:, 0].tolist())) == [
        round(2 * i / 2.828, 4) for i in range(-2, 3)]


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians", "ring"])
def test_samples_sit_on_their_modes(name):
    centres, std = toy.modes(name)
    x = toy.sample(name, 5000, generator=torch.Generator().manual_seed(1))
    assert x.shape == (5000, 2) and x.dtype == torch.float32
    nearest, idx = torch.cdist(x.double(), centres.double()).min(dim=1)
    assert (nearest < 5 * std).all()
    counts = torch.bincount(idx, minlength=len(centres)).float()
    assert counts.min() > 0.6 * counts.mean()  # every mode is used, roughly evenly
    per_coord_std = (x - centres[idx]).std().item()
    assert per_coord_std == pytest.approx(std, rel=0.05)


def test_swissroll_radius_range_and_no_modes():
    x = toy.sample("swissroll", 4000, generator=torch.Generator().manual_seed(0))
    r = x.norm(dim=1) * 7.5
    assert 1.5 * math.pi - 1.5 < r.min() and r.max() < 4.5 * math.pi + 1.5
    with pytest.raises(ValueError, match="no discrete modes"):
        toy.modes("swissroll")


def test_sampling_is_reproducible_with_a_generator():
    a = toy.sample("25gaussians", 10, generator=torch.Generator().manual_seed(3))
    b = toy.sample("25gaussians", 10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_bad_name_and_n():
    with pytest.raises(ValueError, match="name must be one of 8gaussians.*got 'moons'"):
        toy.sample("moons", 10)
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        toy.sample("ring", 0)
    with pytest.raises(ValueError, match="n must be a positive int"):
        toy.Mixture1D((0.0,), (1.0,)).sample(-1)
