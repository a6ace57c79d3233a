"""Networks for the course: an MLP for toy data, DCGAN-style generator and critic for images.

Used by notebooks 01-07. All critics return one raw score per sample, shape (N,): no
sigmoid at the end (the losses in ``ganlab.losses`` apply it where the objective needs it,
and a Wasserstein critic must not have one).

Critics take ``layer_wrapper``: a function applied to every weight layer as it is built,
e.g. ``torch.nn.utils.parametrizations.spectral_norm``, so a normalisation that wraps
layers is applied in one place; ``sn=True`` applies the course's own
``ganlab.spectral.spectral_norm`` (notebook 06). ``minibatch_discrimination=(B, C)`` puts a
``MinibatchDiscrimination`` layer before the critic's last linear layer, and
``features(x)`` returns the last hidden layer (for feature matching; notebook 07).

``MinibatchDiscrimination(A, B, C)`` is that layer (Salimans et al. 2016, sec. 3.2): M_i =
f(x_i) T reshaped to (B, C); c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1); o(x_i)_b =
sum_j c_b(x_i, x_j), concatenated to f(x_i). It is one of the Improved-GAN tricks and
``ganlab.tricks`` exports it with the others.

References: Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep
Convolutional GANs" (DCGAN), ICLR 2016, arXiv:1511.06434 -- strided convolutions,
batch norm in G, LeakyReLU(0.2) in D, tanh output. Gulrajani et al. 2017 (WGAN-GP) --
no batch norm in a critic trained with a gradient penalty. Salimans, Goodfellow, Zaremba,
Cheung, Radford, Chen, "Improved Techniques for Training GANs", NeurIPS 2016,
arXiv:1606.03498 -- minibatch discrimination.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from . import _checks
from ._checks import positive_int

__all__ = ["ACTIVATIONS", "IMAGE_SHAPES", "DCCritic", "DCGenerator", "MLP", "Gaussian",
           "MinibatchDiscrimination"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}
# (channels, height, width) the convolutional models support: MNIST and CIFAR-10 sizes.
IMAGE_SHAPES = ((1, 28, 28), (3, 32, 32))
LayerWrapper = Callable[[nn.Module], nn.Module]
Tensor = torch.Tensor


def _identity(layer: nn.Module) -> nn.Module:
    return layer


def _wrapper(layer_wrapper: LayerWrapper | None, sn: bool) -> LayerWrapper:
    """``sn=True`` is shorthand for ``layer_wrapper=ganlab.spectral.spectral_norm``."""
    if sn and layer_wrapper is not None:
        raise ValueError("give either sn=True or a layer_wrapper, not both")
    if sn:
        from .spectral import spectral_norm

        return spectral_norm
    return layer_wrapper or _identity


class MinibatchDiscrimination(nn.Module):
    r"""Minibatch discrimination: each sample's features plus B similarities to its batch.

    With :math:`f(x_i) \in \mathbb{R}^A` and a learned tensor :math:`T`, reshape
    :math:`M_i = f(x_i) T` to (B, C) and compute

    .. math::

        c_b(x_i, x_j) = \exp\bigl(-\lVert M_{i,b} - M_{j,b} \rVert_1\bigr), \qquad
        o(x_i)_b = \sum_j c_b(x_i, x_j)

    concatenated to :math:`f(x_i)` (Salimans et al. 2016, sec. 3.2). The sum runs over all
    j in the batch, the sample itself included (it contributes :math:`\exp(0) = 1`). Shape:
    (N, A) -> (N, A + B).

    Parameters
    ----------
    in_features : int
        The size A of the features.
    B : int
        The number of similarity statistics appended.
    C : int
        The size of each row of :math:`M_i`.
    init_std : float
        The scale s of the initialisation: the entries of :math:`T` (shape (A, B C), the
        paper's A x B x C tensor) start as draws from :math:`\mathcal{N}(0, s^2)`.

    Raises
    ------
    ValueError
        A size that is not a positive int, or ``init_std`` not positive.

    References
    ----------
    Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
    GANs", NeurIPS 2016 (arXiv:1606.03498), sec. 3.2.
    """

    def __init__(self, in_features: int, B: int = 100, C: int = 5, *, init_std: float = 0.1):
        super().__init__()
        for name, value in (("in_features", in_features), ("B", B), ("C", C)):
            positive_int(name, value)
        init_std = _checks.positive_float("init_std", init_std)
        self.B, self.C = B, C
        self.T = nn.Parameter(init_std * torch.randn(in_features, B * C))

    def forward(self, x: Tensor) -> Tensor:
        """(N, A) -> (N, A + B): the features with their B batch similarities appended; an
        input of another shape, dtype or device raises TypeError or ValueError."""
        _checks.forward_input("MinibatchDiscrimination", x, (self.T.shape[0],), self.T)
        M = (x @ self.T).view(-1, self.B, self.C).transpose(0, 1)  # (B, N, C)
        l1 = torch.cdist(M, M, p=1)              # (B, N, N): ||M_i,b - M_j,b||_1
        o = torch.exp(-l1).sum(2).T              # (N, B): o(x_i)_b = sum_j c_b(x_i, x_j)
        return torch.cat([x, o], dim=1)


def _minibatch_discrimination(in_features: int, spec) -> nn.Module:
    """``minibatch_discrimination=(B, C)``: a ``MinibatchDiscrimination`` layer."""
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(f"minibatch_discrimination must be a (B, C) tuple, got {spec!r}")
    try:  # the layer checks B and C; say which argument they came from
        return MinibatchDiscrimination(in_features, *spec)
    except ValueError as err:
        raise ValueError(f"minibatch_discrimination=(B, C) needs positive ints: {err}") from None


def _activation(name: str) -> nn.Module:
    return ACTIVATIONS[_checks.one_of("activation", name, ACTIVATIONS)]()


def _image_shape(shape) -> tuple[int, int, int]:
    if not isinstance(shape, (tuple, list, torch.Size)) or tuple(shape) not in IMAGE_SHAPES:
        raise ValueError(f"image_shape must be one of {IMAGE_SHAPES}, got {shape}")
    return tuple(shape)


class Gaussian(nn.Module):
    r"""The simplest generator: a learnable Gaussian :math:`\mathcal{N}(\mu, \sigma^2)`.

    .. math:: x = \mu + \sigma z, \qquad z \sim \mathcal{N}(0, I)

    z (N, d) -> x (N, d). :math:`\sigma` is stored as its log (``log_std``) so that it stays
    positive. Used to fit a single Gaussian to a mixture with different divergences
    (notebook 02).

    Parameters
    ----------
    mean : float
        The initial :math:`\mu`, the same in every dimension.
    std : float
        The initial :math:`\sigma`, > 0.
    dim : int
        The dimension d.

    Raises
    ------
    ValueError
        ``dim`` not a positive int, ``mean`` not finite or ``std`` not positive.
    """

    def __init__(self, mean: float = 0.0, std: float = 1.0, *, dim: int = 1):
        super().__init__()
        positive_int("dim", dim)
        mean = _checks.finite_float("mean", mean)
        std = _checks.positive_float("std", std)
        self.mean = nn.Parameter(torch.full((dim,), float(mean)))
        self.log_std = nn.Parameter(torch.full((dim,), math.log(std)))

    @property
    def std(self) -> torch.Tensor:
        """The standard deviation, ``log_std.exp()``, shape (d,), with its graph."""
        return self.log_std.exp()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, d) -> x (N, d) = mean + std * z; TypeError or ValueError when z has another
        shape, dtype or device than the parameters."""
        _checks.forward_input("Gaussian", z, self.mean.shape, self.mean)
        return self.mean + self.std * z


class MLP(nn.Module):
    """A multilayer perceptron, for toy generators and critics.

    x (N, in_features) -> (N, out_features) through ``depth`` hidden layers of ``width``
    units, each Linear -> activation; the last layer is linear (no sigmoid: a critic returns
    raw scores). With ``out_features=1`` and ``squeeze`` left at its default (a critic) the
    output is (N,).

    Parameters
    ----------
    in_features : int
        The input size (the data's dimension for a critic, the noise's for a generator).
    out_features : int
        The output size (1 for a critic).
    width : int
        Units per hidden layer.
    depth : int
        The number of hidden layers, >= 0 (0: one linear layer).
    activation : str
        A key of ``ACTIVATIONS``: ``"relu"``, ``"leaky_relu"`` (slope 0.2), ``"tanh"``,
        ``"elu"``, ``"softplus"``.
    squeeze : bool, optional
        Drop the last axis of the output; default: when ``out_features == 1``.
    layer_wrapper : callable, optional
        Applied to every linear layer as it is built, e.g.
        ``torch.nn.utils.parametrizations.spectral_norm``.
    sn : bool
        Shorthand for ``layer_wrapper=ganlab.spectral.spectral_norm`` (notebook 06).
    minibatch_discrimination : tuple of int, optional
        (B, C): a ``MinibatchDiscrimination`` layer before the last linear layer
        (notebook 07).

    Raises
    ------
    ValueError
        A size that is not a positive int, an unknown ``activation``, both ``sn`` and
        ``layer_wrapper``, or a bad ``minibatch_discrimination``.
    """

    def __init__(self, in_features: int, out_features: int = 1, *, width: int = 128,
                 depth: int = 3, activation: str = "relu", squeeze: bool | None = None,
                 layer_wrapper: LayerWrapper | None = None, sn: bool = False,
                 minibatch_discrimination: tuple[int, int] | None = None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features),
                            ("width", width)):
            positive_int(name, value)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth must be a non-negative int, got {depth!r}")
        wrap = _wrapper(layer_wrapper, sn)
        layers: list[nn.Module] = []
        size = in_features
        for _ in range(depth):
            layers += [wrap(nn.Linear(size, width)), _activation(activation)]
            size = width
        self._n_hidden = len(layers)
        if minibatch_discrimination is not None:
            layers.append(_minibatch_discrimination(size, minibatch_discrimination))
            size += minibatch_discrimination[0]
        layers.append(wrap(nn.Linear(size, out_features)))
        self.net = nn.Sequential(*layers)
        self.in_features = in_features
        self.squeeze = (out_features == 1) if squeeze is None else squeeze

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, for feature matching.

        Parameters
        ----------
        x : torch.Tensor
            Inputs, shape (N, in_features).

        Returns
        -------
        torch.Tensor
            Shape (N, width) (the input itself when ``depth`` is 0).
        """
        return self.net[: self._n_hidden](x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_features) -> (..., out_features), the last axis dropped when ``squeeze``;
        a last axis of another size, or another dtype or device: TypeError or ValueError."""
        _checks.forward_input(f"MLP(in_features={self.in_features})", x, (self.in_features,),
                              next(self.parameters()), any_leading=True)
        out = self.net(x)
        return out.squeeze(-1) if self.squeeze else out


class DCGenerator(nn.Module):
    """A DCGAN-style generator: z (N, z_dim) -> images (N, C, H, W) in [-1, 1].

    Linear to a (4w, s, s) map (s = 7 for 28x28, 4 for 32x32), then stride-2 transposed
    convolutions that double the side and halve the channels, batch norm + ReLU between,
    tanh at the end (Radford et al. 2016).

    Parameters
    ----------
    z_dim : int
        The noise dimension.
    image_shape : tuple of int
        (C, H, W), one of ``IMAGE_SHAPES``: (1, 28, 28) or (3, 32, 32).
    width : int
        The channel unit w: the projection has 4w channels.
    batch_norm : bool
        Batch norm after the projection and each hidden transposed convolution.

    Raises
    ------
    ValueError
        ``z_dim`` or ``width`` not a positive int, or an unsupported ``image_shape``.

    References
    ----------
    Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional
    Generative Adversarial Networks", ICLR 2016 (arXiv:1511.06434).
    """

    def __init__(self, z_dim: int = 64, *, image_shape=(1, 28, 28), width: int = 64,
                 batch_norm: bool = True):
        super().__init__()
        positive_int("z_dim", z_dim)
        positive_int("width", width)
        channels, side, _ = _image_shape(image_shape)
        n_up = 2 if side == 28 else 3
        self.start = (4 * width, side >> n_up, side >> n_up)
        self.z_dim, self.image_shape = z_dim, (channels, side, side)
        norm1d = nn.BatchNorm1d if batch_norm else lambda n: nn.Identity()
        norm2d = nn.BatchNorm2d if batch_norm else lambda n: nn.Identity()
        self.project = nn.Sequential(
            nn.Linear(z_dim, 4 * width * self.start[1] * self.start[2]),
            norm1d(4 * width * self.start[1] * self.start[2]), nn.ReLU())
        blocks: list[nn.Module] = []
        c = 4 * width
        for i in range(n_up):
            last = i == n_up - 1
            out = channels if last else c // 2
            blocks.append(nn.ConvTranspose2d(c, out, 4, stride=2, padding=1))  # side x2
            blocks += [nn.Tanh()] if last else [norm2d(out), nn.ReLU()]
            c = out
        self.body = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Noise (N, z_dim) -> images (N, C, H, W) in [-1, 1]; noise of another shape, dtype
        or device is refused with TypeError or ValueError."""
        _checks.forward_input(f"DCGenerator(z_dim={self.z_dim})", z, (self.z_dim,),
                              next(self.parameters()))
        h = self.project(z).view(-1, *self.start)  # (N, 4w*s*s) -> (N, 4w, s, s)
        return self.body(h)


def conv_features(image_shape, width: int, wrap=None, batch_norm: bool = False,
                  extra_channels: int = 0) -> tuple[nn.Sequential, int, int]:
    """DCGAN's critic body: stride-2 4x4 convolutions halving the side and doubling the
    channels (w, 2w[, 4w]), LeakyReLU(0.2), optional batch norm after the first layer.
    ``extra_channels`` more input channels than the image has (a conditional critic's label
    planes). Returns (layers, output channels, output side): (N, C, H, W) -> (N, c, s, s)."""
    channels, side, _ = _image_shape(image_shape)
    positive_int("extra_channels", extra_channels, zero_ok=True)
    wrap = wrap or (lambda layer: layer)
    n_down = 2 if side == 28 else 3
    layers: list[nn.Module] = []
    c_in, c_out = channels + extra_channels, width
    for i in range(n_down):
        layers.append(wrap(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)))
        if batch_norm and i > 0:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.LeakyReLU(0.2))
        c_in, c_out = c_out, c_out * 2
    return nn.Sequential(*layers), c_in, side >> n_down


class DCCritic(nn.Module):
    """A DCGAN-style critic: images (N, C, H, W) -> raw scores (N,).

    Stride-2 4x4 convolutions that halve the side and double the channels (w, 2w[, 4w]),
    LeakyReLU(0.2), optional batch norm after the first layer (leave it off for WGAN-GP:
    Gulrajani et al. 2017), then a linear layer to one score, with no sigmoid.
    ``features`` (an ``nn.Sequential``) gives the flattened last convolutional map, for
    feature matching.

    Parameters
    ----------
    image_shape : tuple of int
        (C, H, W), one of ``IMAGE_SHAPES``: (1, 28, 28) or (3, 32, 32).
    width : int
        The channels w of the first convolution.
    batch_norm : bool
        Batch norm after every convolution but the first.
    layer_wrapper : callable, optional
        Applied to every weight layer, e.g. ``torch.nn.utils.parametrizations.spectral_norm``.
    sn : bool
        Shorthand for ``layer_wrapper=ganlab.spectral.spectral_norm``.
    minibatch_discrimination : tuple of int, optional
        (B, C): a ``MinibatchDiscrimination`` layer before the score layer.

    Raises
    ------
    ValueError
        ``width`` not a positive int, an unsupported ``image_shape``, both ``sn`` and
        ``layer_wrapper``, or a bad ``minibatch_discrimination``.

    References
    ----------
    Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional
    Generative Adversarial Networks", ICLR 2016 (arXiv:1511.06434). Gulrajani et al.,
    "Improved Training of Wasserstein GANs", NeurIPS 2017 (arXiv:1704.00028).
    """

    def __init__(self, *, image_shape=(1, 28, 28), width: int = 64, batch_norm: bool = False,
                 layer_wrapper: LayerWrapper | None = None, sn: bool = False,
                 minibatch_discrimination: tuple[int, int] | None = None):
        super().__init__()
        positive_int("width", width)
        channels, side, _ = _image_shape(image_shape)
        wrap = _wrapper(layer_wrapper, sn)
        convs, c_out, s_out = conv_features((channels, side, side), width, wrap, batch_norm)
        self.features = nn.Sequential(*convs, nn.Flatten())  # (N, c, s, s) -> (N, c*s*s)
        size = c_out * s_out ** 2
        self.mbd = None
        if minibatch_discrimination is not None:
            self.mbd = _minibatch_discrimination(size, minibatch_discrimination)
            size += minibatch_discrimination[0]
        self.score = wrap(nn.Linear(size, 1))
        self.image_shape = (channels, side, side)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) of ``image_shape`` -> raw scores (N,); other images, or another
        dtype or device, raise TypeError or ValueError."""
        _checks.forward_input(f"DCCritic(image_shape={self.image_shape})", x, self.image_shape,
                              next(self.parameters()))
        h = self.features(x)
        if self.mbd is not None:
            h = self.mbd(h)
        return self.score(h).squeeze(-1)
