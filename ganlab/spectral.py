"""Spectral normalization: power iteration, the SN parametrization, and what to monitor.

Used by notebook 06 and by ``models`` (``sn=True``).

* ``power_iteration(W, u, n_iter)`` -- the top singular value sigma(W) of a 2-D weight by
  alternating v <- W^T u / ||W^T u||, u <- W v / ||W v||; sigma ~ u^T W v.
* ``spectral_norm(module)`` -- our own parametrization W_SN = W / sigma(W) with a persistent
  u: one power-iteration step per training forward, none in eval (Miyato et al. 2018,
  Algorithm 1). Convolution weights are reshaped to (out_channels, in_channels * k * k).
* ``singular_values(model, k)`` -- top-k singular values of every layer's (raw) weight: the
  sigma_0 that Brock et al. (BigGAN, 2019, sec. 4.1) watch during training.
* ``lipschitz_upper_bound(model)`` -- a certified bound on the Lipschitz constant of a
  sequential network with 1-Lipschitz activations: the product of its layers' operator norms.

References: Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative
Adversarial Networks", ICLR 2018 (arXiv:1802.05957); Brock, Donahue, Simonyan, "Large Scale
GAN Training for High Fidelity Natural Image Synthesis", ICLR 2019 (arXiv:1809.11096).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from . import _checks
from ._checks import positive_int

__all__ = ["SpectralNorm", "clamp_top_singular_value_", "lipschitz_upper_bound",
           "power_iteration", "singular_values", "spectral_norm"]

_EPS = 1e-12
_WEIGHT_LAYERS = (nn.Linear, nn.modules.conv._ConvNd)


def power_iteration(W: torch.Tensor, u: torch.Tensor | None = None, n_iter: int = 1, *,
                    generator: torch.Generator | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Estimate the largest singular value of a matrix by power iteration.

    Starting from ``u``, repeat ``n_iter`` times

    .. math:: v \leftarrow \frac{W^\top u}{\lVert W^\top u \rVert}, \qquad
              u \leftarrow \frac{W v}{\lVert W v \rVert},

    then :math:`v \leftarrow W^\top u / \lVert W^\top u \rVert` once more and
    :math:`\sigma = u^\top W v = \lVert W^\top u \rVert`. Since u is a unit vector,
    :math:`\sigma \le \sigma_{\max}(W)` always, and it converges to
    :math:`\sigma_{\max}` at a rate set by :math:`(\sigma_2 / \sigma_1)^2` per iteration.

    Parameters
    ----------
    W : torch.Tensor
        The matrix, shape (m, n).
    u : torch.Tensor, optional
        The starting left vector, shape (m,); default a random unit vector drawn from
        ``generator``.
    n_iter : int
        Iterations, >= 0 (0: one half-step from ``u``, what SN does in eval mode).
    generator : torch.Generator, optional
        For the random start.

    Returns
    -------
    sigma : torch.Tensor
        The estimate, a scalar differentiable in W through :math:`u^\top W v` (u, v held
        fixed, as in Miyato et al.).
    u, v : torch.Tensor
        The singular-vector estimates (m,) and (n,), without graph.

    Raises
    ------
    TypeError, ValueError
        W is not a 2-D tensor, ``u`` has the wrong shape, ``n_iter`` is negative.

    References
    ----------
    Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018
    (arXiv:1802.05957), Algorithm 1.
    """
    # no finite checks: every forward of a spectrally normalised layer comes here
    W = _checks.tensor("W", W, dims=2, finite=False)
    positive_int("n_iter", n_iter, zero_ok=True)
    _checks.generator("generator", generator)
    if u is not None:
        u = _checks.tensor("u", u, finite=False)
    if u is None:
        u = torch.randn(W.shape[0], generator=generator, dtype=torch.float32)
        u = u.to(W.device, W.dtype)
    elif u.shape != (W.shape[0],):
        raise ValueError(f"u must have shape ({W.shape[0]},) for W of shape {tuple(W.shape)}, "
                         f"got {tuple(u.shape)}")
    with torch.no_grad():
        u = F.normalize(u.detach(), dim=0, eps=_EPS)
        for _ in range(int(n_iter)):
            v = F.normalize(W.detach().T @ u, dim=0, eps=_EPS)
            u = F.normalize(W.detach() @ v, dim=0, eps=_EPS)
        v = F.normalize(W.detach().T @ u, dim=0, eps=_EPS)
    sigma = u @ W @ v
    return sigma, u, v


def _output_dim(module: nn.Module) -> int:
    """The weight axis of output channels: 1 for transposed convolutions, else 0."""
    return 1 if isinstance(module, nn.modules.conv._ConvTransposeNd) else 0


def _matrix(weight: torch.Tensor, dim: int) -> torch.Tensor:
    """(out, in, *k) -> (out, in * prod(k)); ``dim`` names the output axis (1 for transposed)."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.flatten(1)


class SpectralNorm(nn.Module):
    r"""The parametrization :math:`W \mapsto W / \sigma(W)` with a persistent left
    singular vector estimate ``u`` (a buffer, saved in the state dict).

    In training mode each forward does ``n_power_iterations`` steps of
    :func:`power_iteration` from the stored ``u`` and stores the new one; in eval mode it
    reuses ``u`` unchanged (one half-step gives v). Register it with :func:`spectral_norm`.

    Parameters
    ----------
    weight : torch.Tensor
        The layer's weight (2 or more dimensions); reshaped to (out, in * k * k).
    n_power_iterations : int
        Power-iteration steps per training forward (SN-GAN: 1).
    dim : int
        The output axis of the weight (1 for transposed convolutions).
    warmup : int
        Power-iteration steps run once at construction, so that the first forward already
        divides by a good estimate.
    """

    def __init__(self, weight: torch.Tensor, *, n_power_iterations: int = 1, dim: int = 0,
                 warmup: int = 15):
        super().__init__()
        weight = _checks.tensor("weight", weight)
        if weight.dim() < 2:
            raise ValueError(f"weight must have 2 or more dimensions, got shape "
                             f"{tuple(weight.shape)}")
        positive_int("n_power_iterations", n_power_iterations)
        positive_int("warmup", warmup, zero_ok=True)
        axes = range(-weight.dim(), weight.dim())
        if isinstance(dim, bool) or not isinstance(dim, int) or dim not in axes:
            raise ValueError(f"dim must be an axis of the weight (shape {tuple(weight.shape)}), "
                             f"got {dim!r}")
        self.n_power_iterations, self.dim = n_power_iterations, dim
        matrix = _matrix(weight.detach(), dim)
        _, u, _ = power_iteration(matrix, n_iter=warmup)
        self.register_buffer("u", u)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        """The layer's weight -> weight / sigma(weight), same shape; in training mode ``u`` is
        first advanced by ``n_power_iterations`` steps and stored."""
        n_iter = self.n_power_iterations if self.training else 0
        sigma, u, _ = power_iteration(_matrix(weight, self.dim), self.u, n_iter)
        if self.training:
            self.u.copy_(u)
        return weight / sigma


def spectral_norm(module: nn.Module, *, n_power_iterations: int = 1) -> nn.Module:
    r"""Spectrally normalise a layer: register :class:`SpectralNorm` on its weight.

    .. math:: W_{\rm SN} = W / \sigma(W)

    The raw weight stays trainable as ``module.parametrizations.weight.original``;
    ``module.weight`` is the normalised one. Usable as ``models``' ``layer_wrapper``.

    Parameters
    ----------
    module : torch.nn.Module
        A Linear, Conv* or ConvTranspose* layer.
    n_power_iterations : int
        Power-iteration steps per training forward.

    Returns
    -------
    torch.nn.Module
        ``module``, parametrized in place.

    Raises
    ------
    ValueError
        ``module`` has no weight of 2 or more dimensions.

    References
    ----------
    Miyato et al., ICLR 2018 (arXiv:1802.05957), section 2.1 and Algorithm 1.
    """
    _checks.module("module", module)
    positive_int("n_power_iterations", n_power_iterations)
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() < 2:
        raise ValueError(f"spectral_norm needs a module with a weight of 2 or more dimensions "
                         f"(Linear, Conv); got {type(module).__name__}")
    parametrize.register_parametrization(
        module, "weight",
        SpectralNorm(weight, n_power_iterations=n_power_iterations, dim=_output_dim(module)))
    return module


def _raw_weight(module: nn.Module) -> torch.Tensor:
    if parametrize.is_parametrized(module, "weight"):
        return module.parametrizations.weight.original
    return module.weight


def clamp_top_singular_value_(model: nn.Module, sigma_clamp: float) -> dict[str, float]:
    r"""BigGAN's clamp of G's top singular values, in place.

    For every Linear / Conv layer's raw weight matrix W (out, in * k * k) whose top singular
    value :math:`\sigma_0` exceeds ``sigma_clamp``:

    .. math:: W \leftarrow W - (\sigma_0 - \sigma_{\rm clamp})\, u_0 v_0^\top

    Only the top singular value changes (to ``sigma_clamp``); the other singular values and
    all singular vectors stay.

    Parameters
    ----------
    model : torch.nn.Module
        Usually the generator.
    sigma_clamp : float
        The largest top singular value allowed, > 0.

    Returns
    -------
    dict[str, float]
        Each changed layer's name and its :math:`\sigma_0` before the clamp.

    References
    ----------
    Brock, Donahue, Simonyan, ICLR 2019 (arXiv:1809.11096), section 4.1.
    """
    _checks.module("model", model)
    sigma_clamp = _checks.positive_float("sigma_clamp", sigma_clamp)
    changed = {}
    with torch.no_grad():
        for name, layer in model.named_modules():
            if not isinstance(layer, _WEIGHT_LAYERS):
                continue
            weight, dim = _raw_weight(layer), _output_dim(layer)
            U, S, Vh = torch.linalg.svd(_matrix(weight, dim), full_matrices=False)
            if S[0] > sigma_clamp:
                step = (S[0] - sigma_clamp) * torch.outer(U[:, 0], Vh[0])
                shape = weight.movedim(dim, 0).shape
                weight -= step.view(shape).movedim(0, dim)
                changed[name] = S[0].item()
    return changed


def singular_values(model: nn.Module, k: int = 3) -> dict[str, torch.Tensor]:
    r"""Top-``k`` singular values of every Linear / Conv layer's raw weight matrix.

    For a spectrally normalised layer this is the weight *before* division by
    :math:`\sigma` -- what BigGAN monitors: its :math:`\sigma_0` grows, and in D spikes
    before collapse.

    Parameters
    ----------
    model : torch.nn.Module
    k : int
        How many values per layer.

    Returns
    -------
    dict[str, torch.Tensor]
        Module name (as in ``model.named_modules()``) -> its top-``k`` singular values,
        descending, on the CPU.

    Raises
    ------
    ValueError
        ``model`` has no Linear or Conv layer.

    References
    ----------
    Brock, Donahue, Simonyan, ICLR 2019 (arXiv:1809.11096), section 4.1.
    """
    _checks.module("model", model)
    positive_int("k", k)
    out = {}
    for name, module in model.named_modules():
        if isinstance(module, _WEIGHT_LAYERS):
            values = torch.linalg.svdvals(_matrix(_raw_weight(module).detach(),
                                                  _output_dim(module)))
            out[name] = values[:k].cpu()
    if not out:
        raise ValueError(f"{type(model).__name__} has no Linear or Conv layer")
    return out


_ONE_LIPSCHITZ = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.Flatten, nn.Identity,
                  nn.Dropout)


def _effective_weight(module: nn.Module) -> torch.Tensor:
    """The weight the layer uses (normalised under SN), without advancing its power iteration."""
    if not parametrize.is_parametrized(module, "weight"):
        return module.weight.detach()
    norm = module.parametrizations.weight[0]
    was_training = norm.training
    norm.eval()
    try:
        return module.weight.detach()
    finally:
        norm.train(was_training)


def _layer_norm(module: nn.Module) -> float:
    """Operator norm bound of one layer (exact for Linear, certified for Conv)."""
    weight = _effective_weight(module)
    if isinstance(module, nn.Linear):
        return torch.linalg.svdvals(weight)[0].item()
    if module.groups != 1 or any(d != 1 for d in module.dilation):
        raise ValueError(f"{module}: only groups=1, dilation=1 convolutions are supported")
    # y = W_mat @ unfold(x); each input pixel appears in at most prod(ceil(k / s)) columns
    # of unfold(x), so ||unfold(x)|| <= sqrt(that) ||x|| (zero padding only removes terms).
    overlap = math.prod(math.ceil(k / s) for k, s in zip(module.kernel_size, module.stride,
                                                         strict=True))
    return math.sqrt(overlap) * torch.linalg.svdvals(_matrix(weight, 0))[0].item()


def _layers(module: nn.Module):
    """Leaf layers in order, treating a (parametrized) Linear/Conv as one leaf."""
    if isinstance(module, _WEIGHT_LAYERS) or not any(True for _ in module.children()):
        yield module
        return
    for child in module.children():
        yield from _layers(child)


def lipschitz_upper_bound(model: nn.Module) -> float:
    r"""A certified bound on the Lipschitz constant: the product of the layers' norms.

    .. math:: \mathrm{Lip}(f) \le \prod_l \lVert W_l \rVert_2 \quad
              \text{(Euclidean norms, 1-Lipschitz activations)}

    Valid for a *sequential* composition of Linear and Conv layers (normalised weights are
    used where ``spectral_norm`` is registered) and 1-Lipschitz activations (ReLU,
    LeakyReLU with slope <= 1, tanh, sigmoid, ELU). Any other layer (batch norm, attention,
    a transposed convolution, an unknown module) raises ValueError.

    How loose it is: for Linear layers each factor is exact, but the product ignores how
    the layers' singular directions and the activations interact, so it usually exceeds
    the largest gradient norm by a large factor in deep nets. For a convolution the factor
    is sqrt(prod ceil(k/s)) * ||W reshaped to (out, in*k*k)||: certified, but up to that
    square-root factor above the convolution's true norm. (SN-GAN divides by the reshaped
    matrix's norm only, so an SN convolution is *not* guaranteed 1-Lipschitz.)

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    float

    Raises
    ------
    ValueError
        A layer that is not Linear, Conv or a 1-Lipschitz activation, or no weight layer.
    """
    _checks.module("model", model)
    bound, seen = 1.0, False
    for layer in _layers(model):
        if isinstance(layer, nn.modules.conv._ConvTransposeNd):
            raise ValueError(f"lipschitz_upper_bound does not support {type(layer).__name__}")
        if isinstance(layer, _WEIGHT_LAYERS):
            bound *= _layer_norm(layer)
            seen = True
        elif isinstance(layer, nn.LeakyReLU) and abs(layer.negative_slope) > 1:
            raise ValueError(f"{layer} is not 1-Lipschitz")
        elif not isinstance(layer, _ONE_LIPSCHITZ):
            raise ValueError(f"lipschitz_upper_bound cannot bound {type(layer).__name__} "
                             "(only Linear/Conv layers and 1-Lipschitz activations)")
    if not seen:
        raise ValueError(f"{type(model).__name__} has no Linear or Conv layer")
    return bound
