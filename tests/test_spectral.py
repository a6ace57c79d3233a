"""Spectral normalization: power iteration, the parametrization, bounds, monitoring."""

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations

from ganlab.models import MLP, DCCritic
from ganlab.spectral import lipschitz_upper_bound, power_iteration, singular_values, spectral_norm


def test_power_iteration_converges_to_the_top_singular_value():
    W = torch.randn(40, 70, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sigma, u, v = power_iteration(W, n_iter=200, generator=torch.Generator().manual_seed(1))
    assert abs(sigma.item() - torch.linalg.svdvals(W)[0].item()) < 1e-4
    assert abs(u.norm().item() - 1) < 1e-12 and abs(v.norm().item() - 1) < 1e-12
    # u and v are the singular pair: W v = sigma u
    assert torch.allclose(W @ v, sigma * u, atol=1e-4)


def test_power_iteration_estimate_never_exceeds_sigma_and_improves():
    W = torch.randn(30, 30, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    top = torch.linalg.svdvals(W)[0].item()
    u = torch.randn(30, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    estimates = [power_iteration(W, u, n)[0].item() for n in (0, 1, 5, 50)]
    assert all(e <= top + 1e-9 for e in estimates)
    assert estimates == sorted(estimates)


def test_power_iteration_gradient_is_u_v_outer_product():
    W = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    sigma, u, v = power_iteration(W, n_iter=100)
    sigma.backward()
    assert torch.allclose(W.grad, torch.outer(u, v))


@pytest.mark.parametrize("bad", [dict(W=torch.ones(3)), dict(W=torch.ones(3, 2), u=torch.ones(2)),
                                 dict(W=torch.ones(3, 2), n_iter=-1)])
def test_power_iteration_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="W must|u must|n_iter"):
        power_iteration(**bad)


@pytest.mark.parametrize("make", [lambda: nn.Linear(20, 30), lambda: nn.Conv2d(3, 8, 3),
                                  lambda: nn.ConvTranspose2d(8, 4, 4, stride=2)])
def test_normalised_weight_has_unit_top_singular_value(make):
    torch.manual_seed(0)  # weights made here, not at collection: independent of test order
    layer = make()
    spectral_norm(layer, n_power_iterations=1)
    layer.train()
    for _ in range(30):  # persistent u: one step per forward converges over updates
        w = layer.weight
    matrix = w.detach().movedim(1, 0).flatten(1) if isinstance(layer, nn.ConvTranspose2d) \
        else w.detach().flatten(1)
    assert abs(torch.linalg.svdvals(matrix)[0].item() - 1) < 1e-3


def test_same_start_gives_the_same_output_as_torch_spectral_norm():
    torch.manual_seed(0)
    ours, theirs = nn.Linear(6, 5), nn.Linear(6, 5)
    theirs.load_state_dict(ours.state_dict())
    spectral_norm(ours)
    parametrizations.spectral_norm(theirs)
    u0 = torch.randn(5)
    ours.parametrizations.weight[0].u.copy_(u0)
    # torch iterates u <- Wv, v <- W^T u from its stored v: start it half a step later
    W = ours.parametrizations.weight.original.detach()
    theirs.parametrizations.weight[0]._v.copy_(torch.nn.functional.normalize(W.T @ u0, dim=0))
    x = torch.randn(7, 6)
    for _ in range(3):  # training forwards, each one power step
        assert torch.allclose(ours(x), theirs(x), atol=1e-6)
    assert torch.allclose(ours.parametrizations.weight[0].u, theirs.parametrizations.weight[0]._u,
                          atol=1e-6)
    ours.eval()
    theirs.eval()
    assert torch.allclose(ours(x), theirs(x), atol=1e-6)


def test_eval_leaves_u_alone_and_state_dict_round_trips():
    layer = spectral_norm(nn.Linear(4, 3))
    layer(torch.randn(2, 4))
    layer.eval()
    u = layer.parametrizations.weight[0].u.clone()
    layer(torch.randn(2, 4))
    assert torch.equal(layer.parametrizations.weight[0].u, u)
    copy = spectral_norm(nn.Linear(4, 3)).eval()
    copy.load_state_dict(layer.state_dict())
    assert torch.equal(copy.parametrizations.weight[0].u, u)
    x = torch.randn(5, 4)
    assert torch.equal(copy(x), layer(x))


def test_gradient_reaches_the_raw_weight():
    layer = spectral_norm(nn.Linear(4, 3))
    layer(torch.randn(2, 4)).sum().backward()
    assert layer.parametrizations.weight.original.grad.abs().sum() > 0


def test_module_without_weight_is_named():
    with pytest.raises(ValueError, match="ReLU"):
        spectral_norm(nn.ReLU())
    with pytest.raises(ValueError, match="n_power_iterations"):
        spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


def test_models_take_sn():
    D = MLP(2, 1, width=16, sn=True)
    assert all(hasattr(m, "parametrizations") for m in D.modules() if isinstance(m, nn.Linear))
    C = DCCritic(sn=True)
    assert C(torch.randn(3, 1, 28, 28)).shape == (3,)
    with pytest.raises(ValueError, match="not both"):
        MLP(2, 1, sn=True, layer_wrapper=spectral_norm)


def _largest_input_gradient(model, shape, n=2000, seed=0):
    x = torch.randn(n, *shape, generator=torch.Generator().manual_seed(seed), requires_grad=True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)
    return grad.flatten(1).norm(dim=1).max().item()


@pytest.mark.parametrize("sn", [False, True])
def test_lipschitz_bound_dominates_gradient_norms_mlp(sn):
    torch.manual_seed(0)
    model = MLP(3, 1, width=32, depth=3, activation="tanh", sn=sn).eval()
    bound = lipschitz_upper_bound(model)
    assert bound >= _largest_input_gradient(model, (3,))
    if sn:
        assert bound == pytest.approx(1.0, rel=0.05)


def test_lipschitz_bound_dominates_gradient_norms_conv():
    torch.manual_seed(0)
    model = DCCritic(width=8).eval()
    assert lipschitz_upper_bound(model) >= _largest_input_gradient(model, (1, 28, 28), n=200)
    # a single conv against its exact norm: the certified factor is at most sqrt(4) = 2 above
    conv = nn.Conv2d(1, 4, 4, stride=2, padding=1, bias=False)
    x = torch.randn(1, 1, 16, 16)
    for _ in range(200):  # power iteration on the linear map itself
        x = torch.nn.functional.conv_transpose2d(conv(x), conv.weight, stride=2, padding=1)
        x = x / x.norm()
    true_norm = conv(x).norm().item()
    bound = lipschitz_upper_bound(nn.Sequential(conv))
    assert true_norm <= bound <= 2.0 * true_norm + 1e-6


def test_lipschitz_bound_refuses_what_it_cannot_bound():
    with pytest.raises(ValueError, match="BatchNorm1d"):
        lipschitz_upper_bound(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    with pytest.raises(ValueError, match="no Linear"):
        lipschitz_upper_bound(nn.Sequential(nn.ReLU()))


def test_singular_values_match_svdvals_and_use_the_raw_weight():
    torch.manual_seed(0)
    model = MLP(2, 1, width=8, depth=1, sn=True)
    values = singular_values(model, k=2)
    assert set(values) == {"net.0", "net.2"}
    raw = model.net[0].parametrizations.weight.original.detach()
    assert torch.allclose(values["net.0"], torch.linalg.svdvals(raw)[:2])
    with pytest.raises(ValueError, match="k must"):
        singular_values(model, k=0)


def test_spectral_norm_runs_on_every_device(device):
    torch.manual_seed(0)
    layer = spectral_norm(nn.Conv2d(2, 4, 3)).to(device)
    out = layer(torch.randn(3, 2, 8, 8, device=device))
    assert out.device.type == device.type
    sigma, u, v = power_iteration(torch.randn(5, 7, device=device), n_iter=3)
    assert sigma.device.type == u.device.type == v.device.type == device.type
    model = MLP(2, 1, width=8, sn=True).to(device)
    assert lipschitz_upper_bound(model) < 1.1
    assert all(v.device.type == "cpu" for v in singular_values(model).values())
