import pytest
import torch

from ganlab.models import MLP, DCCritic, DCGenerator, Gaussian


def test_mlp_shapes_and_depth(device):
    net = MLP(3, 1, width=16, depth=2).to(device)
    assert net(torch.randn(5, 3, device=device)).shape == (5,)
    assert sum(isinstance(m, torch.nn.Linear) for m in net.modules()) == 3
    assert MLP(3, 4, depth=0)(torch.randn(5, 3)).shape == (5, 4)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_dcgan_shapes_and_range(shape, batch_norm, device):
    G = DCGenerator(16, image_shape=shape, width=8, batch_norm=batch_norm).to(device)
    D = DCCritic(image_shape=shape, width=8, batch_norm=batch_norm).to(device)
    x = G(torch.randn(4, 16, device=device))
    assert x.shape == (4, *shape)
    assert x.abs().max() <= 1
    assert D(x).shape == (4,)
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules())
    assert has_bn == batch_norm


def test_layer_wrapper_reaches_every_weight_layer():
    from torch.nn.utils.parametrizations import spectral_norm
    from torch.nn.utils.parametrize import is_parametrized

    D = DCCritic(width=8, layer_wrapper=spectral_norm)
    layers = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(layers) == 3 and all(is_parametrized(m, "weight") for m in layers)
    mlp = MLP(2, 1, width=8, depth=2, layer_wrapper=spectral_norm)
    linear = [m for m in mlp.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linear) == 3 and all(is_parametrized(m, "weight") for m in linear)


@pytest.mark.parametrize("make, match", [
    (lambda: MLP(0, 1), "in_features must be a positive int"),
    (lambda: MLP(2, 1, depth=-1), "depth must be a non-negative int"),
    (lambda: MLP(2, 1, activation="gelu"), "activation must be one of relu.*got 'gelu'"),
    (lambda: DCGenerator(16, image_shape=(1, 64, 64)), r"image_shape must be one of"),
    (lambda: DCCritic(width=0), "width must be a positive int"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_gaussian_generator_moments_and_gradients():
    g = Gaussian(mean=2.0, std=0.5)
    x = g(torch.randn(100_000, 1, generator=torch.Generator().manual_seed(0)))
    assert abs(x.mean().item() - 2.0) < 0.01 and abs(x.std().item() - 0.5) < 0.01
    x.mean().backward()
    assert g.mean.grad.item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="std must be a finite positive number"):
        Gaussian(std=0.0)


@pytest.mark.parametrize("make, x, match", [
    (lambda: MLP(2, 1), torch.zeros(4, 5),
     r"in_features=2\) expects input of shape \(\.\.\., 2\), got \(4, 5\)"),
    (lambda: DCGenerator(5), torch.zeros(4, 2),
     r"z_dim=5\) expects input of shape \(N, 5\), got \(4, 2\)"),
    (lambda: DCCritic(), torch.zeros(4, 3, 32, 32),
     r"image_shape=\(1, 28, 28\)\) expects input of shape \(N, 1, 28, 28\), "
     r"got \(4, 3, 32, 32\)"),
    (lambda: DCCritic(), torch.zeros(1, 28, 28), r"got \(1, 28, 28\)"),
])
def test_models_name_expected_and_received_shapes(make, x, match):
    with pytest.raises(ValueError, match=match):
        make()(x)


def test_models_name_a_wrong_dtype_or_device():
    with pytest.raises(TypeError,
                       match=r"float32 weights but the input is torch.float64; .*\.to\("):
        MLP(2, 1)(torch.zeros(4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="input is on meta but the module's weights are on cpu"):
        DCGenerator(5)(torch.zeros(4, 5, device="meta"))
