"""Reference toy generators: recipes, shipped files, retraining."""

import pytest
import torch

from ganlab import reference, toy
from ganlab.data import ChecksumError
from ganlab.metrics import mode_coverage


def test_every_shipped_reference_loads_and_is_verified():
    for toy_set in reference.SETS:
        for method in reference.METHODS:
            G = reference.load(toy_set, method)
            assert not G.training
            assert G(torch.zeros(3, reference.Z_DIM)).shape == (3, 2)


def test_shipped_wgan_gp_covers_all_eight_gaussians():
    G = reference.load("8gaussians", "wgan-gp")
    with torch.no_grad():
        x = G(torch.randn(2500, reference.Z_DIM, generator=torch.Generator().manual_seed(1)))
    coverage = mode_coverage(x, *toy.modes("8gaussians"))
    assert coverage.modes == 8 and coverage.high_quality > 0.8


def test_train_is_deterministic_and_returns_eval_mode():
    a = reference.train("8gaussians", "nonsaturating", steps=6)
    b = reference.train("8gaussians", "nonsaturating", steps=6)
    assert not a.training
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_bad_names_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="toy_set must be"):
        reference.filename("swissroll", "wgan-gp")
    with pytest.raises(ValueError, match="method must be"):
        reference.train("8gaussians", "sngan")
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path))
    (tmp_path / "MANIFEST").write_text("")
    with pytest.raises(ChecksumError, match="not listed"):
        reference.load("8gaussians", "wgan-gp")


def test_shipped_mnist_generator_loads_and_makes_images():
    G = reference.load_mnist()
    assert not G.training
    with torch.no_grad():
        x = G(torch.randn(4, 64))
    assert x.shape == (4, 1, 28, 28) and x.abs().max() <= 1
