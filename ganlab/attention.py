r"""Self-attention for convolutional GANs (SAGAN: Zhang, Goodfellow, Metaxas, Odena 2019).

The block as the released code builds it (BigGAN-PyTorch ``layers.Attention``), which
differs from the paper's text in the channel counts and the pooling:

.. math::

    \begin{aligned}
    \theta &= W_\theta x && \text{(C/8 channels, every position: the queries)} \\
    \phi &= \mathrm{maxpool}_2(W_\phi x) && \text{(C/8 channels, a quarter of the positions:
    the keys)} \\
    g &= \mathrm{maxpool}_2(W_g x) && \text{(C/2 channels: the values)} \\
    \beta &= \mathrm{softmax}_{\text{keys}}(\theta^\top \phi) && \text{(N, HW, HW/4)} \\
    o &= W_o (g \beta^\top) && \text{(back to C channels)} \\
    \text{out} &= x + \gamma\, o && \text{($\gamma$ initialised to 0: the block starts as the
    identity)}
    \end{aligned}

All four maps are 1x1 convolutions with spectral norm. ``forward(x, return_attention=True)``
also returns beta, one row of attention weights over the key positions per query pixel.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from . import _checks
from ._checks import positive_int
from .spectral import spectral_norm

__all__ = ["SelfAttention"]

Tensor = torch.Tensor


class SelfAttention(nn.Module):
    r"""SAGAN's self-attention block over a (N, C, H, W) feature map.

    As the released code builds it (BigGAN-PyTorch ``layers.Attention``), which differs from
    the paper's text in the channel counts and the pooling:

    .. math::

        \theta = W_\theta x, \quad \phi = \mathrm{maxpool}_2(W_\phi x), \quad
        g = \mathrm{maxpool}_2(W_g x), \quad
        \beta = \mathrm{softmax}(\theta^\top \phi), \quad
        y = x + \gamma\, W_o (g \beta^\top)

    :math:`\theta, \phi` have C/8 channels (queries at every position, keys at a quarter of
    them), :math:`g` has C/2 (the values), :math:`\beta` is (N, HW, HW/4) with the softmax
    over the keys, and :math:`\gamma` starts at 0, so the block starts as the identity. All
    four maps are 1x1 convolutions without bias.

    Parameters
    ----------
    channels : int
        C, a positive multiple of 8.
    pool : bool
        Max-pool keys and values 2x2 (the feature map's height and width must then be even);
        without it, keys at every position.
    sn : bool
        Spectral norm (``ganlab.spectral.spectral_norm``) on the four convolutions.

    Raises
    ------
    ValueError
        ``channels`` is not a positive multiple of 8.

    References
    ----------
    Zhang, Goodfellow, Metaxas, Odena, "Self-Attention Generative Adversarial Networks",
    ICML 2019 (arXiv:1805.08318).
    """

    def __init__(self, channels: int, *, pool: bool = True, sn: bool = True):
        super().__init__()
        positive_int("channels", channels)
        if channels % 8:
            raise ValueError(f"channels must be a multiple of 8 (queries and keys have C/8), "
                             f"got {channels}")
        wrap = spectral_norm if sn else (lambda layer: layer)

        def conv(c_in, c_out):
            return wrap(nn.Conv2d(c_in, c_out, 1, bias=False))

        self.channels, self.pool = channels, pool
        self.theta, self.phi = conv(channels, channels // 8), conv(channels, channels // 8)
        self.g, self.o = conv(channels, channels // 2), conv(channels // 2, channels)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor, return_attention: bool = False):
        r"""Apply the block.

        Parameters
        ----------
        x : torch.Tensor
            A feature map, shape (N, C, H, W).
        return_attention : bool
            Also return :math:`\beta`.

        Returns
        -------
        out : torch.Tensor
            :math:`x + \gamma\, o`, shape (N, C, H, W).
        beta : torch.Tensor
            Only with ``return_attention``: one row of attention weights over the key
            positions per query pixel, shape (N, HW, HW/4) (HW keys without ``pool``).

        Raises
        ------
        ValueError, TypeError
            ``x`` is not a (N, C, H, W) map on the block's device and of its dtype, or H or
            W is odd with ``pool``.
        """
        if not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != self.channels:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"SelfAttention expects a feature map (N, {self.channels}, H, W), "
                             f"got {got}")
        _checks.forward_input("SelfAttention", x, tuple(x.shape[1:]), self.gamma)  # dtype, device
        n, c, h, w = x.shape
        if self.pool and (h % 2 or w % 2):
            raise ValueError(f"SelfAttention pools keys and values 2x2: the feature map's "
                             f"height and width must be even, got {h}x{w} (use pool=False)")
        theta = self.theta(x).flatten(2)                        # (N, C/8, HW)
        phi, g = self.phi(x), self.g(x)
        if self.pool:
            phi, g = F.max_pool2d(phi, 2), F.max_pool2d(g, 2)
        beta = torch.softmax(theta.transpose(1, 2) @ phi.flatten(2), dim=-1)   # (N, HW, keys)
        o = (g.flatten(2) @ beta.transpose(1, 2)).view(n, c // 2, h, w)
        out = x + self.gamma * self.o(o)
        return (out, beta) if return_attention else out
