import math

import pytest
import torch

from ganlab import losses


def test_minimax_discriminator_at_zero_scores_is_2_log_2():
    zeros = torch.zeros(16)
    for name in ("minimax", "nonsaturating"):
        assert losses.get(name).discriminator(zeros, zeros).item() == pytest.approx(2 * math.log(2))


def test_classifier_losses_equal_binary_cross_entropy(device):
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(32, generator=g).to(device), torch.randn(32, generator=g).to(device)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    torch.testing.assert_close(losses.get("minimax").discriminator(real, fake), expected)
    # MMGAN's G: E[log(1 - D)];  NSGAN's G: -E[log D]
    d = torch.sigmoid(fake)
    torch.testing.assert_close(losses.get("minimax").generator(fake), torch.log1p(-d).mean())
    torch.testing.assert_close(losses.get("nonsaturating").generator(fake), -torch.log(d).mean())


def test_stable_at_extreme_scores():
    big = torch.tensor([-200.0, 200.0])
    for name in ("minimax", "nonsaturating", "wasserstein", "hinge"):
        loss = losses.get(name)
        assert torch.isfinite(loss.discriminator(big, big)) and torch.isfinite(loss.generator(big))
    # log(1 - D) at a score of +200 is -200 exactly, not -inf
    assert losses.get("minimax").generator(torch.tensor([200.0])).item() == pytest.approx(-200.0)


def _grad(loss, score):
    s = torch.tensor([score], requires_grad=True)
    loss.generator(s).backward()
    return s.grad.item()


def test_minimax_generator_saturates_where_nonsaturating_does_not():
    # D(G(z)) = sigmoid(s) -> 0 as s -> -inf: d/ds log(1 - sigmoid(s)) = -sigmoid(s) -> 0,
    # while d/ds -log sigmoid(s) = -(1 - sigmoid(s)) -> -1
    s = -10.0
    assert abs(_grad(losses.get("minimax"), s)) == pytest.approx(1 / (1 + math.exp(10)), rel=1e-4)
    assert abs(_grad(losses.get("minimax"), s)) < 1e-4
    assert _grad(losses.get("nonsaturating"), s) == pytest.approx(-1.0, abs=1e-4)
    # same sign: both push the score of fakes up
    assert _grad(losses.get("minimax"), s) < 0 and _grad(losses.get("nonsaturating"), s) < 0


def test_wasserstein_and_hinge_closed_forms():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-3.0, 0.0])
    w = losses.get("wasserstein")
    assert w.discriminator(real, fake).item() == pytest.approx(-1.5 - 1.25)
    assert w.generator(fake).item() == pytest.approx(1.5)
    h = losses.get("hinge")
    # relu(1 - real) = [0, 0.5]; relu(1 + fake) = [0, 1]
    assert h.discriminator(real, fake).item() == pytest.approx(0.25 + 0.5)
    assert h.generator(fake).item() == pytest.approx(1.5)


def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="name must be one of minimax, nonsaturating.*got 'lsgan'"):
        losses.get("lsgan")


def test_bad_scores():
    loss = losses.get("minimax")
    with pytest.raises(TypeError, match="real_scores must be a torch.Tensor"):
        loss.discriminator([1.0], torch.zeros(1))
    with pytest.raises(ValueError, match="fake_scores is empty"):
        loss.generator(torch.zeros(0))
