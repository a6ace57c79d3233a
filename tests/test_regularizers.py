import pytest
import torch

from ganlab.regularizers import clip_weights_, gradient_penalty, r1_penalty


class Linear(torch.nn.Module):
    """D(x) = w . flatten(x): its input gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        return x.flatten(1) @ self.w


class Norm(torch.nn.Module):
    """D(x) = ||x||: gradient norm 1 everywhere except 0."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x.flatten(1).norm(dim=1) + self.dummy


@pytest.mark.parametrize("shape", [(8, 3), (8, 1, 4, 4)])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_linear_critic_closed_forms(shape, scale, device):
    features = torch.Size(shape[1:]).numel()
    w = torch.full((features,), scale / features**0.5, device=device)  # ||w|| = scale
    critic = Linear(w)
    real, fake = torch.randn(shape, device=device), torch.randn(shape, device=device)
    two = gradient_penalty(critic, real, fake)
    one = gradient_penalty(critic, real, fake, one_sided=True)
    assert two.item() == pytest.approx((scale - 1) ** 2, rel=1e-5)
    assert one.item() == pytest.approx(max(0.0, scale - 1) ** 2, rel=1e-5, abs=1e-12)
    assert r1_penalty(critic, real).item() == pytest.approx(scale**2, rel=1e-5)


def test_norm_critic_has_zero_penalty(device):
    real = torch.randn(16, 1, 5, 5, device=device) + 3
    fake = torch.randn(16, 1, 5, 5, device=device) - 3
    assert gradient_penalty(Norm(), real, fake).item() == pytest.approx(0.0, abs=1e-10)


def test_penalty_gradient_reaches_the_critic():
    w = torch.tensor([3.0, 4.0])  # ||w|| = 5: d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    critic = Linear(w.clone())
    gradient_penalty(critic, torch.randn(6, 2), torch.randn(6, 2)).backward()
    torch.testing.assert_close(critic.w.grad, 2 * 4 * w / 5)


def test_interpolation_weight_is_per_sample():
    # with a critic whose gradient is x itself (D = ||x||^2 / 2), per-sample eps shows up
    class Half(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return 0.5 * x.flatten(1).pow(2).sum(1) + self.p

    real, fake = torch.ones(4000, 2), torch.zeros(4000, 2)
    g = torch.Generator().manual_seed(0)
    pen = gradient_penalty(Half(), real, fake, generator=g)
    # ||x_hat|| = eps * sqrt(2): E[(sqrt(2) eps - 1)^2] = 2/3 - sqrt(2) + 1 for eps ~ U[0, 1]
    assert pen.item() == pytest.approx(2 / 3 - 2**0.5 + 1, abs=0.02)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"same shape, got \(4, 2\) and \(4, 3\)"):
        gradient_penalty(Norm(), torch.zeros(4, 2), torch.zeros(4, 3))


def test_clip_bounds_every_parameter():
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(100)
    clip_weights_(net, 0.01)
    assert all(p.abs().max() <= 0.01 for p in net.parameters())
    assert any((p.abs() == 0.01).any() for p in net.parameters())
    for bad in (0, -0.1, None):
        with pytest.raises(ValueError, match="c must be a finite positive number"):
            clip_weights_(net, bad)


def test_orthogonal_penalty_closed_forms(device):
    from ganlab.regularizers import orthogonal_penalty

    layer = torch.nn.Linear(3, 3, bias=False).to(device)
    with torch.no_grad():
        q, _ = torch.linalg.qr(torch.randn(3, 3))
        layer.weight.copy_(5 * q)  # orthogonal filters of any norm: no penalty
    assert orthogonal_penalty(layer).item() < 1e-8
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]]))
    # rows 0 and 1 are equal with |a|^2 = 5: two off-diagonal entries of 5 -> 2 * 25
    penalty = orthogonal_penalty(torch.nn.Sequential(layer, torch.nn.ReLU()))
    assert abs(penalty.item() - 50.0) < 1e-5
    penalty.backward()
    assert layer.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="no weight"):
        orthogonal_penalty(torch.nn.ReLU())


def test_orthogonal_penalty_on_tall_and_wide_layers_matches_the_gram_formula(device):
    # the penalty forms the Gram matrix on the smaller side; both sides give the formula,
    # and its gradient is autograd's of the formula itself, 4 (W W^T * (1 - I)) W.
    from ganlab.regularizers import orthogonal_penalty

    g = torch.Generator().manual_seed(0)
    for shape in ((300, 7), (7, 300), (9, 9)):
        layer = torch.nn.Linear(shape[1], shape[0], bias=False).to(device, torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.randn(*shape, generator=g, dtype=torch.float64))
        W = layer.weight
        gram = W @ W.T
        direct = (gram * (1 - torch.eye(shape[0], device=device, dtype=W.dtype))).pow(2).sum()
        penalty = orthogonal_penalty(layer)
        assert torch.allclose(penalty, direct, rtol=1e-10)
        (grad,) = torch.autograd.grad(penalty, W)
        off = gram.detach() * (1 - torch.eye(shape[0], device=device, dtype=W.dtype))
        assert torch.allclose(grad, 4 * off @ W.detach(), rtol=1e-8)
