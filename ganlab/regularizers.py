"""Ways to keep a critic Lipschitz (or smooth): weight clipping, gradient penalties.

Used by notebooks 04-06 and by ``ganlab.train.fit`` (``clip=``, ``penalty=``).

* ``clip_weights_(module, c)`` -- clamp every parameter to [-c, c] (Arjovsky et al. 2017,
  Algorithm 1, line 7). Makes the critic K-Lipschitz for some K that depends on c and
  the architecture.
* ``gradient_penalty(critic, real, fake)`` -- E[(||grad D(x_hat)||_2 - 1)^2] on
  x_hat = eps * real + (1 - eps) * fake, eps ~ U[0, 1] drawn once per sample
  (Gulrajani et al. 2017, Algorithm 1 and eq. 3; the weight lambda = 10 is applied by the
  caller). One-sided variant: E[max(0, ||grad D(x_hat)|| - 1)^2] (same paper, appendix).
* ``r1_penalty(critic, real)`` -- E[||grad D(x)||^2] on real data (Mescheder et al. 2018,
  eq. 9; BigGAN uses (gamma/2) times it).
* ``orthogonal_penalty(module)`` -- BigGAN's ||W W^T * (1 - I)||_F^2 summed over layers
  (Brock et al. 2019, sec. 3.1): decorrelates filters without fixing their norms.

References: Arjovsky, Chintala, Bottou, arXiv:1701.07875. Gulrajani et al., "Improved
Training of Wasserstein GANs", NeurIPS 2017, arXiv:1704.00028. Mescheder, Geiger,
Nowozin, "Which Training Methods for GANs do actually Converge?", ICML 2018,
arXiv:1801.04406. Brock, Donahue, Simonyan, "Large Scale GAN Training for High Fidelity
Natural Image Synthesis", ICLR 2019, arXiv:1809.11096.
"""

from __future__ import annotations

import torch
from torch import nn

from . import _checks

__all__ = ["clip_weights_", "gradient_penalty", "orthogonal_penalty", "r1_penalty"]


def clip_weights_(module: nn.Module, c: float) -> nn.Module:
    r"""Clamp every parameter of ``module`` to :math:`[-c, c]` in place (WGAN's constraint).

    .. math:: w \leftarrow \min(\max(w, -c), c) \quad \text{for every parameter } w

    The clipped critic is K-Lipschitz for some K that depends on c and the architecture
    (Arjovsky et al. 2017, Algorithm 1, line 7; notebook 04 measures how small K gets).

    Parameters
    ----------
    module : torch.nn.Module
        The critic; all its parameters are clamped, biases included.
    c : float
        The clipping bound, > 0 (the paper's c = 0.01).

    Returns
    -------
    torch.nn.Module
        ``module`` itself, clamped.

    Raises
    ------
    TypeError, ValueError
        ``module`` is not a module, or ``c`` is not a positive number.
    """
    _checks.module("module", module)
    _checks.positive_float("c", c)
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-c, c)
    return module


def _members(critic: nn.Module) -> int | None:
    """S for a stacked ensemble critic (``ganlab.ensemble``): inputs (S, N, ...)."""
    return getattr(critic, "members", None)


def _input_gradient_norms(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """||grad_x D(x)||_2 per sample, keeping the graph so the norm can be backpropagated.

    x (N, ...) -> (N,); for a stacked ensemble critic x (S, N, ...) -> (S, N)."""
    batch_dims = 2 if _members(critic) else 1
    if x.dim() < batch_dims + 1:
        raise ValueError(f"real/fake must be batches (N, ...) of samples, got shape "
                         f"{tuple(x.shape)}")
    x = x.detach().requires_grad_(True)
    try:
        scores = critic(x)
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"critic cannot score real/fake batches of shape {tuple(x.shape)} "
                         f"({str(err).splitlines()[0]})") from err
    if scores.numel() != x.shape[:batch_dims].numel():
        raise ValueError(f"critic must return one score per sample: for real/fake batches of "
                         f"shape {tuple(x.shape)} it returned shape {tuple(scores.shape)}")
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    # sum over the batch is fine: sample i's score depends on x_i only (no batch norm!)
    return grad.flatten(batch_dims).norm(2, dim=batch_dims)  # (..., N, features) -> (..., N)


def _mean(values: torch.Tensor, critic: nn.Module) -> torch.Tensor:
    """The mean over samples: a scalar, or one mean per member (S,) for an ensemble."""
    return values.mean(1) if _members(critic) else values.mean()


def _uniform_per_sample(real: torch.Tensor, generator, critic: nn.Module) -> torch.Tensor:
    """eps ~ U[0, 1], one per sample, shaped to broadcast over the sample's axes; for an
    ensemble, member k's from ``generator[k]`` (what a run with that seed alone draws)."""
    if _members(critic):
        if not isinstance(generator, (list, tuple)) or len(generator) != len(real):
            raise ValueError(f"an ensemble critic of {_members(critic)} members needs one "
                             f"torch.Generator per member as generator, got {generator!r}")
        return torch.stack([_uniform_per_sample(r, g, nn.Identity())
                            for r, g in zip(real, generator, strict=True)])
    _checks.generator("generator", generator)
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)  # (N, 1, ..., 1)
    return torch.rand(shape, generator=generator, dtype=torch.float32).to(real.device, real.dtype)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, *,
                     one_sided: bool = False,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    r"""WGAN-GP's gradient penalty on interpolates of real and generated samples.

    .. math::

        \hat x = \epsilon x_{\rm real} + (1 - \epsilon) x_{\rm fake},\quad
        \epsilon \sim U[0, 1],\qquad
        \mathrm{GP} = \mathbb{E}\big[(\lVert \nabla_x D(\hat x) \rVert_2 - 1)^2\big]

    or :math:`\mathbb{E}[\max(0, \lVert \nabla_x D(\hat x) \rVert_2 - 1)^2]` when
    ``one_sided``. The caller multiplies by :math:`\lambda` (the paper's 10).

    Parameters
    ----------
    critic : torch.nn.Module
        D, a function of x alone (a conditional critic with its labels held fixed).
    real, fake : torch.Tensor
        Batches of the same shape (N, ...); one :math:`\epsilon` per sample, broadcast over
        the other axes. For a stacked ensemble critic (``ganlab.ensemble``): (S, N, ...).
    one_sided : bool
        Penalise only norms above 1 (the paper's appendix variant).
    generator : torch.Generator or list of torch.Generator, optional
        Where :math:`\epsilon` is drawn from (``fit`` passes its step's random generator, so
        a seed fixes the whole run); for an ensemble, one random generator per member.

    Returns
    -------
    torch.Tensor
        A scalar that keeps its graph (backpropagate it into the critic's parameters); for an
        ensemble, one penalty per member, shape (S,).

    Raises
    ------
    TypeError, ValueError
        ``critic`` is not a module, or ``real`` and ``fake`` are not tensors of one shape.

    References
    ----------
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017
    (arXiv:1704.00028), eq. 3 and Algorithm 1.
    """
    _checks.module("critic", critic)
    # no finite check: this runs every critic step, and reading the values would stall a
    # GPU; a NaN batch gives a NaN penalty, which fit reports as a non-finite d_loss
    real = _checks.tensor("real", real, finite=False)
    fake = _checks.tensor("fake", fake, finite=False)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    eps = _uniform_per_sample(real, generator, critic)
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    excess = _input_gradient_norms(critic, x_hat) - 1
    if one_sided:
        excess = excess.clamp(min=0)
    return _mean(excess.pow(2), critic)


def r1_penalty(critic: nn.Module, real: torch.Tensor) -> torch.Tensor:
    r"""The zero-centred gradient penalty on real data (R1).

    .. math:: R_1 = \mathbb{E}_{x \sim p_{\rm data}} \lVert \nabla_x D(x) \rVert_2^2

    Mescheder et al. add :math:`(\gamma / 2) R_1` to D's loss, so ``fit``'s
    ``penalty_weight`` is :math:`\gamma / 2`. Notebook 10 shows why it makes the Dirac-GAN
    converge and the unpenalised game not.

    Parameters
    ----------
    critic : torch.nn.Module
        D, a function of x alone.
    real : torch.Tensor
        A real batch (N, ...); for a stacked ensemble critic (S, N, ...).

    Returns
    -------
    torch.Tensor
        A scalar with its graph; for an ensemble, one value per member, shape (S,).

    Raises
    ------
    TypeError
        ``critic`` is not a module or ``real`` not a tensor.

    References
    ----------
    Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
    ICML 2018 (arXiv:1801.04406), eq. 9.
    """
    _checks.module("critic", critic)
    real = _checks.tensor("real", real, finite=False)  # hot path: see gradient_penalty
    return _mean(_input_gradient_norms(critic, real).pow(2), critic)


def _off_diagonal_gram_sq(W: torch.Tensor) -> torch.Tensor:
    """||W W^T * (1 - I)||_F^2 for W (out, in).

    With more filters than inputs (out > in) the filters cannot all be orthogonal and the
    (out, out) Gram matrix is large (6272 x 6272 for a projection of 20 inputs to a 7x7x128
    map), so the same value is computed as ||W^T W||_F^2 - sum_i ||w_i||^4 (the two Gram
    matrices have the same Frobenius norm) from an (in, in) matrix. Otherwise directly: no
    cancellation when the filters are nearly orthogonal."""
    if W.shape[0] <= W.shape[1]:
        gram = W @ W.T
        return (gram - torch.diag_embed(torch.diagonal(gram))).pow(2).sum()
    return (W.T @ W).pow(2).sum() - W.pow(2).sum(1).pow(2).sum()


def orthogonal_penalty(module: nn.Module) -> torch.Tensor:
    r"""BigGAN's relaxed orthogonal regularisation, summed over the weight layers.

    .. math:: R = \sum_{\text{layers}} \lVert W W^\top \odot (\mathbf{1} - I) \rVert_F^2

    with each weight reshaped to (out, -1), so that :math:`W W^\top` is the Gram matrix of
    the filters (the paper writes :math:`W^\top W`, with filters as columns). Only the
    correlations between different filters are penalised; their norms are left free. The
    caller multiplies by :math:`\beta` (the paper's 1e-4). Embedding tables (class
    embeddings) are skipped, as in BigGAN.

    Parameters
    ----------
    module : torch.nn.Module
        Usually the generator.

    Returns
    -------
    torch.Tensor
        The penalty: a differentiable scalar, >= 0.

    Raises
    ------
    ValueError
        ``module`` has no weight with two or more dimensions.

    References
    ----------
    Brock, Donahue, Simonyan, "Large Scale GAN Training for High Fidelity Natural Image
    Synthesis", ICLR 2019 (arXiv:1809.11096), section 3.1.
    """
    _checks.module("module", module)
    total = None
    for layer in module.modules():
        if isinstance(layer, nn.Embedding):  # class embeddings are left free (BigGAN)
            continue
        weight = getattr(layer, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() >= 2:
            term = _off_diagonal_gram_sq(weight.flatten(1))   # W: (out, in * k * k)
            total = term if total is None else total + term
    if total is None:
        raise ValueError(f"{type(module).__name__} has no weight matrix to regularise")
    return total
