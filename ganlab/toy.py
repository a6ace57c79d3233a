"""Toy distributions with known answers: 1-D Gaussian mixtures and 2-D benchmark sets.

Used by notebooks 01-07. 1-D mixtures have exact densities, so optimal discriminators and
divergences can be computed on a grid; the 2-D sets are the ones GAN papers use to
count modes.

2-D sets (``sample(name, n)``; ``modes(name)`` gives the centres and std of the
Gaussian ones):

* ``8gaussians`` -- 8 centres on a circle of radius 2, std 0.02, the whole set scaled by
  1/1.414 (Gulrajani et al. 2017, ``gan_toy.py``).
* ``25gaussians`` -- centres (2i, 2j) for i, j in {-2..2}, std 0.05, scaled by 1/2.828
  (same source).
* ``swissroll`` -- a 2-D swiss roll (t cos t, t sin t) for t in [1.5 pi, 4.5 pi], noise
  std 0.25, scaled by 1/7.5 (same source, after scikit-learn's ``make_swiss_roll``).
* ``ring`` -- 8 centres on a circle of radius 2, std 0.02, unscaled: the "2D ring" of
  Metz et al. 2017 (Unrolled GAN), used by VEEGAN (Srivastava et al. 2017) and PacGAN
  (Lin et al. 2018) for mode counting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._checks import finite_float, one_of, positive_float, positive_int
from ._checks import generator as check_generator

__all__ = ["NAMES", "Mixture1D", "modes", "sample"]

NAMES = ("8gaussians", "25gaussians", "swissroll", "ring")


@dataclass(frozen=True)
class Mixture1D:
    r"""A 1-D Gaussian mixture with an exact density.

    .. math:: p(x) = \sum_k w_k\, \mathcal{N}(x;\, \mu_k, \sigma_k^2)

    Parameters
    ----------
    means : tuple of float
        :math:`\mu_k`, finite.
    stds : tuple of float
        :math:`\sigma_k`, > 0, one per mean.
    weights : tuple of float, optional
        :math:`w_k`, non-negative, summing to 1; default equal.

    Raises
    ------
    TypeError
        ``means``, ``stds`` or ``weights`` is not a tuple (or list).
    ValueError
        Empty or unequal lengths, a non-finite mean, a standard deviation that is not
        positive, or weights that do not sum to 1.
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self):
        for field_name in ("means", "stds", "weights"):
            value = getattr(self, field_name)
            optional = field_name == "weights" and value is None
            if not isinstance(value, (tuple, list)) and not optional:
                raise TypeError(f"{field_name} must be a tuple of numbers, got "
                                f"{type(value).__name__}")
        k = len(self.means)
        if k == 0 or len(self.stds) != k:
            raise ValueError(f"means and stds must be non-empty and of equal length, got "
                             f"{len(self.means)} means and {len(self.stds)} stds")
        means = tuple(finite_float("means", m) for m in self.means)
        stds = tuple(positive_float("stds", s) for s in self.stds)
        weights = self.weights if self.weights is not None else (1.0 / k,) * k
        weights = tuple(positive_float("weights", w, zero_ok=True) for w in weights)
        if len(weights) != k or abs(sum(weights) - 1) > 1e-9:
            raise ValueError(
                f"weights must be {k} non-negative numbers summing to 1, got {weights}")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "stds", stds)
        object.__setattr__(self, "weights", weights)

    def _params(self, like: torch.Tensor):
        as_tensor = lambda v: torch.tensor(v, dtype=like.dtype, device=like.device)  # noqa: E731
        return as_tensor(self.means), as_tensor(self.stds), as_tensor(self.weights)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        r"""The log-density, elementwise, computed with logsumexp so far tails do not underflow.

        Parameters
        ----------
        x : torch.Tensor or array_like
            Points of any shape.

        Returns
        -------
        torch.Tensor
            :math:`\log p(x)`, the shape of ``x``.
        """
        x = torch.as_tensor(x, dtype=torch.get_default_dtype()) if not torch.is_tensor(x) else x
        mu, sigma, w = self._params(x)
        z = (x.unsqueeze(-1) - mu) / sigma
        log_comp = -0.5 * z**2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(log_comp + torch.log(w), dim=-1)

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        r"""The density :math:`p(x)`, elementwise: ``log_prob(x).exp()``, with ``x`` as there.

        Returns
        -------
        torch.Tensor
            :math:`p(x) \ge 0`, the shape of ``x``.
        """
        return self.log_prob(x).exp()

    def cdf(self, x: torch.Tensor) -> torch.Tensor:
        r"""The cumulative distribution function, elementwise.

        .. math:: F(x) = \sum_k w_k\, \Phi\bigl((x - \mu_k) / \sigma_k\bigr)

        Parameters
        ----------
        x : torch.Tensor or array_like
            Where to evaluate :math:`F`; anything ``torch.as_tensor`` takes, any shape.

        Returns
        -------
        torch.Tensor
            :math:`F(x)` in [0, 1], one value per entry of ``x``.
        """
        x = torch.as_tensor(x, dtype=torch.get_default_dtype()) if not torch.is_tensor(x) else x
        mu, sigma, w = self._params(x)
        return (w * torch.special.ndtr((x.unsqueeze(-1) - mu) / sigma)).sum(-1)

    def mean(self) -> float:
        r"""The mixture's mean.

        Returns
        -------
        float
            :math:`\sum_k w_k \mu_k`.
        """
        return sum(w * m for w, m in zip(self.weights, self.means, strict=True))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw n samples: pick a component by weight, then draw from it.

        Parameters
        ----------
        n : int
            The number of samples, positive.
        generator : torch.Generator, optional
            The random number generator (torch.Generator) to draw from; default: torch's
            global one.

        Returns
        -------
        torch.Tensor
            Shape (n, 1), float32.

        Raises
        ------
        ValueError
            ``n`` is not a positive int.
        """
        positive_int("n", n)
        w = torch.tensor(self.weights)
        k = torch.multinomial(w, n, replacement=True, generator=generator)
        mu, sigma = torch.tensor(self.means)[k], torch.tensor(self.stds)[k]
        return (mu + sigma * torch.randn(n, generator=generator)).unsqueeze(1)


def _circle(k: int, radius: float) -> torch.Tensor:
    angle = torch.arange(k, dtype=torch.float64) * (2 * math.pi / k)
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)


# name -> (unscaled centres, unscaled std, scale divisor)
def _gaussian_sets() -> dict[str, tuple[torch.Tensor, float, float]]:
    grid = torch.arange(-2, 3, dtype=torch.float64) * 2
    xs, ys = torch.meshgrid(grid, grid, indexing="ij")
    return {
        "8gaussians": (_circle(8, 2.0), 0.02, 1.414),
        "25gaussians": (torch.stack([xs.flatten(), ys.flatten()], dim=1), 0.05, 2.828),
        "ring": (_circle(8, 2.0), 0.02, 1.0),
    }


def _check_name(name: str) -> None:
    one_of("name", name, NAMES, "the toy data sets")


def modes(name: str) -> tuple[torch.Tensor, float]:
    """The mode centres and the per-coordinate standard deviation of a Gaussian toy set.

    What ``ganlab.metrics.mode_coverage`` takes.

    Parameters
    ----------
    name : str
        ``"8gaussians"``, ``"25gaussians"`` or ``"ring"``.

    Returns
    -------
    centres : torch.Tensor
        Shape (k, 2), float32, scaled as ``sample`` scales the set.
    std : float
        The standard deviation of each mode in each coordinate, scaled likewise.

    Raises
    ------
    ValueError
        Unknown ``name``, or ``"swissroll"`` (a continuous manifold with no discrete modes).
    """
    _check_name(name)
    if name == "swissroll":
        raise ValueError("'swissroll' is a continuous manifold with no discrete modes; "
                         f"mode sets: {', '.join(_gaussian_sets())}")
    centres, std, scale = _gaussian_sets()[name]
    return (centres / scale).float(), std / scale


def sample(name: str, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw n points of a 2-D toy set (uniformly over its modes).

    The sets are described in the module docstring (after Gulrajani et al. 2017's
    ``gan_toy.py`` and Metz et al. 2017's ring).

    Parameters
    ----------
    name : str
        One of ``NAMES``: ``"8gaussians"``, ``"25gaussians"``, ``"swissroll"``, ``"ring"``.
    n : int
        The number of points, positive.
    generator : torch.Generator, optional
        The random number generator (torch.Generator) to draw from; default: torch's global
        one.

    Returns
    -------
    torch.Tensor
        Shape (n, 2), float32.

    Raises
    ------
    ValueError
        Unknown ``name`` or ``n`` not a positive int.
    TypeError
        ``generator`` is not a ``torch.Generator``.
    """
    _check_name(name)
    positive_int("n", n)
    check_generator("generator", generator)
    if name == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator, dtype=torch.float64))
        roll = torch.stack([t * t.cos(), t * t.sin()], dim=1)
        noisy = roll + 0.25 * torch.randn(n, 2, generator=generator, dtype=torch.float64)
        return (noisy / 7.5).float()
    centres, std, scale = _gaussian_sets()[name]
    k = torch.randint(len(centres), (n,), generator=generator)
    points = centres[k] + std * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return (points / scale).float()
