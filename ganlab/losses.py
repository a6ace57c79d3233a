"""GAN objectives on raw critic scores, both players' losses written as things to minimise.

Used by notebooks 01-07. A discriminator returns a raw score s(x) (a logit); for the
classifier losses D(x) = sigmoid(s(x)). ``get(name)`` returns a ``GANLoss`` with

* ``discriminator(real_scores, fake_scores)`` -- the critic's loss (scalar), and
* ``generator(fake_scores)`` -- the generator's loss (scalar).

Argument order is always real before fake. All logs of sigmoids are written with
softplus, which is exact and never takes log(0):
log D = log sigmoid(s) = -softplus(-s) and log(1 - D) = log sigmoid(-s) = -softplus(s).

Names:

* ``minimax`` (MMGAN) -- D: -E[log D(x)] - E[log(1 - D(G(z)))]; G: E[log(1 - D(G(z)))].
  The value function of Goodfellow et al. 2014, eq. 1 (G minimises V, D maximises it).
* ``nonsaturating`` (NSGAN) -- D as above; G: -E[log D(G(z))] (Goodfellow et al. 2014,
  section 3: "rather than training G to minimize log(1 - D(G(z))) ...").
* ``wasserstein`` -- D: E[s(G(z))] - E[s(x)]; G: -E[s(G(z))] (Arjovsky et al. 2017, section 3,
  Algorithm 1).
* ``hinge`` -- D: E[max(0, 1 - s(x))] + E[max(0, 1 + s(G(z)))]; G: -E[s(G(z))]
  (Lim & Ye 2017; Miyato et al. 2018, eq. 16-17).
* ``fgan-<divergence>`` for every row of ``ganlab.divergences`` -- with T = g_f(s):
  critic: -(E_P[T(x)] - E_Q[f*(T(G(z)))]); G: -E_Q[f*(T(G(z)))], the saddle objective
  F of Nowozin et al. 2016, section 2.4.
* ``fgan-<divergence>-alt`` -- same critic; G maximises E_Q[T(G(z))] instead, i.e. minimises
  -E_Q[g_f(s(G(z)))]: the paper's practical choice (section 3.2, after Goodfellow's
  non-saturating trick; for the ``gan`` row it *is* the non-saturating loss).
  f*(g_f(s)) is evaluated in the stable forms of ``FDivergence.conjugate_of_activation``.

References: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, arXiv:1406.2661.
Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017, arXiv:1701.07875.
Nowozin, Cseke, Tomioka, "f-GAN", NeurIPS 2016, arXiv:1606.00709.
Lim & Ye, "Geometric GAN", arXiv:1705.02894. Miyato et al., "Spectral Normalization for
Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .registry import Registry

__all__ = ["GANLoss", "LOSSES", "NAMES", "get", "register", "registered"]

Tensor = torch.Tensor


@dataclass(frozen=True)
class GANLoss:
    r"""A GAN objective: the critic's loss and the generator's loss, both to minimise.

    Both act on raw critic scores :math:`s` (logits; for the classifier losses
    :math:`D = \sigma(s)`), real before fake. For example ``nonsaturating``:

    .. math::

        L_D = -\mathbb{E}[\log \sigma(s(x))] - \mathbb{E}[\log(1 - \sigma(s(G(z))))],
        \qquad L_G = -\mathbb{E}[\log \sigma(s(G(z)))]

    Parameters
    ----------
    name : str
        The name ``get`` finds it by (``register`` files it under this name).
    d_loss : callable
        ``d_loss(real_scores, fake_scores) -> Tensor``, the critic's loss, a scalar.
    g_loss : callable
        ``g_loss(fake_scores) -> Tensor``, the generator's loss, a scalar.
    description : str, optional
        One line: where the objective comes from and what to watch for.

    See Also
    --------
    get : the registered losses by name.
    """

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    description: str = ""

    def discriminator(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """The critic's loss on the scores of a real and a generated batch.

        Parameters
        ----------
        real_scores, fake_scores : torch.Tensor
            Raw critic scores, shape (N,) (or any non-empty shape; the loss averages over
            all entries). The two batches may differ in size.

        Returns
        -------
        torch.Tensor
            A scalar with its graph (for a stacked ensemble critic, what ``d_loss`` returns).

        Raises
        ------
        TypeError
            A score batch is not a tensor.
        ValueError
            A score batch is empty.
        """
        _check_scores("real_scores", real_scores)
        _check_scores("fake_scores", fake_scores)
        return self.d_loss(real_scores, fake_scores)

    def generator(self, fake_scores: Tensor) -> Tensor:
        """The generator's loss on the critic's scores of a generated batch.

        Parameters
        ----------
        fake_scores : torch.Tensor
            Raw critic scores of G's samples, shape (N,), not empty.

        Returns
        -------
        torch.Tensor
            A scalar with its graph.

        Raises
        ------
        TypeError
            ``fake_scores`` is not a tensor.
        ValueError
            ``fake_scores`` is empty.
        """
        _check_scores("fake_scores", fake_scores)
        return self.g_loss(fake_scores)


def _check_scores(name: str, scores: Tensor) -> None:
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of raw scores, got {type(scores).__name__}")
    if scores.numel() == 0:
        raise ValueError(f"{name} is empty")


def _bce_discriminator(real: Tensor, fake: Tensor) -> Tensor:
    # -log D(x) - log(1 - D(G(z))) = softplus(-s_real) + softplus(s_fake)
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def _check_loss(name: str, loss) -> None:
    if not isinstance(loss, GANLoss):
        raise TypeError(f"loss must be a GANLoss, got {type(loss).__name__}")
    if loss.name != name:
        raise ValueError(f"a loss is filed under its own name: {loss.name!r}, not {name!r}")


LOSSES: Registry[GANLoss] = Registry("loss", check=_check_loss)


def register(loss: GANLoss) -> GANLoss:
    """Add a loss to the registry under ``loss.name`` (replacing one of that name).

    The built-in losses and the f-GAN family (one pair per row of ``ganlab.divergences``) are
    registered this way when the module is imported.

    Parameters
    ----------
    loss : GANLoss
        The loss to file.

    Returns
    -------
    GANLoss
        ``loss`` itself, so that ``register`` can wrap a constructor call.

    Raises
    ------
    TypeError
        ``loss`` is not a ``GANLoss``.
    """
    if not isinstance(loss, GANLoss):
        raise TypeError(f"loss must be a GANLoss, got {type(loss).__name__}")
    return LOSSES.register(loss.name, loss)


register(GANLoss(
    "minimax", _bce_discriminator, lambda fake: -F.softplus(fake).mean(),  # log(1 - D)
    "Goodfellow et al. 2014, eq. 1: G minimises E[log(1 - D(G(z)))]; saturates when D(G(z)) -> 0",
))
register(GANLoss(
    "nonsaturating", _bce_discriminator, lambda fake: F.softplus(-fake).mean(),  # -log D
    "Goodfellow et al. 2014, sec. 3: G minimises -E[log D(G(z))]",
))
register(GANLoss(
    "wasserstein", lambda real, fake: fake.mean() - real.mean(), lambda fake: -fake.mean(),
    "Arjovsky et al. 2017: critic maximises E[s(x)] - E[s(G(z))]; needs a Lipschitz constraint",
))
register(GANLoss(
    "hinge", lambda real, fake: F.relu(1 - real).mean() + F.relu(1 + fake).mean(),
    lambda fake: -fake.mean(),
    "Lim & Ye 2017; Miyato et al. 2018: hinge critic, generator maximises the critic's score",
))


def _register_fgan() -> None:
    from . import divergences

    for name in divergences.NAMES:
        div = divergences.get(name)

        def d_loss(real, fake, div=div):
            return -div.activation(real).mean() + div.conjugate_of_activation(fake).mean()

        def saddle(fake, div=div):
            return -div.conjugate_of_activation(fake).mean()

        def alternative(fake, div=div):
            return -div.activation(fake).mean()

        register(GANLoss(f"fgan-{name}", d_loss, saddle,
                         f"f-GAN ({name}): G minimises -E_Q[f*(g_f(V))] (saddle objective)"))
        register(GANLoss(f"fgan-{name}-alt", d_loss, alternative,
                         f"f-GAN ({name}): G maximises E_Q[g_f(V)] (paper's practical choice)"))


_register_fgan()
NAMES = LOSSES.names()   # the built-in losses; registered() adds those filed since import


def registered() -> tuple[str, ...]:
    """Every name ``get`` knows now: ``NAMES`` plus the losses registered since import.

    Returns
    -------
    tuple of str
        The names, in registration order.
    """
    return LOSSES.names()


def get(name: str | GANLoss) -> GANLoss:
    """The registered loss called ``name``.

    Parameters
    ----------
    name : str or GANLoss
        A registered name (``registered()``), e.g. ``"nonsaturating"``, ``"wasserstein"``,
        ``"hinge"``, ``"fgan-kl"``; a ``GANLoss`` passes through unchanged.

    Returns
    -------
    GANLoss
        Its ``discriminator`` and ``generator`` methods give the two losses.

    Raises
    ------
    ValueError
        ``name`` is not registered; the message lists the registered names.
    """
    if isinstance(name, GANLoss):
        return name
    return LOSSES.lookup(name)
