"""Figures the notebooks share. Every function draws on a matplotlib Axes (made if not
given), titles it, labels its axes, and returns the Axes, so notebooks compose them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid

__all__ = ["image_grid"]


def _axes(ax, figsize=(5, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def image_grid(images: torch.Tensor, *, nrow: int = 10, title: str = "", ax=None):
    """Show a batch of images (N, C, H, W) in [-1, 1] as one grid (torchvision's make_grid)."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor of shape (N, C, H, W), got {shape}")
    if nrow <= 0:
        raise ValueError(f"nrow must be positive, got {nrow}")
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=2,
                     normalize=True, value_range=(-1, 1), pad_value=1.0)
    ax = _axes(ax)
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")  # (C,H,W) -> (H,W,C)
    ax.set_title(title or f"{len(images)} images")
    ax.set_xlabel(f"{nrow} per row")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
