import pytest
import torch

from ganlab import toy
from ganlab.metrics import activation_gradient_norms, mode_coverage, w1_tracking
from ganlab.models import MLP
from ganlab.transport import wasserstein1


def test_perfect_samples_capture_every_mode():
    centres, std = toy.modes("25gaussians")
    x = toy.sample("25gaussians", 2500, generator=torch.Generator().manual_seed(0))
    cov = mode_coverage(x, centres, std)
    assert cov.modes == 25 and cov.n_modes == 25
    assert cov.high_quality > 0.98  # 3-std ball in 2-D holds 1 - exp(-4.5) = 98.9%
    assert int(cov.counts.sum()) == round(cov.high_quality * 2500)


def test_collapsed_samples_capture_one_mode():
    centres, std = toy.modes("8gaussians")
    x = centres[3] + std * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    cov = mode_coverage(x, centres, std)
    assert cov.modes == 1 and cov.counts[3] == cov.counts.sum()
    assert str(cov).startswith("1/8 modes")


def test_off_manifold_samples_are_not_high_quality():
    centres, std = toy.modes("8gaussians")
    x = torch.zeros(100, 2)  # the centre of the ring is far from every mode
    cov = mode_coverage(x, centres, std)
    assert cov.modes == 0 and cov.high_quality == 0.0


def test_threshold_is_n_std_times_std():
    centres = torch.zeros(1, 2)
    x = torch.tensor([[0.29, 0.0], [0.31, 0.0]])
    assert mode_coverage(x, centres, 0.1).high_quality == 0.5
    assert mode_coverage(x, centres, 0.1, n_std=4).high_quality == 1.0


@pytest.mark.parametrize("samples, centres, std, match", [
    (torch.zeros(5), torch.zeros(1, 2), 0.1,
     r"samples must have 2 dimension\(s\), got shape \(5,\)"),
    (torch.zeros(0, 2), torch.zeros(1, 2), 0.1, "samples must have at least 1 entries"),
    (torch.zeros(5, 2), torch.zeros(1, 3), 0.1, r"centres must have shape \(N, 2\), got \(1, 3\)"),
    (torch.zeros(5, 2), torch.zeros(1, 2), 0.0, "std must be a finite positive number, got 0.0"),
    (torch.tensor([[float("nan"), 0.0]]), torch.zeros(1, 2), 0.1,
     "samples contains NaN or infinite"),
])
def test_bad_input(samples, centres, std, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, centres, std)


def test_activation_gradient_norms_of_a_linear_chain():
    # D(x) = w3 . (W2 (W1 x)) with identity activations: the gradients are known exactly
    net = MLP(2, 1, width=2, depth=2, activation="tanh")
    net.net = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False),
                                  torch.nn.Linear(2, 2, bias=False),
                                  torch.nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        net.net[0].weight.copy_(torch.eye(2) * 3)
        net.net[1].weight.copy_(torch.eye(2) * 2)
        net.net[2].weight.copy_(torch.tensor([[1.0, 0.0]]))
    norms = activation_gradient_norms(net, torch.randn(5, 2))
    assert norms == pytest.approx([6.0, 2.0, 1.0])
    assert all(p.grad is None for p in net.parameters())  # weights untouched
    with pytest.raises(TypeError, match="nn.Sequential `net`"):
        activation_gradient_norms(torch.nn.Linear(2, 1), torch.randn(3, 2))


def test_w1_tracking_metrics():
    torch.manual_seed(0)
    G, D = MLP(2, 2, width=8, depth=1), MLP(2, 1, width=8, depth=1)
    real, z = torch.randn(50, 2), torch.randn(60, 2)
    metrics = w1_tracking(real, z)
    with torch.no_grad():
        assert metrics["exact W1"](G, D) == pytest.approx(wasserstein1(real, G(z)))
        expected = (D(real).mean() - D(G(z)).mean()).item()
        assert metrics["critic estimate"](G, D) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"real must have 2 dimension\(s\)"):
        w1_tracking(torch.zeros(3), z)


# ------------------------------------------------------------------ Frechet score ------------
def test_frechet_distance_closed_form_for_diagonal_gaussians():
    import numpy as np

    from ganlab.metrics import frechet_distance

    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 2.0, 1.5])
    want = ((mu1 - mu2) ** 2).sum() + ((s1 - s2) ** 2).sum()
    got = frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2))
    assert abs(got - want) < 1e-9
    assert abs(frechet_distance(mu1, np.diag(s1**2), mu1, np.diag(s1**2))) < 1e-9
    with pytest.raises(ValueError, match="covariances"):
        frechet_distance(mu1, np.eye(2), mu2, np.eye(2))


def test_mnist_frechet_real_vs_real_far_below_real_vs_noise():
    from ganlab.data import mnist
    from ganlab.metrics import mnist_feature_net, mnist_frechet

    images, labels = mnist("shipped").tensors
    net = mnist_feature_net()
    a, b = images[0::5], images[1::5]  # 1,000 each, all classes (the file is sorted by class)
    noise = torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    real_real, real_noise = mnist_frechet(a, b, net=net), mnist_frechet(a, noise, net=net)
    assert real_real < 0.05 * real_noise
    # one digit class only (a mode-collapsed generator) scores far worse than all classes
    ones = images[labels == 1][:400]
    assert mnist_frechet(a[::2], ones, net=net) > 10 * mnist_frechet(a[::2], b[::2], net=net)
    with pytest.raises(ValueError, match=r"images_b must have 4 dimension\(s\)"):
        mnist_frechet(a, torch.zeros(10, 28, 28), net=net)


def test_shipped_classifier_classifies():
    from ganlab.data import mnist
    from ganlab.metrics import mnist_feature_net

    images, labels = mnist("shipped").tensors
    with torch.no_grad():
        accuracy = (mnist_feature_net()(images[:1000]).argmax(1) == labels[:1000]).float().mean()
    assert accuracy > 0.9


def _digits(n=2000):
    """``n`` shipped digits drawn at random (the file is sorted by class) and their labels."""
    from ganlab.data import mnist

    images, labels = mnist("shipped").tensors
    idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:n]
    return images[idx], labels[idx]


def test_legibility_of_real_digits_noise_and_one_class():
    from ganlab.metrics import mnist_legibility

    images, labels = _digits()
    real = mnist_legibility(images)
    assert real.confident > 0.85 and real.smallest_share > 0.07
    assert abs(float(real.shares.sum()) - 1) < 1e-12
    sevens = mnist_legibility(images[labels == 7])
    assert sevens.confident > 0.85 and sevens.smallest_share == 0.0  # confident, one class
    assert sevens.shares[7] > 0.9
    assert "smallest class 0.0%" in str(sevens)
    # Uniform noise is read "confidently" as one digit by this small classifier: exactly why
    # the confident share is never read without the class shares.
    noise = mnist_legibility(torch.rand(500, 1, 28, 28, generator=torch.Generator()
                                        .manual_seed(0)) * 2 - 1)
    assert noise.smallest_share == 0.0 and float(noise.shares.max()) > 0.9


@pytest.mark.parametrize("images, match", [
    (torch.zeros(4, 28, 28), r"images must have 4 dimension\(s\), got shape \(4, 28, 28\)"),
    (torch.zeros(4, 1, 32, 32), r"images must have shape \(N, 1, 28, 28\)"),
    (torch.full((4, 1, 28, 28), float("nan")), "NaN or infinite"),
])
def test_legibility_refuses_bad_images(images, match):
    from ganlab.metrics import mnist_legibility

    with pytest.raises(ValueError, match=match):
        mnist_legibility(images)


def test_frechet_refuses_non_finite_images():
    from ganlab.metrics import mnist_frechet

    images, _ = _digits(10)
    bad = images.clone()
    bad[3, 0, 5, 5] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        mnist_frechet(images, bad)
