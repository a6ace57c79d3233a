"""Figures the notebooks share.

Every function draws on a matplotlib Axes (made when ``ax`` is None), gives it a title
and labelled axes, and returns it, so notebooks can compose panels. Tensors may live on
any device; they are moved to the CPU here.

* ``density_1d`` -- 1-D densities of data and generator with a discriminator's D(x).
* ``critic_field`` -- 2-D samples over a heat map of the critic's score, with arrows
  along its gradient (the view popularised by GAN Lab, Kahng et al. 2018).
* ``loss_curves`` -- a ``History``'s losses (and metrics) against the generator step.
* ``image_grid`` -- a batch of images via torchvision's ``make_grid``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision.utils import make_grid

from . import _checks
from ._checks import positive_int

__all__ = ["critic_field", "density_1d", "image_grid", "loss_curves"]


def _axes(ax, figsize=(5, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _np(t) -> np.ndarray:
    """Any tensor (any device) or array as a float NumPy array, for matplotlib."""
    return torch.as_tensor(t).detach().float().cpu().numpy()


def density_1d(x, p_data, p_g=None, d=None, *, ax=None, title="Densities and D(x)",
               d_label="D(x)"):
    r"""1-D densities of the data and of G, with a discriminator's output on a second axis.

    Draws :math:`p_{\rm data}(x)` and :math:`p_G(x)` on the grid ``x`` and, on a second
    y-axis in [0, 1], :math:`D(x)`.

    Parameters
    ----------
    x : torch.Tensor or array_like
        The grid, shape (n,).
    p_data : torch.Tensor or array_like
        The data density at each grid point, shape (n,).
    p_g : torch.Tensor or array_like, optional
        G's density, shape (n,).
    d : torch.Tensor or array_like, optional
        The discriminator's output in [0, 1], shape (n,).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    title : str
        The axes' title.
    d_label : str
        The label of the second axis and of its curve.

    Returns
    -------
    matplotlib.axes.Axes
        The (left) axes drawn on.

    Raises
    ------
    ValueError, TypeError
        An array that does not hold one finite value per grid point.
    """
    x = _checks.tensor("x", x, dims=1)
    for name, values in (("p_data", p_data), ("p_g", p_g), ("d", d)):
        required = name == "p_data"
        if (values is not None or required) and _checks.tensor(name, values).shape != x.shape:
            raise ValueError(f"{name} must have one value per grid point: shape "
                             f"{tuple(x.shape)}, got {tuple(torch.as_tensor(values).shape)}")
    ax = _axes(ax, (6, 3.5))
    x = _np(x)
    ax.fill_between(x, _np(p_data), alpha=0.3, color="C0", label="p_data")
    ax.plot(x, _np(p_data), color="C0")
    if p_g is not None:
        ax.fill_between(x, _np(p_g), alpha=0.3, color="C1", label="p_G")
        ax.plot(x, _np(p_g), color="C1")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if d is not None:
        right = ax.twinx()
        right.plot(x, _np(d), color="C2", lw=2, label=d_label)
        right.set_ylim(-0.02, 1.02)
        right.set_ylabel(d_label)
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="upper left", fontsize=8)
    return ax


def critic_field(critic, real, fake, *, lim=2.0, n=80, arrows=True, ax=None,
                 title="Critic score, real and generated samples"):
    r"""A 2-D critic's score as a heat map, with real and generated points and its gradient.

    The critic is evaluated on an n x n grid over :math:`[-\ell, \ell]^2`; arrows follow
    :math:`\nabla_x D(x)` (the view popularised by GAN Lab, Kahng et al. 2018).

    Parameters
    ----------
    critic : torch.nn.Module
        D, taking points (N, 2) to scores (N,).
    real, fake : torch.Tensor or array_like
        Real and generated points, shapes (N, 2) and (M, 2).
    lim : float
        :math:`\ell`, > 0.
    n : int
        Grid points per side.
    arrows : bool
        Draw the gradient arrows (on a 16 x 16 subgrid).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    title : str
        The axes' title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (with a colour bar beside them).

    Raises
    ------
    ValueError, TypeError
        ``critic`` is not a module, points not (N, 2) and finite, ``lim`` or ``n`` not
        positive.

    References
    ----------
    Kahng et al., "GAN Lab: Understanding Complex Deep Generative Models using Interactive
    Visual Experimentation", IEEE TVCG 2018 (arXiv:1809.01587).
    """
    _checks.module("critic", critic)
    real = _checks.tensor("real", real, dims=2, trailing=(2,))
    fake = _checks.tensor("fake", fake, dims=2, trailing=(2,))
    lim = _checks.positive_float("lim", lim)
    positive_int("n", n)
    ax = _axes(ax, (5, 5))
    device = next(critic.parameters()).device
    axis = torch.linspace(-lim, lim, n)
    gx, gy = torch.meshgrid(axis, axis, indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1).to(device).requires_grad_(True)
    scores = critic(grid)
    (grad,) = torch.autograd.grad(scores.sum(), grid)
    image = ax.imshow(_np(scores).reshape(n, n), origin="lower", extent=(-lim, lim, -lim, lim),
                      cmap="RdBu_r", alpha=0.8, aspect="equal")
    plt.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="critic score")
    if arrows:
        step = max(n // 16, 1)
        g = _np(grad).reshape(n, n, 2)[::step, ::step]
        ax.quiver(_np(gx)[::step, ::step], _np(gy)[::step, ::step], g[..., 0], g[..., 1],
                  color="k", alpha=0.5, width=0.004)
    real, fake = _np(real), _np(fake)
    ax.scatter(real[:, 0], real[:, 1], s=4, c="C2", label="real", alpha=0.6)
    ax.scatter(fake[:, 0], fake[:, 1], s=4, c="C1", label="generated", alpha=0.6)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8, markerscale=3)
    return ax


def loss_curves(history, *, ax=None, title="Losses during training"):
    """The critic's and the generator's losses (and extra metrics, dashed) against the step.

    The x-axis counts generator steps.

    Parameters
    ----------
    history : ganlab.train.History
        What ``fit`` returns.
    ax : matplotlib.axes.Axes, optional
        The axes for the curves (default: those of a new figure).
    title : str
        Shown above the curves.

    Returns
    -------
    matplotlib.axes.Axes
        The axes with the curves and their legend.

    Raises
    ------
    TypeError
        ``history`` lacks ``steps``, ``d_loss``, ``g_loss`` or ``extra``.
    """
    if not all(hasattr(history, a) for a in ("steps", "d_loss", "g_loss", "extra")):
        raise TypeError(f"history must be the History that fit returns, got "
                        f"{type(history).__name__}")
    ax = _axes(ax, (6, 3.5))
    ax.plot(history.steps, history.d_loss, label="critic / D loss")
    ax.plot(history.steps, history.g_loss, label="generator loss")
    for name, values in history.extra.items():
        ax.plot(history.steps, values, "--", label=name)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def image_grid(images: torch.Tensor, *, nrow: int = 10, title: str = "", ax=None):
    """Show a batch of images as one grid (torchvision's ``make_grid``).

    Parameters
    ----------
    images : torch.Tensor
        Shape (N, C, H, W), values in [-1, 1].
    nrow : int
        Images per row.
    title : str
        The axes' title; default ``"<N> images"``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, without ticks.

    Raises
    ------
    ValueError, TypeError
        ``images`` is not a finite 4-D tensor, or ``nrow`` not a positive int.
    """
    images = _checks.tensor("images", images, dims=4)
    positive_int("nrow", nrow)
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=2, normalize=True,
                     value_range=(-1, 1), pad_value=1.0)
    ax = _axes(ax, (5, 5))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")  # (C,H,W) -> (H,W,C)
    ax.set_title(title or f"{len(images)} images")
    ax.set_xlabel(f"{nrow} per row")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
