"""How good are the samples, and how healthy is the critic?

Used by notebooks 04-07.

* ``mode_coverage`` -- modes captured and high-quality fraction on the 2-D toy sets.
* ``w1_tracking`` -- metrics for ``fit``: the critic's estimate E[D(x)] - E[D(G(z))] next to
  the exact W1 between the same real samples and G's samples (``ganlab.transport``).
* ``activation_gradient_norms`` -- ||d sum D(x) / d h_l|| at the input h_l of every linear
  layer of an MLP critic: the quantity whose explosion or vanishing with depth under weight
  clipping Gulrajani et al. 2017 show in Fig. 1(b).
* ``mnist_frechet`` -- a sample-quality score for MNIST in the manner of FID (Heusel et al.
  2017): the Frechet distance between Gaussians fitted to the 64-d penultimate features of
  ``MnistFeatureNet``, a small classifier trained by ``scripts/train_mnist_classifier.py`` on
  the shipped digits (weights in ``data/mnist_classifier.pt``). Lower is better; the numbers
  are comparable only with each other, not with published FIDs (Inception features).
* ``mnist_legibility`` -- how many samples the same classifier reads confidently (max
  softmax >= 0.9) and how the predicted classes are shared out: a "confident" score alone
  rewards a generator that draws one clean digit, so read the class shares beside it.

``mode_coverage(samples, centres, std, n_std=3)`` follows the protocol of VEEGAN
(Srivastava et al. 2017, sec. 5.1) and PacGAN (Lin et al. 2018, sec. 5): a sample is
*high quality* when it lies within ``n_std`` standard deviations of the nearest mode
centre; a mode is *captured* when it is the nearest mode of at least one high-quality
sample. The papers use 2,500 samples and n_std = 3. (They measure the distance with the
Euclidean norm against n_std * std, which is what this does.)

References: Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using Implicit
Variational Learning", NeurIPS 2017, arXiv:1705.07761. Lin et al., "PacGAN: The power
of two samples in generative adversarial networks", NeurIPS 2018, arXiv:1712.04086.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["CLASSIFIER_FILE", "MnistFeatureNet", "ModeCoverage", "activation_gradient_norms",
           "Legibility", "frechet_distance", "mnist_feature_net", "mnist_frechet",
           "mnist_legibility", "mode_coverage", "w1_tracking"]

CLASSIFIER_FILE = "mnist_classifier.pt"


@dataclass(frozen=True)
class ModeCoverage:
    """modes captured (of ``n_modes``), fraction of high-quality samples, HQ count per mode."""

    modes: int
    n_modes: int
    high_quality: float
    counts: torch.Tensor

    def __str__(self) -> str:
        return f"{self.modes}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high quality"


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, std: float, *,
                  n_std: float = 3.0) -> ModeCoverage:
    """Count captured modes and the high-quality fraction of ``samples`` (N, d).

    centres: (k, d) mode centres; std: the per-coordinate std of each mode.
    """
    samples = torch.as_tensor(samples)
    centres = torch.as_tensor(centres)
    if samples.dim() != 2 or len(samples) == 0:
        raise ValueError(f"samples must be a non-empty (N, d) tensor, got {tuple(samples.shape)}")
    if centres.dim() != 2 or centres.shape[1] != samples.shape[1] or len(centres) == 0:
        raise ValueError(f"centres must be (k, {samples.shape[1]}), got {tuple(centres.shape)}")
    if not std > 0 or not n_std > 0:
        raise ValueError(f"std and n_std must be positive, got std={std!r}, n_std={n_std!r}")
    if not torch.isfinite(samples).all():  # NaN is never "near" a mode: 0 modes, silently
        raise ValueError("samples contain NaN or infinite values (a diverged generator?); "
                         "they cannot be scored")
    samples = samples.detach().to("cpu", torch.float64)
    centres = centres.detach().to("cpu", torch.float64)
    dist = torch.cdist(samples, centres)  # (N, k)
    nearest_dist, nearest = dist.min(dim=1)
    hq = nearest_dist <= n_std * std
    counts = torch.bincount(nearest[hq], minlength=len(centres))
    return ModeCoverage(int((counts > 0).sum()), len(centres), hq.double().mean().item(), counts)


def w1_tracking(real: torch.Tensor, z: torch.Tensor) -> dict:
    """``fit`` metrics: "critic estimate" = mean D(real) - mean D(G(z)) and "exact W1"
    between ``real`` (n, d) and G(z) (uniform weights, Euclidean cost), on fixed batches.
    """
    from .transport import wasserstein1

    if real.dim() != 2 or z.dim() != 2:
        raise ValueError(f"real and z must be 2-D batches, got {tuple(real.shape)} and "
                         f"{tuple(z.shape)}")

    def estimate(G, D):
        device = next(D.parameters()).device
        return (D(real.to(device)).mean() - D(G(z.to(device))).mean()).item()

    def exact(G, D):
        device = next(G.parameters()).device
        return wasserstein1(real, G(z.to(device)))

    return {"critic estimate": estimate, "exact W1": exact}


def activation_gradient_norms(mlp: torch.nn.Module, x: torch.Tensor) -> list[float]:
    """Mean over the batch of ||d sum_i D(x_i) / d h_l(x_i)|| for each linear layer's input h_l.

    ``mlp`` must hold its layers in an ``nn.Sequential`` called ``net`` (``ganlab.models.MLP``).
    The first entry is the gradient with respect to the input x, the last with respect to the
    input of the output layer.
    """
    layers = getattr(mlp, "net", None)
    if not isinstance(layers, torch.nn.Sequential):
        raise TypeError(f"mlp must keep its layers in an nn.Sequential `net` (ganlab.models.MLP), "
                        f"got {type(mlp).__name__}")
    inputs, h = [], x.detach().requires_grad_(True)
    for layer in layers:
        if isinstance(layer, torch.nn.Linear):
            h.retain_grad()
            inputs.append(h)
        h = layer(h)
    h.sum().backward(inputs=inputs)  # gradients for the activations only, not the weights
    return [hidden.grad.flatten(1).norm(dim=1).mean().item() for hidden in inputs]


# --------------------------------------------------------------- Frechet score on MNIST ------
class MnistFeatureNet(torch.nn.Module):
    """A small MNIST classifier: two conv blocks, a 64-unit feature layer, 10 logits.

    (N, 1, 28, 28) in [-1, 1] -> ``features`` (N, 64) -> ``forward`` logits (N, 10).
    """

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU())
        self.head = nn.Linear(64, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def mnist_feature_net() -> MnistFeatureNet:
    """The shipped classifier (sha256-checked, loaded with ``weights_only=True``), eval mode."""
    from .data import load_state_dict

    net = MnistFeatureNet()
    net.load_state_dict(load_state_dict(CLASSIFIER_FILE))
    return net.eval()


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2)): the squared 2-Wasserstein distance
    between N(mu1, C1) and N(mu2, C2) (Dowson & Landau 1982; FID, Heusel et al. 2017)."""
    import numpy as np

    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != mu1.shape * 2:
        raise ValueError(f"means must be (d,) and covariances (d, d) alike, got {mu1.shape}, "
                         f"{cov1.shape}, {mu2.shape}, {cov2.shape}")
    # Tr (C1 C2)^(1/2) = Tr (C1^(1/2) C2 C1^(1/2))^(1/2): symmetric PSD, so eigh is stable
    # even when features with zero variance make the covariances singular.
    values, vectors = np.linalg.eigh(cov1)
    root1 = (vectors * np.sqrt(values.clip(min=0))) @ vectors.T
    cross = np.sqrt(np.linalg.eigvalsh(root1 @ cov2 @ root1).clip(min=0)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * cross)


def mnist_frechet(images_a: torch.Tensor, images_b: torch.Tensor, *,
                  net: MnistFeatureNet | None = None, batch_size: int = 500) -> float:
    """Frechet distance between two sets of MNIST-shaped images (N, 1, 28, 28) in [-1, 1],
    on ``MnistFeatureNet`` features. Use at least a few hundred images per set (the
    covariance is 64 x 64); compare scores computed with the same sample sizes."""
    net = net or mnist_feature_net()
    stats = []
    for images in (images_a, images_b):
        images = torch.as_tensor(images)
        if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28) or len(images) < 2:
            raise ValueError(f"images must be (N >= 2, 1, 28, 28), got {tuple(images.shape)}")
        if not torch.isfinite(images).all():
            raise ValueError("images contain NaN or infinite values (a diverged generator?); "
                             "they cannot be scored")
        device = next(net.parameters()).device
        with torch.no_grad():
            feats = torch.cat([net.features(chunk.to(device, torch.float32)).double().cpu()
                               for chunk in images.split(batch_size)])
        stats += [feats.mean(0).numpy(), torch.cov(feats.T).numpy()]
    return frechet_distance(stats[0], stats[1], stats[2], stats[3])


@dataclass(frozen=True)
class Legibility:
    """What the shipped classifier makes of a set of digits.

    confident: fraction of images whose largest class probability is >= ``threshold``;
    shares: (10,) fraction of images predicted as each class (argmax), summing to 1.
    """

    confident: float
    shares: torch.Tensor
    threshold: float

    @property
    def smallest_share(self) -> float:
        return float(self.shares.min())

    def as_dict(self) -> dict:
        return {"confident": self.confident, "smallest_class_share": self.smallest_share,
                "class_shares": [round(float(s), 4) for s in self.shares]}

    def __str__(self) -> str:
        return (f"{100 * self.confident:.1f}% read with p >= {self.threshold:g}, "
                f"smallest class {100 * self.smallest_share:.1f}%")


def mnist_legibility(images: torch.Tensor, *, threshold: float = 0.9,
                     net: MnistFeatureNet | None = None, batch_size: int = 500) -> Legibility:
    """Share of ``images`` (N, 1, 28, 28) in [-1, 1] that ``MnistFeatureNet`` reads with
    max softmax probability >= ``threshold``, and the share of each predicted class.

    Legible and diverse digits score high on the first and near 0.1 on every share
    (real digits: about 91% confident); a collapsed generator can score "confident" while
    one share is near 1 -- read both.
    """
    images = torch.as_tensor(images)
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28) or len(images) == 0:
        raise ValueError(f"images must be (N, 1, 28, 28), got {tuple(images.shape)}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values; a diverged generator "
                         "cannot be scored")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    net = net or mnist_feature_net()
    device = next(net.parameters()).device
    with torch.no_grad():
        probs = torch.cat([net(chunk.to(device, torch.float32)).softmax(1).cpu()
                           for chunk in images.split(batch_size)])
    top, label = probs.max(1)
    shares = torch.bincount(label, minlength=10).double() / len(images)
    return Legibility(float((top >= threshold).double().mean()), shares, threshold)
