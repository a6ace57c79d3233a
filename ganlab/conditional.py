"""Conditional GANs: the class label y is given to both players, G(z, y) and D(x, y).

* ``ConcatGenerator``, ``ConcatCritic`` -- Mirza & Osindero 2014: the one-hot label is
  concatenated to the noise, and to the critic's hidden features before a joint layer.
* ``ACGANCritic`` -- Odena et al. 2017: a score head and a class head. The class head
  returns *logits*: ``fit`` applies cross-entropy (which contains the softmax) -- a softmax
  before it would apply the softmax twice.
* ``ProjectionCritic`` -- Miyato & Koyama 2018: D(x, y) = psi(phi(x)) + <embed(y), phi(x)>,
  phi summed over spatial positions, spectral norm on every layer including the embedding.
* ``ConditionalBatchNorm2d``, ``BigGANGenerator`` -- Brock et al. 2019 (BigGAN): batch norm
  without its own affine, gain = 1 + linear(c), bias = linear(c) with c = [shared(y), z_i]:
  one class embedding shared by all blocks, and the noise split into one chunk per block
  (hierarchical z).

Every player checks its inputs' shapes, dtypes and devices (no values are read: the range
of the labels is checked once by ``fit``, at its boundary). Train them with
``fit(..., conditional=True)``.
"""

from __future__ import annotations

import functools

import torch
from torch import nn
from torch.nn import functional as F

from . import _checks
from ._checks import positive_int
from .models import DCGenerator, conv_features
from .spectral import spectral_norm

__all__ = ["ACGANCritic", "BigGANGenerator", "CRITICS", "ConcatCritic", "ConcatGenerator",
           "ConditionalBatchNorm2d", "ProjectionCritic"]

Tensor = torch.Tensor


def _check_labels(owner: str, y, n: int, device: torch.device, what: str = "x") -> None:
    """Labels for a batch of n: an integer tensor (n,) on ``device`` (values not read)."""
    if not isinstance(y, Tensor) or y.dtype not in (torch.int64, torch.int32):
        got = y.dtype if isinstance(y, Tensor) else type(y).__name__
        raise TypeError(f"{owner} expects labels y as an integer tensor (torch.long), got {got}")
    if y.shape != (n,):
        raise ValueError(f"{owner} expects one label per sample: {what} has {n} samples, so y "
                         f"must have shape ({n},); got y of shape {tuple(y.shape)}")
    if y.device != device:
        raise ValueError(f"{owner}: the labels are on {y.device} but the weights on {device}")


def _sn(sn: bool):
    return spectral_norm if sn else (lambda layer: layer)


def _critic_body(critic: nn.Module, n_classes: int, image_shape, width: int, sn: bool,
                 label_planes: bool = False):
    """What the critics share: check ``n_classes``, record it and the image shape on
    ``critic``, build the DCGAN convolutions (with ``label_planes``, for K more input
    channels). Returns (wrap, convolutions, channels, side)."""
    positive_int("n_classes", n_classes)
    wrap = _sn(sn)
    convs, c, s = conv_features(image_shape, width, wrap,
                                extra_channels=n_classes if label_planes else 0)
    critic.n_classes, critic.image_shape = n_classes, tuple(image_shape)
    return wrap, convs, c, s


class ConcatGenerator(nn.Module):
    r"""G(z, y) = DCGenerator([z, one_hot(y)]): the label enters with the noise.

    The one-hot label is concatenated to the noise and the result goes through a DCGAN
    generator built for ``z_dim + n_classes`` inputs (Mirza & Osindero 2014).

    .. math::

        G(z, y) = G_\text{DC}\big([z, \operatorname{one\_hot}(y)]\big)

    Parameters
    ----------
    n_classes : int, default 10
        K, the number of classes.
    z_dim : int, default 64
        The noise size.
    width : int, default 64
        The DCGAN generator's base width.
    image_shape : tuple of int, default (1, 28, 28)
        The images' (C, H, W), one of ``models.IMAGE_SHAPES``.

    Raises
    ------
    ValueError
        ``n_classes`` is not a positive int, or the DCGAN generator refuses its arguments
        (e.g. an unknown ``image_shape``).
    """

    def __init__(self, n_classes: int = 10, z_dim: int = 64, *, width: int = 64,
                 image_shape=(1, 28, 28)):
        super().__init__()
        positive_int("n_classes", n_classes)
        self.n_classes, self.z_dim = n_classes, z_dim
        self.net = DCGenerator(z_dim + n_classes, image_shape=image_shape, width=width)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        """Images of class ``y`` from noise ``z``.

        Parameters
        ----------
        z : torch.Tensor
            (N, z_dim) noise.
        y : torch.Tensor
            (N,) integer class labels, on ``z``'s device (their values are not read here).

        Returns
        -------
        torch.Tensor
            (N, C, H, W) images.

        Raises
        ------
        TypeError, ValueError
            As :meth:`ConcatCritic.forward`, with ``z`` (N, ``z_dim``) in place of ``x``.
        """
        _checks.forward_input(f"ConcatGenerator(z_dim={self.z_dim})", z, (self.z_dim,),
                              next(self.parameters()))
        _check_labels("ConcatGenerator", y, len(z), z.device, "z")
        return self.net(torch.cat([z, F.one_hot(y.long(), self.n_classes).to(z.dtype)], 1))


class ConcatCritic(nn.Module):
    r"""D(x, y) with the one-hot label concatenated (Mirza & Osindero 2014).

    Where the label is concatenated is ``join``'s choice:

    * ``"hidden"`` -- to the image features before a joint hidden layer:
      D = w . LeakyReLU(W [phi(x), one_hot(y)]) (on a linear output alone the label could
      only add a per-class bias);
    * ``"input"`` -- as K constant planes beside the image channels (plane k is 1 where
      y = k), so every convolution sees the label: D = w . phi([x, planes(y)]). This is the
      AC-GAN critic's trunk and score head with K more input channels.

    .. math::

        D_\text{hidden}(x, y) = w^\top \operatorname{LeakyReLU}\big(
            W [\phi(x), \operatorname{one\_hot}(y)]\big), \qquad
        D_\text{input}(x, y) = w^\top \phi\big([x, \operatorname{planes}(y)]\big)

    with :math:`\phi` the DCGAN convolutions, flattened.

    Parameters
    ----------
    n_classes : int, default 10
        K, the number of classes.
    width : int, default 64
        The convolutions' base width.
    hidden : int, default 256
        The joint hidden layer's size (``join="hidden"``).
    image_shape : tuple of int, default (1, 28, 28)
        The images' (C, H, W), one of ``models.IMAGE_SHAPES``.
    sn : bool, default False
        Spectral norm on every layer.
    join : {"hidden", "input"}, default "hidden"
        Where the label enters, as above.

    Raises
    ------
    ValueError
        ``n_classes`` or ``hidden`` is not a positive int, ``join`` is unknown, or
        ``image_shape`` is not one of ``models.IMAGE_SHAPES``.
    """

    def __init__(self, n_classes: int = 10, *, width: int = 64, hidden: int = 256,
                 image_shape=(1, 28, 28), sn: bool = False, join: str = "hidden"):
        super().__init__()
        positive_int("hidden", hidden)
        self.join = _checks.one_of("join", join, ("hidden", "input"), "ConcatCritic")
        if join == "input":
            wrap, convs, c, s = _critic_body(self, n_classes, image_shape, width, sn,
                                             label_planes=True)
            self.features = nn.Sequential(*convs, nn.Flatten())
            self.score = wrap(nn.Linear(c * s * s, 1))
            return
        wrap, convs, c, s = _critic_body(self, n_classes, image_shape, width, sn)
        self.features = nn.Sequential(*convs, nn.Flatten())
        self.joint = nn.Sequential(wrap(nn.Linear(c * s * s + n_classes, hidden)),
                                   nn.LeakyReLU(0.2), wrap(nn.Linear(hidden, 1)))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """Raw scores of the images ``x`` with labels ``y``.

        Parameters
        ----------
        x : torch.Tensor
            (N, C, H, W) images of ``image_shape``.
        y : torch.Tensor
            (N,) integer class labels, on ``x``'s device.

        Returns
        -------
        torch.Tensor
            (N,) raw scores (logits).

        Raises
        ------
        TypeError
            ``x`` is not a tensor or not of the weights' dtype; ``y`` is not an integer
            tensor.
        ValueError
            ``x`` or ``y`` has the wrong shape, or lies on another device than the weights.
        """
        _checks.forward_input("ConcatCritic", x, self.image_shape, next(self.parameters()))
        _check_labels("ConcatCritic", y, len(x), x.device)
        one_hot = F.one_hot(y.long(), self.n_classes).to(x.dtype)
        if self.join == "input":
            planes = one_hot[:, :, None, None].expand(-1, -1, *x.shape[2:])
            return self.score(self.features(torch.cat([x, planes], 1))).squeeze(-1)
        return self.joint(torch.cat([self.features(x), one_hot], 1)).squeeze(-1)


class ACGANCritic(nn.Module):
    """(score(x), class logits(x)): a critic with an auxiliary classifier (AC-GAN).

    The label is not an input of the score; ``fit`` trains the class head with
    cross-entropy on real and generated samples. Returns (scores (N,), logits (N, K)).
    The class head returns logits, without a softmax: the cross-entropy contains it
    (Odena et al. 2017).

    Parameters
    ----------
    n_classes : int, default 10
        K, the number of classes (the class head's outputs).
    width : int, default 64
        The convolutions' base width.
    image_shape : tuple of int, default (1, 28, 28)
        The images' (C, H, W), one of ``models.IMAGE_SHAPES``.
    sn : bool, default False
        Spectral norm on every layer.

    Raises
    ------
    ValueError
        ``n_classes`` is not a positive int or ``image_shape`` is not one of
        ``models.IMAGE_SHAPES``.
    """

    def __init__(self, n_classes: int = 10, *, width: int = 64, image_shape=(1, 28, 28),
                 sn: bool = False):
        super().__init__()
        wrap, convs, c, s = _critic_body(self, n_classes, image_shape, width, sn)
        self.features = nn.Sequential(*convs, nn.Flatten())
        self.score = wrap(nn.Linear(c * s * s, 1))
        self.classify = wrap(nn.Linear(c * s * s, n_classes))  # logits: no softmax here

    def forward(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Raw scores and class logits of the images ``x``.

        Parameters
        ----------
        x : torch.Tensor
            (N, C, H, W) images of ``image_shape``.
        y : torch.Tensor, optional
            (N,) integer class labels; checked when given, but not used by either head.

        Returns
        -------
        scores : torch.Tensor
            (N,) raw scores.
        logits : torch.Tensor
            (N, K) class logits.

        Raises
        ------
        TypeError, ValueError
            As :meth:`ConcatCritic.forward` (``y`` only when given).
        """
        _checks.forward_input("ACGANCritic", x, self.image_shape, next(self.parameters()))
        if y is not None:
            _check_labels("ACGANCritic", y, len(x), x.device)
        h = self.features(x)
        return self.score(h).squeeze(-1), self.classify(h)


class ProjectionCritic(nn.Module):
    r"""D(x, y) = psi(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama 2018, eq. 3).

    .. math::

        D(x, y) = \psi\big(\phi(x)\big) + \big\langle \operatorname{embed}(y),
            \phi(x) \big\rangle

    phi(x): the DCGAN convolutions, then, with ``pool="sum"``, ReLU and a *sum* over spatial
    positions (N, C) as in the released code; with ``pool="flatten"``, the flattened maps
    (N, C*s*s) -- the AC-GAN critic's trunk, whose score head then sees position, so that
    the two critics differ only in where the label enters. psi: a linear layer to one score;
    embed: one vector per class, of phi's size. Spectral norm on all of them, the embedding
    included, as in the released code (sngan_projection, BigGAN-PyTorch's SNEmbedding).

    Parameters
    ----------
    n_classes : int, default 10
        K, the number of classes (rows of the embedding).
    width : int, default 64
        The convolutions' base width.
    image_shape : tuple of int, default (1, 28, 28)
        The images' (C, H, W), one of ``models.IMAGE_SHAPES``.
    sn : bool, default True
        Spectral norm on every layer, the embedding included.
    pool : {"sum", "flatten"}, default "sum"
        How phi turns the feature maps into a vector, as above.

    Raises
    ------
    ValueError
        ``pool`` is unknown, ``n_classes`` is not a positive int or ``image_shape`` is not
        one of ``models.IMAGE_SHAPES``.
    """

    def __init__(self, n_classes: int = 10, *, width: int = 64, image_shape=(1, 28, 28),
                 sn: bool = True, pool: str = "sum"):
        super().__init__()
        self.pool = _checks.one_of("pool", pool, ("sum", "flatten"), "ProjectionCritic")
        wrap, convs, c, s = _critic_body(self, n_classes, image_shape, width, sn)
        size = c if pool == "sum" else c * s * s
        self.body = convs
        self.psi = wrap(nn.Linear(size, 1))
        self.embed = wrap(nn.Embedding(n_classes, size))

    def phi(self, x: Tensor) -> Tensor:
        """Image features phi(x), what the projection and psi act on.

        Convolutions, then ReLU and global sum pooling (N, C), or the flattened maps
        (N, C*s*s).

        Parameters
        ----------
        x : torch.Tensor
            (N, C, H, W) images (not checked here; ``forward`` checks them).

        Returns
        -------
        torch.Tensor
            (N, C) with ``pool="sum"``, (N, C*s*s) with ``pool="flatten"``.
        """
        if self.pool == "flatten":
            return self.body(x).flatten(1)
        return F.relu(self.body(x)).sum(dim=(2, 3))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        r"""Raw scores (N,) of the images ``x`` with labels ``y``: :math:`\psi(\phi(x)) +
        \langle \operatorname{embed}(y), \phi(x) \rangle`.

        ``x`` and ``y`` are taken, checked and refused (``TypeError``, ``ValueError``) as by
        :meth:`ConcatCritic.forward`.
        """
        _checks.forward_input("ProjectionCritic", x, self.image_shape, next(self.parameters()))
        _check_labels("ProjectionCritic", y, len(x), x.device)
        h = self.phi(x)
        return self.psi(h).squeeze(-1) + (self.embed(y.long()) * h).sum(1)


CRITICS = {"concat": ConcatCritic, "acgan": ACGANCritic, "projection": ProjectionCritic,
           "concat-planes": functools.partial(ConcatCritic, join="input"),
           "projection-flat": functools.partial(ProjectionCritic, pool="flatten")}
"""The ways for a critic to see the label, by the names the CLI and the recipes use.
``acgan``, ``concat-planes`` and ``projection-flat`` share one trunk (the DCGAN
convolutions, flattened) and one linear score head, and differ only in where y enters: the
class head's cross-entropy, label planes at the input, or the projection term. ``concat``
(late joint layer) and ``projection`` (sum pooling, the released code's form) are their
usual forms."""


class ConditionalBatchNorm2d(nn.Module):
    r"""BN(x) * (1 + gain(c)) + bias(c): batch norm conditioned on a vector c (BigGAN).

    Batch norm without its own affine parameters, the per-channel gain and bias predicted
    from a conditioning vector c by two linear layers (Brock et al. 2019):

    .. math::

        y = \operatorname{BN}(x) \odot \big(1 + \operatorname{gain}(c)\big)
            + \operatorname{bias}(c)

    Parameters
    ----------
    num_features : int
        The channels of x.
    cond_dim : int
        The size of c.
    eps : float, default 1e-5
        Batch norm's epsilon.

    Raises
    ------
    ValueError
        ``num_features`` or ``cond_dim`` is not a positive int.
    """

    def __init__(self, num_features: int, cond_dim: int, eps: float = 1e-5):
        super().__init__()
        positive_int("num_features", num_features)
        positive_int("cond_dim", cond_dim)
        self.bn = nn.BatchNorm2d(num_features, affine=False, eps=eps)
        self.gain = nn.Linear(cond_dim, num_features)
        self.bias = nn.Linear(cond_dim, num_features)

    def forward(self, x: Tensor, c: Tensor) -> Tensor:
        """The normalised, conditioned feature maps.

        Parameters
        ----------
        x : torch.Tensor
            (N, num_features, H, W) feature maps.
        c : torch.Tensor
            (N, cond_dim) conditioning vectors.

        Returns
        -------
        torch.Tensor
            (N, num_features, H, W).

        Raises
        ------
        ValueError
            ``c`` is not a tensor of shape (N, cond_dim).
        """
        if not isinstance(c, Tensor) or c.shape != (len(x), self.gain.in_features):
            got = tuple(c.shape) if isinstance(c, Tensor) else type(c).__name__
            raise ValueError(f"ConditionalBatchNorm2d expects c of shape ({len(x)}, "
                             f"{self.gain.in_features}), got {got}")
        gain = (1 + self.gain(c))[:, :, None, None]
        return self.bn(x) * gain + self.bias(c)[:, :, None, None]


class _UpBlock(nn.Module):
    """CBN -> ReLU -> 4x4 stride-2 transposed convolution (side x2)."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int):
        super().__init__()
        self.norm = ConditionalBatchNorm2d(c_in, cond_dim)
        self.up = nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)

    def forward(self, h: Tensor, c: Tensor) -> Tensor:
        return self.up(F.relu(self.norm(h, c)))


class BigGANGenerator(nn.Module):
    """A small BigGAN-style G(z, y) for 28x28 images.

    z (N, z_dim) is split into 3 chunks: the first is projected to a (4w, 7, 7) map, the
    other two condition one up-sampling block each, together with the shared class
    embedding: c_i = [shared(y), z_i]. Blocks: CBN, ReLU, transposed conv (7 -> 14 -> 28);
    then BN, ReLU, a 3x3 conv to the image channels and tanh. ``attention`` adds a SAGAN
    self-attention block at 14x14 (``ganlab.attention``). No spectral norm on the shared
    embedding (BigGAN's choice).

    ``n_classes=1`` makes it an unconditional G(z): y may then be left out, and the batch-norm
    gains and biases come from the noise chunks alone (plus the one learned class vector).

    Parameters
    ----------
    n_classes : int, default 10
        K, the number of classes.
    z_dim : int, default 60
        The noise size, a multiple of 3 (one chunk per block).
    width : int, default 32
        w, the base width.
    shared_dim : int, default 32
        The size of the shared class embedding.
    channels : int, default 1
        The images' channels.
    attention : bool, default False
        Add the self-attention block at 14x14.

    Raises
    ------
    ValueError
        A size is not a positive int, or ``z_dim`` is not a multiple of 3.

    References
    ----------
    Brock, Donahue & Simonyan 2019, "Large Scale GAN Training for High Fidelity Natural
    Image Synthesis" (BigGAN).
    """

    def __init__(self, n_classes: int = 10, z_dim: int = 60, *, width: int = 32,
                 shared_dim: int = 32, channels: int = 1, attention: bool = False):
        super().__init__()
        for name, value in (("n_classes", n_classes), ("z_dim", z_dim), ("width", width),
                            ("shared_dim", shared_dim), ("channels", channels)):
            positive_int(name, value)
        if z_dim % 3:
            raise ValueError(f"z_dim must be a multiple of 3 (one chunk per block), got {z_dim}")
        self.n_classes, self.z_dim, self.width = n_classes, z_dim, width
        chunk = z_dim // 3
        self.shared = nn.Embedding(n_classes, shared_dim)
        self.project = nn.Linear(chunk, 4 * width * 7 * 7)
        self.blocks = nn.ModuleList([_UpBlock(4 * width, 2 * width, shared_dim + chunk),
                                     _UpBlock(2 * width, width, shared_dim + chunk)])
        if attention:
            from .attention import SelfAttention

            self.attention = SelfAttention(2 * width)
        else:
            self.attention = None
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(),
                                 nn.Conv2d(width, channels, 3, padding=1), nn.Tanh())

    def forward(self, z: Tensor, y: Tensor | None = None, return_attention: bool = False):
        """Images of class ``y`` from noise ``z``, and optionally the attention weights.

        Parameters
        ----------
        z : torch.Tensor
            (N, z_dim) noise.
        y : torch.Tensor, optional
            (N,) integer class labels; required unless the generator has one class
            (``n_classes=1``), where they default to class 0.
        return_attention : bool, default False
            Also return the attention block's weights (needs ``attention=True``).

        Returns
        -------
        images : torch.Tensor
            (N, C, 28, 28).
        attention : torch.Tensor
            Only with ``return_attention``: (N, 196, 49), one row per 14x14 query over the
            pooled keys.

        Raises
        ------
        TypeError, ValueError
            For ``z`` and ``y``, as :meth:`ConcatGenerator.forward`; also ``ValueError`` when
            ``y`` is missing with more than one class, or for ``return_attention`` without an
            attention block.
        """
        _checks.forward_input(f"BigGANGenerator(z_dim={self.z_dim})", z, (self.z_dim,),
                              self.project.weight)
        if y is None:
            if self.n_classes != 1:
                raise ValueError(f"BigGANGenerator with {self.n_classes} classes needs labels y; "
                                 "only a one-class generator (n_classes=1) runs without them")
            y = torch.zeros(len(z), dtype=torch.long, device=z.device)
        _check_labels("BigGANGenerator", y, len(z), z.device, "z")
        if return_attention and self.attention is None:
            raise ValueError("return_attention=True needs a generator built with attention=True")
        z0, *zs = z.chunk(3, dim=1)
        shared = self.shared(y.long())
        h = self.project(z0).view(len(z), 4 * self.width, 7, 7)
        beta = None
        for i, (block, z_i) in enumerate(zip(self.blocks, zs, strict=True)):
            h = block(h, torch.cat([shared, z_i], 1))
            if i == 0 and self.attention is not None:
                h, beta = self.attention(h, return_attention=True)
        return (self.out(h), beta) if return_attention else self.out(h)

    def weights_for_orthogonal_penalty(self) -> list[nn.Parameter]:
        """G's weight matrices except the shared embedding (BigGAN, sec. 3.1).

        What BigGAN's orthogonal regularisation is applied to: the weights of every linear,
        convolution and transposed-convolution layer; the shared embedding is left out.

        Returns
        -------
        list of torch.nn.Parameter
            The weights, in module order.
        """
        return [m.weight for m in self.modules()
                if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
