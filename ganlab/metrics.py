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
* ``memorisation`` -- do samples copy the training digits? Each sample's distance to its
  nearest training digit against the same for held-out real digits (Meehan et al. 2020).

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

from . import _checks
from ._checks import positive_int

__all__ = ["CLASSIFIER_FILE", "HELDOUT_CLASSIFIER_FILE", "LabelFidelity", "Memorisation",
           "MnistFeatureNet", "ModeCoverage",
           "activation_gradient_norms", "Legibility", "frechet_distance", "intra_class_diversity",
           "label_fidelity", "mnist_feature_net", "mnist_frechet", "per_class_frechet",
           "memorisation", "mnist_legibility", "mode_coverage", "nearest_distances",
           "w1_tracking"]

CLASSIFIER_FILE = "mnist_classifier.pt"
# the same network trained only on data.shipped_split("train") (issue 26): it has never seen
# the held-out digits, so scores against them are scores on unseen data
HELDOUT_CLASSIFIER_FILE = "mnist_classifier_heldout.pt"
CLASSIFIER_FILES = (CLASSIFIER_FILE, HELDOUT_CLASSIFIER_FILE)


@dataclass(frozen=True)
class ModeCoverage:
    """What ``mode_coverage`` found: modes captured and the high-quality fraction.

    ``str`` gives e.g. ``"8/8 modes, 97.3% high quality"``.

    Attributes
    ----------
    modes : int
        Modes captured (nearest mode of at least one high-quality sample).
    n_modes : int
        Modes in the data set, k.
    high_quality : float
        Fraction of the samples that are high quality, in [0, 1].
    counts : torch.Tensor
        High-quality samples per mode, shape (k,), int64.
    """

    modes: int
    n_modes: int
    high_quality: float
    counts: torch.Tensor

    def __str__(self) -> str:
        return f"{self.modes}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high quality"


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, std: float, *,
                  n_std: float = 3.0) -> ModeCoverage:
    r"""Count the captured modes and the high-quality fraction of ``samples``.

    A sample :math:`x` is *high quality* when it lies within ``n_std`` standard deviations of
    the nearest mode centre,

    .. math:: \min_k \lVert x - c_k \rVert_2 \le n_{\rm std}\, \sigma,

    and a mode is *captured* when it is the nearest mode of at least one high-quality sample:
    the protocol of VEEGAN (Srivastava et al. 2017, sec. 5.1) and PacGAN (Lin et al. 2018,
    sec. 5), which use 2,500 samples and :math:`n_{\rm std} = 3`.

    Parameters
    ----------
    samples : torch.Tensor
        Generated points, shape (N, d), finite.
    centres : torch.Tensor
        Mode centres, shape (k, d) (``ganlab.toy.modes``).
    std : float
        :math:`\sigma`, the per-coordinate standard deviation of each mode, > 0.
    n_std : float
        The radius in standard deviations, > 0.

    Returns
    -------
    ModeCoverage
        Modes captured, the high-quality fraction and the high-quality count per mode.

    Raises
    ------
    ValueError, TypeError
        Shapes that do not match, NaN or infinite samples (a diverged generator), or
        ``std`` / ``n_std`` not positive.

    References
    ----------
    Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
    Learning", NeurIPS 2017 (arXiv:1705.07761), sec. 5.1. Lin et al., "PacGAN: The power of
    two samples in generative adversarial networks", NeurIPS 2018 (arXiv:1712.04086), sec. 5.
    """
    # NaN is never "near" a mode: unchecked, a diverged generator would score 0 modes silently
    samples = _checks.tensor("samples", samples, dims=2)
    centres = _checks.tensor("centres", centres, dims=2, trailing=(samples.shape[1],))
    _checks.positive_float("std", std)
    _checks.positive_float("n_std", n_std)
    samples = samples.detach().to("cpu", torch.float64)
    centres = centres.detach().to("cpu", torch.float64)
    dist = torch.cdist(samples, centres)  # (N, k)
    nearest_dist, nearest = dist.min(dim=1)
    hq = nearest_dist <= n_std * std
    counts = torch.bincount(nearest[hq], minlength=len(centres))
    return ModeCoverage(int((counts > 0).sum()), len(centres), hq.double().mean().item(), counts)


def w1_tracking(real: torch.Tensor, z: torch.Tensor) -> dict:
    r"""``fit`` metrics that put the critic's estimate of :math:`W_1` beside the exact value.

    On fixed batches ``real`` and ``z``:

    .. math::

        \text{critic estimate} = \frac{1}{n} \sum_i D(x_i) - \frac{1}{n} \sum_i D(G(z_i)),
        \qquad \text{exact W1} = W_1(\{x_i\}, \{G(z_i)\})

    the second with uniform weights and Euclidean cost (``ganlab.transport.wasserstein1``).

    Parameters
    ----------
    real : torch.Tensor
        Real samples, shape (n, d).
    z : torch.Tensor
        Noise, shape (n, z_dim), fed to G at every evaluation.

    Returns
    -------
    dict
        ``{"critic estimate": fn, "exact W1": fn}``, each ``fn(G, D) -> float``: pass as
        ``fit(metrics=...)``.

    Raises
    ------
    ValueError, TypeError
        ``real`` or ``z`` is not a finite 2-D tensor.
    """
    from .transport import wasserstein1

    real = _checks.tensor("real", real, dims=2)
    z = _checks.tensor("z", z, dims=2)

    def estimate(G, D):
        device = next(D.parameters()).device
        return (D(real.to(device)).mean() - D(G(z.to(device))).mean()).item()

    def exact(G, D):
        device = next(G.parameters()).device
        return wasserstein1(real, G(z.to(device)))

    return {"critic estimate": estimate, "exact W1": exact}


def activation_gradient_norms(mlp: torch.nn.Module, x: torch.Tensor) -> list[float]:
    r"""The gradient norm of a critic's output at the input of each of its linear layers.

    .. math::

        g_l = \frac{1}{N} \sum_i \Bigl\lVert \frac{\partial \sum_j D(x_j)}
        {\partial h_l(x_i)} \Bigr\rVert_2

    with :math:`h_l` the input of linear layer :math:`l`: the quantity whose explosion or
    vanishing with depth under weight clipping Gulrajani et al. (2017) show in Fig. 1(b).

    Parameters
    ----------
    mlp : torch.nn.Module
        A critic that holds its layers in an ``nn.Sequential`` called ``net``
        (``ganlab.models.MLP``).
    x : torch.Tensor
        A batch of inputs, shape (N, in_features).

    Returns
    -------
    list of float
        One :math:`g_l` per linear layer, input first: the first entry is the gradient with
        respect to x, the last with respect to the input of the output layer.

    Raises
    ------
    TypeError
        ``mlp`` is not a module with an ``nn.Sequential`` ``net``.
    ValueError
        ``x`` is not a finite 2-D tensor.

    References
    ----------
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017
    (arXiv:1704.00028), Fig. 1(b).
    """
    _checks.module("mlp", mlp)
    layers = getattr(mlp, "net", None)
    if not isinstance(layers, torch.nn.Sequential):
        raise TypeError(f"mlp must keep its layers in an nn.Sequential `net` (ganlab.models.MLP), "
                        f"got {type(mlp).__name__}")
    x = _checks.tensor("x", x, dims=2)
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

    Images (N, 1, 28, 28) in [-1, 1] -> ``features`` (N, 64) -> ``forward`` logits (N, 10).
    Its features are what ``mnist_frechet`` compares; the shipped weights come from
    ``mnist_feature_net`` (trained by ``scripts/train_mnist_classifier.py``).
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
        """The 64-d penultimate features (after ReLU).

        Parameters
        ----------
        x : torch.Tensor
            Images, shape (N, 1, 28, 28), in [-1, 1].

        Returns
        -------
        torch.Tensor
            Shape (N, 64).
        """
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, 1, 28, 28) in [-1, 1] -> class logits (N, 10), the head on ``features``."""
        return self.head(self.body(x))


def mnist_feature_net(name: str = CLASSIFIER_FILE) -> MnistFeatureNet:
    """A shipped MNIST classifier, in eval mode.

    The file is sha256-checked and loaded with ``weights_only=True``.

    Parameters
    ----------
    name : str
        ``CLASSIFIER_FILE`` (trained on 4,500 of the shipped digits, what the shipped runs'
        recorded scores use) or ``HELDOUT_CLASSIFIER_FILE`` (trained on the 4,000 digits of
        ``data.shipped_split("train")`` only).

    Returns
    -------
    MnistFeatureNet
        On the CPU, in eval mode.

    Raises
    ------
    ValueError
        ``name`` is not a shipped classifier.
    ganlab.data.ChecksumError
        The file is missing or corrupt.
    """
    from .data import load_state_dict

    _checks.one_of("name", name, CLASSIFIER_FILES, "the shipped classifiers")
    net = MnistFeatureNet()
    net.load_state_dict(load_state_dict(name))
    return net.eval()


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    r"""The Fréchet distance between two Gaussians.

    .. math::

        d^2 = \lVert \mu_1 - \mu_2 \rVert_2^2
        + \operatorname{Tr}\bigl(C_1 + C_2 - 2 (C_1 C_2)^{1/2}\bigr)

    the squared 2-Wasserstein distance between :math:`\mathcal{N}(\mu_1, C_1)` and
    :math:`\mathcal{N}(\mu_2, C_2)` (Dowson & Landau 1982; FID, Heusel et al. 2017).
    :math:`\operatorname{Tr}(C_1 C_2)^{1/2}` is computed as
    :math:`\operatorname{Tr}(C_1^{1/2} C_2 C_1^{1/2})^{1/2}`, a symmetric PSD root, stable
    when singular covariances arise from features with zero variance.

    Parameters
    ----------
    mu1 : array_like or torch.Tensor
        The first mean, shape (d,).
    cov1 : array_like or torch.Tensor
        The first covariance, shape (d, d), symmetric positive semi-definite.
    mu2 : array_like or torch.Tensor
        The second mean, shape (d,).
    cov2 : array_like or torch.Tensor
        The second covariance, shape (d, d), symmetric positive semi-definite.

    Returns
    -------
    float
        :math:`d^2` (squared, as FID reports it).

    Raises
    ------
    ValueError, TypeError
        Shapes that do not match, or non-finite values.

    References
    ----------
    Dowson & Landau, "The Fréchet distance between multivariate normal distributions",
    J. Multivariate Anal. 1982. Heusel et al., "GANs Trained by a Two Time-Scale Update Rule
    Converge to a Local Nash Equilibrium", NeurIPS 2017 (arXiv:1706.08500).
    """
    import numpy as np

    mu1, mu2 = (_checks.tensor(n, v, dims=1).double().numpy()
                for n, v in (("mu1", mu1), ("mu2", mu2)))
    cov1, cov2 = (_checks.tensor(n, v, dims=2).double().numpy()
                  for n, v in (("cov1", cov1), ("cov2", cov2)))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != mu1.shape * 2:
        raise ValueError(f"means must be (d,) and covariances (d, d) alike, got {mu1.shape}, "
                         f"{cov1.shape}, {mu2.shape}, {cov2.shape}")
    # Tr (C1 C2)^(1/2) = Tr (C1^(1/2) C2 C1^(1/2))^(1/2): symmetric PSD, so eigh is stable
    # even when features with zero variance make the covariances singular.
    values, vectors = np.linalg.eigh(cov1)
    root1 = (vectors * np.sqrt(values.clip(min=0))) @ vectors.T
    cross = np.sqrt(np.linalg.eigvalsh(root1 @ cov2 @ root1).clip(min=0)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * cross)


def _classifier_outputs(images: torch.Tensor, net: MnistFeatureNet,
                        batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """The classifier on ``images`` in chunks: (features (N, 64) in float64, logits (N, 10)),
    both on the CPU."""
    device = next(net.parameters()).device
    feats, logits = [], []
    with torch.no_grad():
        for chunk in images.split(batch_size):
            h = net.features(chunk.to(device, torch.float32))
            feats.append(h.double().cpu())
            logits.append(net.head(h).cpu())
    return torch.cat(feats), torch.cat(logits)


def mnist_frechet(images_a: torch.Tensor, images_b: torch.Tensor, *,
                  net: MnistFeatureNet | None = None, batch_size: int = 500) -> float:
    r"""A sample-quality score for MNIST in the manner of FID (Heusel et al. 2017).

    The Fréchet distance (``frechet_distance``) between Gaussians fitted to the 64-d
    ``MnistFeatureNet`` features of the two sets. Lower is better; the numbers are comparable
    only with each other, not with published FIDs (Inception features). Use at least a few
    hundred images per set (the covariance is 64 x 64); compare scores computed with the same
    sample sizes.

    Parameters
    ----------
    images_a, images_b : torch.Tensor
        Images, shape (N, 1, 28, 28), in [-1, 1], at least 2 each, finite.
    net : MnistFeatureNet, optional
        The feature network; default ``mnist_feature_net()``.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    float
        The squared Fréchet distance between the feature Gaussians.

    Raises
    ------
    ValueError, TypeError
        Images of another shape, fewer than 2, or not finite (a diverged generator cannot be
        scored); ``batch_size`` not positive.

    References
    ----------
    Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS 2017 (arXiv:1706.08500).
    """
    positive_int("batch_size", batch_size)
    net = net or mnist_feature_net()
    stats = []
    for name, images in (("images_a", images_a), ("images_b", images_b)):
        # non-finite images: a diverged generator, which cannot be scored
        images = _checks.tensor(name, images, dims=4, min_rows=2, trailing=(1, 28, 28))
        feats, _ = _classifier_outputs(images, net, batch_size)
        stats += [feats.mean(0).numpy(), torch.cov(feats.T).numpy()]
    return frechet_distance(stats[0], stats[1], stats[2], stats[3])


@dataclass(frozen=True)
class Legibility:
    """What the shipped classifier makes of a set of digits (``mnist_legibility``).

    Attributes
    ----------
    confident : float
        Fraction of images whose largest class probability is >= ``threshold``.
    shares : torch.Tensor
        Fraction of images predicted as each class (argmax), shape (10,), summing to 1.
    threshold : float
        The probability a confident reading needs.
    """

    confident: float
    shares: torch.Tensor
    threshold: float

    @property
    def smallest_share(self) -> float:
        """The share of the least predicted class (0.1 when all classes are equally common)."""
        return float(self.shares.min())

    def as_dict(self) -> dict:
        """The scores as plain numbers, for JSON.

        Returns
        -------
        dict
            ``confident``, ``smallest_class_share`` and ``class_shares`` (a list of 10).
        """
        return {"confident": self.confident, "smallest_class_share": self.smallest_share,
                "class_shares": [round(float(s), 4) for s in self.shares]}

    def __str__(self) -> str:
        return (f"{100 * self.confident:.1f}% read with p >= {self.threshold:g}, "
                f"smallest class {100 * self.smallest_share:.1f}%")


def mnist_legibility(images: torch.Tensor, *, threshold: float = 0.9,
                     net: MnistFeatureNet | None = None, batch_size: int = 500) -> Legibility:
    r"""How many digits the shipped classifier reads confidently, and as which classes.

    .. math::

        \text{confident} = \frac{1}{N} \sum_i
        \Bigl[\max_c \operatorname{softmax}(\ell(x_i))_c \ge \tau\Bigr], \qquad
        \text{share}_c = \frac{1}{N} \sum_i \bigl[\arg\max \ell(x_i) = c\bigr]

    with :math:`\ell` the classifier's logits and :math:`\tau` = ``threshold``. Legible and
    diverse digits score high on the first and near 0.1 on every share (real digits: about
    91% confident); a collapsed generator can score "confident" while one share is near 1
    -- read both.

    Parameters
    ----------
    images : torch.Tensor
        Images, shape (N, 1, 28, 28), in [-1, 1].
    threshold : float
        :math:`\tau`, in (0, 1).
    net : MnistFeatureNet, optional
        The classifier; default ``mnist_feature_net()``.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    Legibility
        The confident fraction and the class shares.

    Raises
    ------
    ValueError, TypeError
        Images of another shape or not finite; ``threshold`` outside (0, 1);
        ``batch_size`` not positive.
    """
    images = _checks.tensor("images", images, dims=4, trailing=(1, 28, 28))
    positive_int("batch_size", batch_size)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    _, logits = _classifier_outputs(images, net or mnist_feature_net(), batch_size)
    probs = logits.softmax(1)
    top, label = probs.max(1)
    shares = torch.bincount(label, minlength=10).double() / len(images)
    return Legibility(float((top >= threshold).double().mean()), shares, threshold)


# ------------------------------------------------------ conditional samples -----------------
def _images_and_labels(images, labels, names=("images", "labels")
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    name, label_name = names
    images = _checks.tensor(name, images, dims=4, trailing=(1, 28, 28))
    if not isinstance(labels, torch.Tensor) or labels.dtype not in (torch.int64, torch.int32):
        got = labels.dtype if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise TypeError(f"{label_name} must be an integer tensor of classes 0-9, got {got}")
    if labels.shape != (len(images),):
        raise ValueError(f"{label_name} must have shape ({len(images)},), one per image, got "
                         f"{tuple(labels.shape)}")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) > 9):
        raise ValueError(f"{label_name} must be MNIST classes 0-9, got values from "
                         f"{int(labels.min())} to {int(labels.max())}")
    return images, labels.long().cpu()


@dataclass(frozen=True)
class LabelFidelity:
    """How often the shipped classifier reads a conditional sample as the class asked for.

    Attributes
    ----------
    accuracy : float
        The overall share read as asked.
    per_class : torch.Tensor
        Accuracy for each requested class, shape (10,), float64; NaN for a class not asked
        for.
    confusion : torch.Tensor
        Counts, shape (10, 10), int64: row = requested class, column = class read.
    """

    accuracy: float
    per_class: torch.Tensor
    confusion: torch.Tensor

    def __str__(self) -> str:
        worst = int(self.per_class.argmin())
        return (f"label fidelity {100 * self.accuracy:.1f}% (worst class {worst}: "
                f"{100 * self.per_class[worst]:.1f}%)")


def label_fidelity(images: torch.Tensor, labels: torch.Tensor, *,
                   net: MnistFeatureNet | None = None) -> LabelFidelity:
    """A conditional generator's label fidelity: the classifier's accuracy on its samples.

    The shipped classifier itself is about 95 % accurate on real digits, which is the ceiling.

    Parameters
    ----------
    images : torch.Tensor
        Samples, shape (N, 1, 28, 28), in [-1, 1].
    labels : torch.Tensor
        The classes they were generated for, shape (N,), integers 0-9.
    net : MnistFeatureNet, optional
        The classifier; default ``mnist_feature_net()``.

    Returns
    -------
    LabelFidelity
        Classes absent from ``labels`` get NaN in ``per_class``.

    Raises
    ------
    TypeError
        ``labels`` is not an integer tensor.
    ValueError
        Images of another shape, or labels not one class 0-9 per image.
    """
    images, labels = _images_and_labels(images, labels)
    preds = _classifier_outputs(images, net or mnist_feature_net())[1].argmax(1)
    confusion = torch.zeros(10, 10, dtype=torch.long)
    confusion.index_put_((labels, preds), torch.ones_like(labels), accumulate=True)
    asked = confusion.sum(1).double()
    per_class = confusion.diagonal().double() / asked  # NaN where a class was not asked for
    return LabelFidelity(float((preds == labels).double().mean()), per_class, confusion)


def intra_class_diversity(images: torch.Tensor, labels: torch.Tensor, *,
                          net: MnistFeatureNet | None = None) -> torch.Tensor:
    r"""The spread of each class: mean pairwise feature distance within it.

    .. math::

        \mathrm{div}_c = \frac{2}{n_c (n_c - 1)} \sum_{i < j,\; y_i = y_j = c}
        \lVert \phi(x_i) - \phi(x_j) \rVert_2

    with :math:`\phi` the classifier's 64-d features. Compare with real digits: a generator
    whose classes are narrower than the data's (AC-GAN's known weakness) scores lower.

    Parameters
    ----------
    images : torch.Tensor
        Images, shape (N, 1, 28, 28), in [-1, 1].
    labels : torch.Tensor
        Their classes, shape (N,), integers 0-9.
    net : MnistFeatureNet, optional
        The classifier; default ``mnist_feature_net()``.

    Returns
    -------
    torch.Tensor
        Shape (10,), float64; NaN for classes with fewer than 2 images.

    Raises
    ------
    TypeError, ValueError
        As for ``label_fidelity``.
    """
    images, labels = _images_and_labels(images, labels)
    feats, _ = _classifier_outputs(images, net or mnist_feature_net())
    out = torch.full((10,), float("nan"), dtype=torch.float64)
    for k in range(10):
        f = feats[labels == k]
        if len(f) >= 2:
            out[k] = torch.pdist(f).mean()
    return out


def per_class_frechet(images: torch.Tensor, labels: torch.Tensor, real: torch.Tensor,
                      real_labels: torch.Tensor, *, net: MnistFeatureNet | None = None
                      ) -> torch.Tensor:
    """The Fréchet distance between the generated and the real images of each class.

    ``mnist_frechet`` within a class.

    Parameters
    ----------
    images, labels : torch.Tensor
        Generated images (N, 1, 28, 28) in [-1, 1] and their classes (N,), integers 0-9.
    real, real_labels : torch.Tensor
        Real images (M, 1, 28, 28) and their classes (M,).
    net : MnistFeatureNet, optional
        The feature network; default ``mnist_feature_net()``.

    Returns
    -------
    torch.Tensor
        Shape (10,), float64; NaN where either side has fewer than 2 images of the class.

    Raises
    ------
    TypeError, ValueError
        As for ``label_fidelity``, for either set.
    """
    images, labels = _images_and_labels(images, labels)
    real, real_labels = _images_and_labels(real, real_labels, ("real", "real_labels"))
    net = net or mnist_feature_net()
    out = torch.full((10,), float("nan"), dtype=torch.float64)
    for k in range(10):
        a, b = images[labels == k], real[real_labels == k]
        if len(a) >= 2 and len(b) >= 2:
            out[k] = mnist_frechet(a, b, net=net)
    return out


# ------------------------------------------------------ memorisation (data-copying) ---------
@dataclass(frozen=True)
class Memorisation:
    r"""How close samples lie to the training digits, measured against fresh real digits.

    For each image x, :math:`d(x) = \min_t \lVert x - t \rVert_2` over the training digits t
    (Euclidean, pixels).

    Attributes
    ----------
    sample_distance, heldout_distance : float
        The median d over the samples and over the held-out real digits.
    ratio : float
        Their quotient: about 1 for a model as far from its training set as new data is,
        well below 1 for one that copies it, above 1 for samples unlike any digit.
    quantile : float
        The held-out quantile ``closer_fraction`` counts below.
    closer_fraction : float
        The share of samples with d below the ``quantile``-quantile of the held-out d (about
        ``quantile`` for fresh data, near 1 for copies).
    p_value : float
        The one-sided binomial test of closer_fraction > quantile.
    superiority : float
        :math:`P(d(\text{sample}) < d(\text{held-out})) + P(\text{tie})/2`, Meehan et al.'s
        U statistic over n m (0.5 fresh, 1 copying, < 0.5 underfitting).
    """

    sample_distance: float
    heldout_distance: float
    ratio: float
    quantile: float
    closer_fraction: float
    p_value: float
    superiority: float

    def flagged(self, alpha: float = 0.01) -> bool:
        """Whether significantly more samples than ``quantile`` sit close to a training digit.

        Close means nearer than the ``quantile``-quantile of the held-out digits' distances;
        the test is the one-sided binomial test of ``p_value``.

        Parameters
        ----------
        alpha : float
            The significance level.

        Returns
        -------
        bool
            ``p_value < alpha``.
        """
        return self.p_value < alpha

    def __str__(self) -> str:
        return (f"median distance to the training digits {self.sample_distance:.2f} vs "
                f"{self.heldout_distance:.2f} for held-out digits (ratio {self.ratio:.2f}); "
                f"{100 * self.closer_fraction:.1f}% of samples nearer than the held-out "
                f"{100 * self.quantile:g}% quantile")


def _same_shape(**images: torch.Tensor) -> None:
    shapes = {name: tuple(x.shape[1:]) for name, x in images.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"{', '.join(shapes)} must hold images of one shape; got trailing "
                         f"shapes {shapes}")


def nearest_distances(images: torch.Tensor, reference: torch.Tensor, *,
                      batch_size: int = 500) -> torch.Tensor:
    r"""The distance from each image to its nearest reference image.

    .. math:: d_i = \min_j \lVert x_i - r_j \rVert_2

    over the flattened pixels, computed in float64 on the CPU.

    Parameters
    ----------
    images : torch.Tensor
        Shape (N, D), (N, H, W) or (N, C, H, W).
    reference : torch.Tensor
        Shape (M, ...), images of the same shape as ``images``.
    batch_size : int
        Images compared at once.

    Returns
    -------
    torch.Tensor
        :math:`d`, shape (N,), float64.

    Raises
    ------
    ValueError, TypeError
        Other ranks, images of different shapes, or non-finite values; ``batch_size`` not
        positive.
    """
    images = _checks.tensor("images", images, dims=(2, 3, 4))
    reference = _checks.tensor("reference", reference, dims=(2, 3, 4))
    _same_shape(images=images, reference=reference)
    positive_int("batch_size", batch_size)
    ref = reference.detach().to("cpu", torch.float64).flatten(1)  # (M, D)
    return torch.cat([torch.cdist(chunk.detach().to("cpu", torch.float64).flatten(1), ref)
                      .min(dim=1).values for chunk in images.split(batch_size)])


def memorisation(samples: torch.Tensor, train_digits: torch.Tensor,
                 heldout_digits: torch.Tensor, *, quantile: float = 0.05) -> Memorisation:
    r"""Whether ``samples`` copy ``train_digits``, judged against held-out real digits.

    Each sample's distance to its nearest training digit is compared with the same distance
    for real digits that were not trained on:

    .. math:: d(x) = \min_{t \in \text{train}} \lVert x - t \rVert_2

    for every sample and every held-out digit (pixel space). A generator that has learnt the
    distribution, not the training set, puts its samples as far from the training digits as
    new real digits are; a copying one puts them closer. This is the three-sample comparison
    of Meehan, Chaudhuri & Dasgupta (2020): their :math:`Z_U` statistic is the Mann-Whitney U
    between the two sets of distances, here ``superiority`` = U / (n m); they also test per
    region of space, which this does not -- ``closer_fraction`` looks for a copying minority
    instead.

    Parameters
    ----------
    samples : torch.Tensor
        Generated images, shape (N, ...), N >= 2 (MNIST: (N, 1, 28, 28) in [-1, 1]).
    train_digits : torch.Tensor
        The digits G was trained on, shape (M, ...).
    heldout_digits : torch.Tensor
        Real digits not in ``train_digits`` (``data.shipped_split``), shape (K, ...), K >= 2.
    quantile : float
        In (0, 1): the held-out quantile that ``closer_fraction`` counts below.

    Returns
    -------
    Memorisation
        The distances, their ratio, the closer fraction with its p-value, and U / (n m).

    Raises
    ------
    ValueError, TypeError
        Images of different shapes or ranks, non-finite values, ``quantile`` outside (0, 1),
        or held-out digits that are mostly in ``train_digits`` (median distance 0).

    References
    ----------
    Meehan, Chaudhuri, Dasgupta, "A Non-Parametric Test to Detect Data-Copying in Generative
    Models", AISTATS 2020 (arXiv:2004.05675).
    """
    samples = _checks.tensor("samples", samples, dims=(2, 3, 4), min_rows=2)
    train_digits = _checks.tensor("train_digits", train_digits, dims=(2, 3, 4))
    heldout_digits = _checks.tensor("heldout_digits", heldout_digits, dims=(2, 3, 4), min_rows=2)
    _same_shape(samples=samples, train_digits=train_digits, heldout_digits=heldout_digits)
    if isinstance(quantile, bool) or not isinstance(quantile, (int, float)) \
            or not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
    import numpy as np
    from scipy import stats as scipy_stats

    d_sample = nearest_distances(samples, train_digits).numpy()
    d_held = nearest_distances(heldout_digits, train_digits).numpy()
    threshold = float(np.quantile(d_held, quantile))  # linear interpolation
    closer = int((d_sample < threshold).sum())
    p = scipy_stats.binomtest(closer, len(d_sample), quantile, alternative="greater").pvalue
    # Meehan et al.'s U: pairs (sample, held-out) where the sample is nearer, ties count 1/2
    u = scipy_stats.mannwhitneyu(d_held, d_sample, method="asymptotic").statistic
    med_s, med_h = float(np.median(d_sample)), float(np.median(d_held))
    if med_h == 0:
        raise ValueError("heldout_digits: most of them are also in train_digits (median "
                         "distance 0); pass digits that were not trained on")
    return Memorisation(med_s, med_h, med_s / med_h, float(quantile), closer / len(d_sample),
                        float(p), float(u) / (len(d_sample) * len(d_held)))
