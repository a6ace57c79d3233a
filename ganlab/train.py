"""One training loop for every GAN in the course: ``fit(G, D, data, ...)`` -> ``History``.

Used by notebooks 01-07 and ``ganlab train``. One *step* is one generator update preceded
by ``n_critic`` discriminator updates, each on a fresh real batch and fresh noise
(Goodfellow et al. 2014, Algorithm 1, with k = n_critic; Arjovsky et al. 2017, Algorithm 1,
with weight clipping after every critic update; Gulrajani et al. 2017, Algorithm 1, with
a gradient penalty in the critic's loss).

Reliability:

* No GPU -> CPU synchronisation on steps that do not log: losses stay on the device and
  non-finite values are recorded on the device (the first bad step and which loss), then
  checked on log and checkpoint steps. A NaN/inf loss raises ``NonFiniteLossError`` naming
  the step and the loss; the checkpoint on disk is the last one written before it, while the
  networks in memory are not restored (they hold the diverged state).
* Before the first step, the real data are checked finite and G and D are run once on a
  probe batch (eval mode, no gradients, a separate random generator: training is unchanged
  bit for bit), so that a wrong ``z_dim`` or a network built for other data fails with the
  shapes named instead of deep inside torch.
* Checkpoints hold G, D, both optimisers, the random states (the step's random
  generator(s) and torch's global one), the history and, with ``average``, G's running
  average;
  they are written atomically (temporary file, then rename) and read with
  ``torch.load(weights_only=True)``. ``resume=True`` continues the same run: on the CPU,
  50 steps + resume + 50 steps equals 100 straight steps bit for bit.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from . import _checks
from ._checks import positive_int
from .losses import GANLoss, get, registered
from .registry import Registry
from .regularizers import clip_weights_, gradient_penalty, r1_penalty

__all__ = ["OPTIMIZERS", "PAPER_SETTINGS", "PENALTIES", "CheckpointError", "History",
           "NonFiniteLossError", "StepSettings", "Stepper", "exponential_average", "fit",
           "stepper"]

Tensor = torch.Tensor
# penalty(D, real, fake, generator) -> scalar, ``generator`` being the step's own random
# generator: the penalty's random draws (WGAN-GP's interpolation weights) are fixed by the
# run's seed too
Penalty = Callable[[nn.Module, Tensor, Tensor, Any], Tensor]


def _check_penalty(name: str, penalty) -> None:
    if not callable(penalty):
        raise TypeError(f"a penalty must be callable as penalty(D, real, fake[, generator]), "
                        f"got {type(penalty).__name__}")


# the penalties a step knows by name; PENALTIES.register(name, fn) adds one (registry.py)
PENALTIES: Registry[Penalty] = Registry("penalty", check=_check_penalty)
PENALTIES.register("gp", lambda D, real, fake, generator: gradient_penalty(
    D, real, fake, generator=generator))
PENALTIES.register("gp-one-sided", lambda D, real, fake, generator: gradient_penalty(
    D, real, fake, one_sided=True, generator=generator))
PENALTIES.register("r1", lambda D, real, fake, generator: r1_penalty(D, real))


def _penalty(penalty: str | Callable | None) -> Penalty | None:
    """A checked penalty (``StepSettings.check``) -- a name, or a callable ``(D, real,
    fake[, generator])`` -- as a ``Penalty``."""
    if penalty is None:
        return None
    if not callable(penalty):
        penalty = PENALTIES[penalty]
    try:
        n_args = len(inspect.signature(penalty).parameters)
    except (TypeError, ValueError):  # builtins without a signature: assume the full one
        n_args = 4
    return penalty if n_args >= 4 else (lambda D, real, fake, generator: penalty(D, real, fake))


# ---------------------------------------------------------------------------------------
# The step's values: StepSettings, and the papers' own (PAPER_SETTINGS).

OPTIMIZERS = ("adam", "rmsprop")   # what StepSettings.optimizers builds


@dataclass(frozen=True)
class StepSettings:
    r"""The values of one training step, declared once.

    :func:`fit`, :func:`stepper`, ``reference.Recipe``, the playground and ``ganlab train``
    all read the step's values from here; :data:`PAPER_SETTINGS` holds the papers' own. One
    step is ``n_critic`` critic updates, each on a fresh real batch :math:`x_{1..m}` and
    fresh noise :math:`z_{1..m}` (:math:`m` = ``batch_size``), then one generator update:

    .. math::

        w &\leftarrow \operatorname{opt}_D\Big(w,\; \nabla_w \big[L_D\big(D_w(x),
            D_w(G_\theta(z))\big) + \lambda\, R(D_w)\big]\Big), \qquad
            w \leftarrow \operatorname{clip}(w, -c, c)
            \quad (n_\text{critic} \text{ times}) \\
        \theta &\leftarrow \operatorname{opt}_G\Big(\theta,\; \nabla_\theta\,
            L_G\big(D_w(G_\theta(z'))\big)\Big)

    with :math:`(L_D, L_G)` the ``loss``, :math:`R` the ``penalty`` with weight
    :math:`\lambda`, :math:`c` the ``clip`` bound and :math:`\operatorname{opt}` the
    ``optimizer`` at rate ``lr``. This is Algorithm 1 of Goodfellow et al. (2014, with
    k = ``n_critic``), of Arjovsky et al. (2017, with ``clip``) and of Gulrajani et al.
    (2017, with ``penalty="gp"``). What is *not* a value -- the noise, the networks'
    device, the random generator, extra loss terms, prebuilt optimisers -- is passed to
    :func:`stepper` / :func:`fit` beside the settings.

    Parameters
    ----------
    loss : str or GANLoss
        A name for ``ganlab.losses.get`` (``losses.registered()``) or a ``GANLoss``.
    n_critic : int, default 1
        Critic updates per generator update.
    batch_size : int, default 64
        :math:`m`, samples per batch (real and generated).
    optimizer : {"adam", "rmsprop"}, default "adam"
        The optimiser built for both players (when :func:`stepper` is not given
        ``optimizers``); RMSProp without momentum, as WGAN trains.
    lr : float or (float, float), default 2e-4
        One learning rate, or ``(lr_g, lr_d)``.
    betas : (float, float), default (0.5, 0.999)
        Adam's :math:`(\beta_1, \beta_2)`, each in [0, 1); unused by RMSProp.
    penalty : {"gp", "gp-one-sided", "r1"} or callable, optional
        A name in :data:`PENALTIES` (``ganlab.regularizers``' penalties), or
        ``penalty(D, real, fake[, generator]) -> scalar``; added to the critic's loss times
        ``penalty_weight``. It draws its randomness from the step's random generator.
    penalty_weight : float, default 10.0
        :math:`\lambda` (R1: :math:`\gamma / 2`), >= 0.
    clip : float, optional
        :math:`c`: clamp every critic parameter to [-c, c] after each critic update.

    Raises
    ------
    ValueError, TypeError
        On construction (:meth:`check`), naming the field that is out of range or of the
        wrong type.

    See Also
    --------
    PAPER_SETTINGS : the papers' settings, to start from with :meth:`replace`.

    References
    ----------
    Goodfellow et al. 2014, "Generative adversarial nets", Algorithm 1.
    Radford, Metz & Chintala 2016, "Unsupervised representation learning with deep
    convolutional generative adversarial networks", section 4.
    Arjovsky, Chintala & Bottou 2017, "Wasserstein generative adversarial networks",
    Algorithm 1.
    Gulrajani et al. 2017, "Improved training of Wasserstein GANs", Algorithm 1.

    Examples
    --------
    >>> s = PAPER_SETTINGS["wgan-gp"].replace(lr=5e-4)
    >>> s.loss, s.n_critic, s.penalty, s.penalty_weight, s.lr, s.betas
    ('wasserstein', 5, 'gp', 10.0, 0.0005, (0.0, 0.9))
    """

    loss: str | GANLoss
    n_critic: int = 1
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float | tuple[float, float] = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    penalty: str | Penalty | None = None
    penalty_weight: float = 10.0
    clip: float | None = None

    def __post_init__(self):
        self.check()

    def check(self) -> StepSettings:
        """Check every field; run on construction.

        Each value is checked against what the step can use: ``loss`` a registered name or
        a ``GANLoss``, ``n_critic`` and ``batch_size`` positive ints, ``optimizer`` one of
        ``"adam"`` / ``"rmsprop"``, every learning rate positive, ``betas`` two numbers in
        [0, 1), ``penalty`` a name in :data:`PENALTIES` or a callable, ``penalty_weight``
        >= 0, ``clip`` positive when given.

        Returns
        -------
        StepSettings
            The settings themselves, unchanged.

        Raises
        ------
        ValueError, TypeError
            A value is out of range or of the wrong type; the message names the field.
        """
        if not isinstance(self.loss, GANLoss):
            _checks.one_of("loss", self.loss, registered(), "ganlab.losses")
        for name in ("n_critic", "batch_size"):
            positive_int(name, getattr(self, name))
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be {' or '.join(map(repr, OPTIMIZERS))}, "
                             f"got {self.optimizer!r}")
        lr = self.lr
        for rate in (lr if isinstance(lr, (tuple, list)) and len(lr) == 2 else (lr,)):
            _checks.positive_float("lr", rate)
        betas = self.betas
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1
                for b in betas)):
            raise ValueError(f"betas must be two numbers in [0, 1) (Adam's beta1, beta2), "
                             f"got {betas!r}")
        penalty = self.penalty
        if penalty is not None and not callable(penalty) and (
                not isinstance(penalty, str) or penalty not in PENALTIES):
            raise ValueError(f"penalty must be one of {', '.join(PENALTIES)} or a callable "
                             f"(D, real, fake[, generator]) -> scalar; got {penalty!r}")
        _checks.positive_float("penalty_weight", self.penalty_weight, zero_ok=True)
        if self.clip is not None:
            _checks.positive_float("clip", self.clip)
        return self

    def replace(self, **changes) -> StepSettings:
        """A copy of the settings with some fields changed.

        The copy is checked like any new ``StepSettings``; the original is left as it is.

        Parameters
        ----------
        **changes
            New values, by field name (``lr=5e-4``, ``n_critic=1``, ...).

        Returns
        -------
        StepSettings
            The checked copy.

        Raises
        ------
        TypeError
            A keyword is not a field of ``StepSettings``; the message names it.
        ValueError
            A new value is out of range (see :meth:`check`).
        """
        _known_settings(changes, "StepSettings.replace")
        return dataclasses.replace(self, **changes)

    def optimizers(self, G: nn.Module, D: nn.Module
                   ) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        """The two players' optimisers, built from ``optimizer``, ``lr`` and ``betas``.

        Adam uses ``betas``; RMSProp is built without momentum, as WGAN trains (Arjovsky
        et al. 2017, sec. 3), and ignores ``betas``. With ``lr = (lr_g, lr_d)`` each player
        gets its own rate.

        Parameters
        ----------
        G, D : torch.nn.Module
            The generator and the critic.

        Returns
        -------
        (torch.optim.Optimizer, torch.optim.Optimizer)
            ``(opt_g, opt_d)``, over G's and D's parameters.
        """
        lr_g, lr_d = (self.lr, self.lr) if isinstance(self.lr, (int, float)) else self.lr
        if self.optimizer == "adam":
            return (torch.optim.Adam(G.parameters(), lr=lr_g, betas=self.betas),
                    torch.optim.Adam(D.parameters(), lr=lr_d, betas=self.betas))
        # WGAN: RMSProp without momentum (Arjovsky et al. 2017, sec. 3)
        return (torch.optim.RMSprop(G.parameters(), lr=lr_g),
                torch.optim.RMSprop(D.parameters(), lr=lr_d))


_STEP_FIELDS = tuple(f.name for f in dataclasses.fields(StepSettings))


def _known_settings(names, caller: str, others: tuple[str, ...] = ()) -> None:
    """TypeError naming the first of ``names`` that is neither a ``StepSettings`` field nor
    one of ``others`` (the caller's own keywords)."""
    unknown = [n for n in names if n not in _STEP_FIELDS and n not in others]
    if unknown:
        also = f"; {caller} also takes {', '.join(others)}" if others else ""
        raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r}: the "
                        f"step's settings are {', '.join(_STEP_FIELDS)}{also}")


# The papers' own settings of the step, in one place: where the reference recipes start
# (ganlab.reference) and what ``ganlab train`` fills in for what the user leaves out.
PAPER_SETTINGS: dict[str, StepSettings] = {
    # Radford et al. 2016 (DCGAN), section 4: mini-batches of 128, Adam with learning rate
    # 0.0002 and beta1 0.5 (beta2: Adam's default 0.999); one D update per G update, the
    # non-saturating loss (Goodfellow et al. 2014, sec. 3)
    "dcgan": StepSettings(loss="nonsaturating", batch_size=128, optimizer="adam", lr=2e-4,
                          betas=(0.5, 0.999)),
    # Arjovsky et al. 2017 (WGAN), Algorithm 1: alpha = 0.00005, c = 0.01, m = 64,
    # n_critic = 5, RMSProp
    "wgan": StepSettings(loss="wasserstein", n_critic=5, batch_size=64, optimizer="rmsprop",
                         lr=5e-5, clip=0.01),
    # Gulrajani et al. 2017 (WGAN-GP), Algorithm 1: lambda = 10, n_critic = 5,
    # alpha = 0.0001, beta1 = 0, beta2 = 0.9 (Adam); its m is left open (64 here, WGAN's)
    "wgan-gp": StepSettings(loss="wasserstein", n_critic=5, batch_size=64, optimizer="adam",
                            lr=1e-4, betas=(0.0, 0.9), penalty="gp", penalty_weight=10.0),
}


# ---------------------------------------------------------------------------------------
# The step itself (Algorithm 1): Stepper -- critic_step, generator_step, step.


@dataclass
class Stepper:
    r"""The pieces of one training step, ready to be driven one update at a time.

    Built by :func:`stepper` from a :class:`StepSettings` (its values, with the loss and
    penalty resolved) and the networks, data and random generator. ``critic_step()`` is one
    update of D (loss, penalty, extras, then clipping); ``generator_step()`` one update of
    G (then its running average); ``step()`` is ``n_critic`` critic steps and one generator
    step -- what ``fit`` repeats. The fields may be changed between steps
    (``penalty_weight``, ``clip``, ``n_critic``, the optimisers' learning rates): the next
    step uses them.

    Attributes
    ----------
    G, D : torch.nn.Module
        The generator and the critic.
    loss : GANLoss
        The objective, resolved from the settings' ``loss``.
    noise : callable
        ``(n, generator) -> tensor`` of latent codes, drawn from the given random generator.
    sample_real : callable
        ``(n, generator) -> tensor``: ``n`` real samples of the data given to
        :func:`stepper`, on ``device``, drawn from the given random generator.
    gen : torch.Generator or tuple of torch.Generator
        The random generator of all sampling; for a stacked ensemble, one per member.
    device : torch.device
        Where G and D run.
    batch_size, n_critic : int
        As in :class:`StepSettings`.
    opt_g, opt_d : torch.optim.Optimizer
        The two players' optimisers.
    penalty : callable or None
        ``penalty(D, real, fake, generator) -> scalar``, or None.
    penalty_weight : float
        The penalty's weight :math:`\lambda`.
    clip : float or None
        The critic's weight-clipping bound, or None.
    generator_objective, d_extra, g_extra : callable or None
        As given to :func:`stepper`.
    conditional : bool
        Whether the players take labels, ``G(z, y)`` and ``D(x, y)``.
    average : AveragedModel or None
        G's running average, updated after each generator step.
    members : int or None
        S for a stacked ensemble, None for ordinary networks.
    """

    G: nn.Module
    D: nn.Module
    loss: GANLoss
    noise: Callable
    sample_real: _Sampler
    gen: torch.Generator
    device: torch.device
    batch_size: int
    n_critic: int
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    penalty: Penalty | None
    penalty_weight: float
    clip: float | None
    generator_objective: Callable[[nn.Module, Tensor, Tensor], Tensor] | None
    d_extra: Callable[[], Tensor] | None
    g_extra: Callable[[], Tensor] | None
    conditional: bool = False
    average: AveragedModel | None = None
    members: int | None = None

    def _draw(self, fn: Callable[[torch.Generator], Tensor]) -> Tensor:
        """``fn(generator)`` with the step's random generator; for an ensemble, with each
        member's random generator in turn, stacked on a leading member axis."""
        if self.members is None:
            return fn(self.gen)
        return torch.stack([fn(g) for g in self.gen])

    def _each(self, fn: Callable[..., Tensor], *tensors: Tensor) -> Tensor:
        """``fn(*tensors)``; for an ensemble, one value per member (S,) from each member's
        slice -- every member's loss exactly as its own run computes it."""
        if self.members is None:
            return fn(*tensors)
        return torch.stack([fn(*(t[k] for t in tensors)) for k in range(self.members)])

    def _backward(self, loss: Tensor) -> None:
        """Backpropagate a loss; an ensemble's (S,) losses are summed, which gives each
        member's parameters exactly the gradient of its own loss."""
        (loss if self.members is None else loss.sum()).backward()

    def _descend(self, optimizer: torch.optim.Optimizer, loss: Tensor,
                 extra: Callable[[], Tensor] | None) -> Tensor:
        """One optimiser step on ``loss`` (plus ``extra()``, a player's extra term); returns
        the loss that was descended."""
        if extra is not None:
            loss = loss + extra()
        optimizer.zero_grad(set_to_none=True)
        self._backward(loss)
        optimizer.step()
        return loss

    def z(self) -> Tensor:
        """A batch of latent codes, drawn from the step's random generator.

        Returns
        -------
        torch.Tensor
            ``noise(batch_size, gen)`` on ``device``; for a stacked ensemble, one batch per
            member from its own random generator, stacked on a leading axis (S, ...).
        """
        return self._draw(lambda g: self.noise(self.batch_size, g)).to(self.device,
                                                                         non_blocking=True)

    def real(self) -> Tensor:
        """A batch of real samples, drawn from the step's random generator.

        Returns
        -------
        torch.Tensor
            ``batch_size`` samples on ``device`` (without labels); for a stacked ensemble,
            one batch per member from its own random generator, stacked on a leading axis.
        """
        return self._draw(lambda g: self.sample_real(self.batch_size, g))

    def _real_batch(self) -> tuple[Tensor, tuple[Tensor, ...]]:
        """A real batch and, for a conditional GAN, its labels as a 1-tuple (else ``()``), so
        that ``D(x, *labels)`` and ``G(z, *labels)`` read the same in both cases."""
        if self.conditional:
            real, y = self.sample_real.draw(self.batch_size, self.gen)
            return real, (y,)
        return self.real(), ()

    def _critic_objective(self, real: Tensor, fake: Tensor, labels: tuple[Tensor, ...]) -> Tensor:
        """D's loss on the two batches (per member for an ensemble); with an auxiliary
        classifier, plus the cross-entropy of both batches' class logits (AC-GAN)."""
        if not labels:
            return self._each(self.loss.discriminator, self.D(real), self.D(fake))
        (y,) = labels
        (s_real, c_real), (s_fake, c_fake) = _scores(self.D(real, y)), _scores(self.D(fake, y))
        d_loss = self.loss.discriminator(s_real, s_fake)
        if c_real is not None:
            d_loss = d_loss + F.cross_entropy(c_real, y) + F.cross_entropy(c_fake, y)
        return d_loss

    def critic_step(self) -> tuple[Tensor, Tensor | None]:
        r"""One update of D on a fresh real and generated batch.

        D's loss is the ``loss``'s critic loss, plus the penalty times ``penalty_weight``
        and ``d_extra()`` when given; then every critic parameter is clipped to
        [-``clip``, ``clip``] when ``clip`` is set. G's batch is made without gradients.
        For a conditional GAN the generated batch takes the real batch's labels and, with
        an auxiliary classifier, the cross-entropy of both batches' class logits is added
        (AC-GAN); the penalty is taken with the labels held fixed.

        .. math::

            L = L_D\big(D(x), D(G(z))\big) + \lambda\, R(D) + \text{d\_extra}()

        Returns
        -------
        d_loss : torch.Tensor
            D's loss as descended, detached (for a stacked ensemble, per member (S,)).
        penalty : torch.Tensor or None
            The unweighted penalty, detached, or None without one.
        """
        real, labels = self._real_batch()
        with torch.no_grad():
            fake = self.G(self.z(), *labels)  # conditional: the real batch's labels
        d_loss = self._critic_objective(real, fake, labels)
        pen = None
        if self.penalty is not None:  # a function of x alone: the labels held fixed
            critic = _WithLabels(self.D, labels[0]) if labels else self.D
            pen = self.penalty(critic, real, fake, self.gen)
            d_loss = d_loss + self.penalty_weight * pen
        d_loss = self._descend(self.opt_d, d_loss, self.d_extra)
        if self.clip is not None:
            clip_weights_(self.D, self.clip)
        return d_loss.detach(), (pen.detach() if pen is not None else None)

    def generator_step(self) -> Tensor:
        """One update of G on fresh noise, then of its running average.

        G's loss is the ``loss``'s generator loss on D's scores of a fresh generated batch
        (or ``generator_objective(D, real, fake)`` with a fresh real batch, when given),
        plus ``g_extra()`` when given. D's parameters take no gradient during the step. For
        a conditional GAN the labels are drawn from the data, and an auxiliary classifier's
        cross-entropy on the generated batch is added. With ``average``, the average is
        updated after the step.

        Returns
        -------
        torch.Tensor
            G's loss as descended, detached (for a stacked ensemble, per member (S,)).
        """
        self.D.requires_grad_(False)  # G's step needs gradients through D, not for D
        if self.conditional:
            y = self.sample_real.draw_labels(self.batch_size, self.gen)
            scores, logits = _scores(self.D(self.G(self.z(), y), y))
            g_loss = self.loss.generator(scores)
            if logits is not None:
                g_loss = g_loss + F.cross_entropy(logits, y)
        elif self.generator_objective is None:
            fake = self.G(self.z())
            g_loss = self._each(self.loss.generator, self.D(fake))
        else:
            fake = self.G(self.z())
            g_loss = self.generator_objective(self.D, self.real(), fake)
        g_loss = self._descend(self.opt_g, g_loss, self.g_extra)
        if self.average is not None:
            self.average.update_parameters(self.G)
        self.D.requires_grad_(True)
        return g_loss.detach()

    def step(self):
        """One training step: ``n_critic`` critic steps, then one generator step.

        Returns
        -------
        d_loss : torch.Tensor
            D's loss at the last critic step, detached.
        penalty : torch.Tensor or None
            The unweighted penalty at the last critic step, or None.
        g_loss : torch.Tensor
            G's loss, detached.
        """
        for _ in range(self.n_critic):
            d_loss, pen = self.critic_step()
        return d_loss, pen, self.generator_step()


# ---------------------------------------------------------------------------------------
# The entry points: stepper() builds the step, fit() repeats it.


def stepper(
    G: nn.Module,
    D: nn.Module,
    data,
    settings: StepSettings | None = None,
    *,
    z_dim: int | None = None,
    noise: Callable[[int, torch.Generator], Tensor] | None = None,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None,
    generator_objective: Callable[[nn.Module, Tensor, Tensor], Tensor] | None = None,
    d_extra: Callable[[], Tensor] | None = None,
    g_extra: Callable[[], Tensor] | None = None,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
    conditional: bool = False,
    average: AveragedModel | None = None,
    **step_options,
) -> Stepper:
    r"""The training step that :func:`fit` repeats, for callers that drive it themselves (the
    playground: one critic update, one generator update, or a whole step at a time).

    Checks the options, runs a probe of G and D on the data (eval mode, no gradients, its
    own random generator: training is unchanged) and returns a :class:`Stepper`. There is
    one training step in the course: ``fit`` is ``stepper(...)`` and a loop of
    ``Stepper.step()``.

    Parameters
    ----------
    G, D : torch.nn.Module
        The generator and the critic.
    data : tensor, TensorDataset or callable
        Real samples: a tensor (N, ...) or TensorDataset (batches drawn uniformly with
        replacement), or a callable ``(n, generator) -> tensor`` taking a random generator
        (e.g. a toy sampler).
    settings : StepSettings, optional
        The step's values: loss, n_critic, batch_size, optimizer, lr, betas, penalty,
        penalty_weight, clip (documented there). Without it, ``step_options`` must give
        at least ``loss``.
    z_dim : int, optional
        Standard normal noise of this size; or give ``noise`` instead.
    noise : callable, optional
        ``(n, generator) -> tensor`` of latent codes, drawn from the given random generator.
    optimizers : (Optimizer, Optimizer), optional
        ``(opt_g, opt_d)``, built by the caller (then the settings' optimizer, lr and betas
        are not used); default ``settings.optimizers(G, D)``.
    generator_objective : callable, optional
        ``fn(D, real, fake) -> scalar`` replacing ``loss.generator(D(fake))`` as G's loss,
        with a fresh real batch (e.g. ``tricks.feature_matching_objective``).
    d_extra, g_extra : callable, optional
        Zero-argument callables whose scalar result is added to the critic's / generator's
        loss at every update (e.g. ``tricks.HistoricalAveraging(...).penalty``).
    device : str or torch.device, optional
        Default: where G's parameters are.
    generator : torch.Generator or list of torch.Generator, optional
        The CPU random generator for all sampling (real batches, noise, the penalty's draws);
        default seed 0. For a stacked ensemble, one random generator per member.
    conditional : bool
        Train a conditional GAN (Mirza & Osindero 2014): ``data`` is labelled (a
        TensorDataset (x, labels) or a callable returning (x, labels)), the players are
        ``G(z, y)`` and ``D(x, y)``. Generated samples get labels drawn from the data (the
        critic step reuses the real batch's labels, so a penalty interpolates x with y
        fixed). A critic returning ``(scores, class_logits)`` is an auxiliary classifier
        (AC-GAN, Odena et al. 2017): cross-entropy of the logits against the labels is added
        to D's loss for real and generated samples and to G's loss for generated ones.
    average : AveragedModel, optional
        A running average of G's weights (``exponential_average(G, decay)``), updated after
        every generator step and checkpointed with the run; sample from ``average.module``.
        Training is unchanged bit for bit: the average is read, never trained.
    **step_options
        :class:`StepSettings` fields, overriding ``settings``'s (so ``stepper(G, D, data,
        loss="hinge", n_critic=5, z_dim=2)`` needs no settings object).

    Returns
    -------
    Stepper
        The step, ready to be driven: :meth:`Stepper.step`, or one
        :meth:`Stepper.critic_step` / :meth:`Stepper.generator_step` at a time.

    Raises
    ------
    ValueError, TypeError
        An option out of range or of the wrong type, an unknown keyword, data that G and D
        cannot take (the probe names the shapes), mismatched ensembles.

    Notes
    -----
    Ensembles: with G and D stacked by ``ganlab.ensemble.stack`` (S members each) and
    ``generator`` a list of S random generators, one call trains S independent runs: each
    member draws its batches, noise and penalty weights from its own random generator, and
    every loss is computed per member (an (S,) vector) and summed for backpropagation, so
    member k follows exactly the run that ``fit`` with ``generator[k]`` would take.
    """
    settings = _settings(settings, step_options)
    members = _check_members(G, D, generator, conditional)
    _checks.module("G", G)
    _checks.module("D", D)
    _checks.generator("generator", None if members else generator)
    _check_average(average, G)
    if (z_dim is None) == (noise is None):
        raise ValueError("give exactly one of z_dim (Gaussian noise size) or noise (a callable)")
    if z_dim is not None:
        positive_int("z_dim", z_dim)
        noise = _gaussian_noise(z_dim)
    loss = settings.loss if isinstance(settings.loss, GANLoss) else get(settings.loss)
    device = (_checks.device("device", device) if device is not None
              else next(G.parameters()).device)
    G.to(device)
    D.to(device)
    if average is not None:
        average.to(device)
    if conditional and generator_objective is not None:
        raise ValueError("generator_objective is not supported with conditional=True")
    sample_real = _Sampler(data, device, conditional)
    _check_data_and_players(G, D, sample_real, noise, device, conditional, members)
    gen = (tuple(generator) if members else
           generator if generator is not None else torch.Generator().manual_seed(0))
    opt_g, opt_d = optimizers or settings.optimizers(G, D)
    return Stepper(G=G, D=D, loss=loss, noise=noise, sample_real=sample_real, gen=gen,
                   device=device, batch_size=settings.batch_size, n_critic=settings.n_critic,
                   opt_g=opt_g, opt_d=opt_d, penalty=_penalty(settings.penalty),
                   penalty_weight=settings.penalty_weight, clip=settings.clip,
                   generator_objective=generator_objective, d_extra=d_extra, g_extra=g_extra,
                   conditional=conditional, average=average, members=members)


def fit(
    G: nn.Module,
    D: nn.Module,
    data,
    settings: StepSettings | None = None,
    *,
    steps: int,
    log_every: int = 10,
    metrics: dict[str, Callable[[nn.Module, nn.Module], float]] | None = None,
    snapshot_every: int | None = None,
    snapshot: Callable[[nn.Module, nn.Module], Any] | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: bool = True,
    progress: bool = True,
    **options,
) -> History:
    r"""Train generator ``G`` against critic ``D`` for ``steps`` generator steps.

    One step is ``n_critic`` critic updates, each on a fresh real batch and fresh noise, then
    one generator update -- Algorithm 1 of Goodfellow et al. (2014, with k = ``n_critic``),
    of Arjovsky et al. (2017, with ``clip``) and of Gulrajani et al. (2017, with
    ``penalty="gp"``):

    .. math::

        \text{critic: } \min_D\; L_D(D(x), D(G(z))) + \lambda\, R(D), \qquad
        \text{generator: } \min_G\; L_G(D(G(z)))

    ``fit`` is :func:`stepper` and a loop of :meth:`Stepper.step`: the step's values are a
    :class:`StepSettings` (``settings``, and/or its fields as keywords), its other options
    are :func:`stepper`'s, passed through ``**options``.

    Parameters
    ----------
    G, D : torch.nn.Module
        The generator and the critic (or two stacked ensembles, ``ganlab.ensemble``).
    data : tensor, TensorDataset or callable
        The real samples (see :func:`stepper`).
    settings : StepSettings, optional
        The step's values (e.g. ``PAPER_SETTINGS["wgan-gp"]``); keywords in ``options``
        that name its fields override them.
    steps : int
        Generator steps to train; a resumed run counts the steps already done.
    log_every : int, default 10
        Record the losses (and ``metrics``) every this many steps, and at the last.
    metrics : dict[str, callable], optional
        ``name -> fn(G, D)`` evaluated on log steps, stored in ``History.extra``.
    snapshot_every : int, optional
        Store ``snapshot(G, D)`` every this many steps (and at the last).
    snapshot : callable, optional
        ``fn(G, D)``, called without gradients; by default G's output on 64 fixed noise
        vectors, on the CPU.
    checkpoint : str or path, optional
        File to save the run to every ``checkpoint_every`` steps and at the end (written
        atomically; see ``resume``).
    checkpoint_every : int, optional
        Steps between checkpoints; default 10 x ``log_every``.
    resume : bool, default True
        With ``checkpoint``, load an existing file and continue the run from its step (on
        the CPU, 50 steps + resume + 50 steps equal 100 straight steps bit for bit); with
        False, start afresh and overwrite the file.
    progress : bool, default True
        Show a tqdm progress bar.
    **options
        :class:`StepSettings` fields (``loss``, ``n_critic``, ``batch_size``, ``optimizer``,
        ``lr``, ``betas``, ``penalty``, ``penalty_weight``, ``clip``) and :func:`stepper`'s
        own keywords (``z_dim`` / ``noise``, ``optimizers``, ``generator_objective``,
        ``d_extra``, ``g_extra``, ``device``, ``generator`` (the random generator),
        ``conditional``, ``average``).

    Returns
    -------
    History
        Steps, losses (for an ensemble, a list of S values per log step), wall times,
        metrics and snapshots.

    Raises
    ------
    NonFiniteLossError
        A loss became NaN or infinite; it names the step and the loss.
    CheckpointError
        ``checkpoint`` holds another run or is unreadable.
    ValueError, TypeError
        Bad options, named (checked once, before the first step); an unknown keyword.

    Examples
    --------
    The same run, spelled two ways:

    >>> fit(G, D, data, steps=100, z_dim=2, loss="wasserstein", penalty="gp",
    ...     n_critic=5)  # doctest: +SKIP
    >>> fit(G, D, data, PAPER_SETTINGS["wgan-gp"].replace(lr=2e-4), steps=100,
    ...     z_dim=2)  # doctest: +SKIP
    """
    positive_int("steps", steps)
    positive_int("log_every", log_every)
    parts = stepper(G, D, data, settings, **options)
    noise, sample_real, device, gen = parts.noise, parts.sample_real, parts.device, parts.gen
    opt_g, opt_d, loss = parts.opt_g, parts.opt_d, parts.loss
    conditional, average = parts.conditional, parts.average
    if snapshot is None:
        fixed = noise(64, torch.Generator().manual_seed(2**31 - 1))
        fixed_labels = (sample_real.draw_labels(64, torch.Generator().manual_seed(2**31 - 2)),
                        ) if conditional else ()

        def snapshot(G, D):
            return G(fixed.to(device), *fixed_labels).cpu()

    history, start = History(), 0
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and resume and path.exists():
        start, history = _load(path, G, D, opt_g, opt_d, gen, device, average)
    checkpoint_every = checkpoint_every or 10 * log_every
    watch = _NonFiniteWatch(device)
    wall0 = time.perf_counter() - (history.wall[-1] if history.wall else 0.0)
    bar = tqdm(range(start + 1, steps + 1), initial=start, total=steps, disable=not progress,
               desc=f"{loss.name}", unit="step", leave=True)
    G.train()
    D.train()
    for step in bar:
        d_loss, pen, g_loss = parts.step()
        watch.update(step, d_loss, g_loss)
        last = step == steps
        if step % log_every == 0 or last:
            watch.check()
            _log(history, step, d_loss, pen, g_loss, time.perf_counter() - wall0, metrics, G, D)
            bar.set_postfix(d=_brief(history.d_loss[-1]), g=_brief(history.g_loss[-1]))
        if snapshot_every and (step % snapshot_every == 0 or last):
            with torch.no_grad():
                history.snapshots.append((step, snapshot(G, D)))
        if path is not None and (step % checkpoint_every == 0 or last):
            watch.check()
            _save_atomic(_state(step, G, D, opt_g, opt_d, gen, history, average), path)
    bar.close()
    return history


_STEPPER_KEYWORDS = ("z_dim", "noise", "optimizers", "generator_objective", "d_extra",
                     "g_extra", "device", "generator", "conditional", "average")


def _settings(settings: StepSettings | None, step_options: dict) -> StepSettings:
    """``settings`` with ``step_options`` (StepSettings fields) applied over it; without
    ``settings``, a StepSettings of ``step_options`` alone."""
    _known_settings(step_options, "stepper", _STEPPER_KEYWORDS)
    if settings is None:
        if "loss" not in step_options:
            raise TypeError("loss is required: pass loss=... (a name in "
                            "ganlab.losses.registered() or a GANLoss), or settings="
                            "StepSettings(loss=...) (e.g. PAPER_SETTINGS['dcgan'])")
        return StepSettings(**step_options)
    if not isinstance(settings, StepSettings):
        raise TypeError("settings must be a ganlab.train.StepSettings (e.g. "
                        f"PAPER_SETTINGS['dcgan']), got {type(settings).__name__}")
    return settings.replace(**step_options) if step_options else settings


# ---------------------------------------------------------------------------------------
# What fit returns and raises, and G's running average.


@dataclass
class History:
    """What ``fit`` logged: one entry per logged step.

    Every list holds one entry per logged step, in step order; a resumed run continues
    the history stored in its checkpoint.

    Attributes
    ----------
    steps : list of int
        The logged steps.
    d_loss, g_loss : list of float
        The losses at that step (the critic's loss includes the weighted penalty). For a
        stacked ensemble, each entry is a list of S values, one per member.
    wall : list of float
        The seconds since training started.
    extra : dict of str to list of float
        The values of the ``metrics`` passed to ``fit``, by name; ``extra["penalty"]``
        holds the unweighted penalty when one is used.
    snapshots : list of (int, object)
        The (step, value) pairs of ``snapshot``.
    """

    steps: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)
    snapshots: list[tuple[int, Any]] = field(default_factory=list)

    def state_dict(self) -> dict:
        """The history as plain lists and dicts, as a checkpoint stores it.

        Returns
        -------
        dict
            Keys ``steps``, ``d_loss``, ``g_loss``, ``wall``, ``extra``, ``snapshots``
            (each snapshot as a ``[step, value]`` list).
        """
        return {"steps": self.steps, "d_loss": self.d_loss, "g_loss": self.g_loss,
                "wall": self.wall, "extra": self.extra,
                "snapshots": [[s, v] for s, v in self.snapshots]}

    @classmethod
    def from_state_dict(cls, state: dict) -> History:
        """The history that :meth:`state_dict` stored.

        Parameters
        ----------
        state : dict
            What :meth:`state_dict` returned (e.g. read back from a checkpoint).

        Returns
        -------
        History
            A new history holding copies of the stored lists.

        Raises
        ------
        KeyError
            ``state`` lacks one of the keys :meth:`state_dict` writes.
        """
        return cls(list(state["steps"]), list(state["d_loss"]), list(state["g_loss"]),
                   list(state["wall"]), {k: list(v) for k, v in state["extra"].items()},
                   [(int(s), v) for s, v in state["snapshots"]])


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite during training.

    Raised by :func:`fit` on the first log or checkpoint step after the bad step (losses
    are checked there, not at every step), naming the step and the loss; also raised when a
    ``metrics`` value is not finite. The networks in memory hold the diverged state; the
    checkpoint on disk, if any, is from before it.
    """


class CheckpointError(ValueError):
    """A checkpoint file cannot be resumed: not a ganlab checkpoint, or other networks'.

    Raised by :func:`fit` with ``resume=True`` when the file cannot be read with
    ``torch.load(weights_only=True)``, lacks a ganlab checkpoint's entries, or was written
    for other networks, optimisers or random generators. The message says what to do:
    delete the file, pass ``resume=False``, or give another path.
    """


def exponential_average(G: nn.Module, decay: float = 0.999) -> AveragedModel:
    r"""An exponential moving average of ``G``'s weights and buffers, for ``fit(average=...)``.

    After each generator step the average moves towards G's current weights, starting from
    G's weights at the first update:

    .. math::

        \theta_\text{avg} \leftarrow \text{decay}\; \theta_\text{avg}
            + (1 - \text{decay})\; \theta

    BigGAN and Progressive GAN sample from such an average. This is torch's own
    ``AveragedModel`` with ``get_ema_multi_avg_fn``; batch-norm statistics are averaged
    too. Sample from ``.module``.

    Parameters
    ----------
    G : torch.nn.Module
        The generator whose weights are averaged (the average holds its own copy).
    decay : float, default 0.999
        The weight of the old average, in (0, 1).

    Returns
    -------
    torch.optim.swa_utils.AveragedModel
        The average, to pass to :func:`fit` or :func:`stepper` as ``average``.

    Raises
    ------
    TypeError
        ``G`` is not a ``torch.nn.Module``.
    ValueError
        ``decay`` is not a finite number in (0, 1).

    References
    ----------
    Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training".
    """
    _checks.module("G", G)
    _checks.positive_float("decay", decay)
    if not decay < 1:
        raise ValueError(f"decay must be in (0, 1), got {decay!r}")
    return AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


# ---------------------------------------------------------------------------------------
# Below: what the step relies on -- the real-data sampler, the checks run once before the
# first step, the non-finite watch, logging and checkpoint I/O.


class _Sampler:
    """Draws real batches: from a tensor (uniform with replacement) or a callable.

    With ``conditional``, the data are labelled -- a TensorDataset (x, y) or a callable
    returning (x, y) -- and ``draw`` returns both; ``__call__`` returns x alone.
    """

    def __init__(self, data, device: torch.device, conditional: bool = False):
        self.labels = None
        if conditional:
            data = self._labelled(data, device)
        elif isinstance(data, torch.utils.data.TensorDataset):
            data = data.tensors[0]
        if isinstance(data, Tensor):
            data = _checks.tensor("data", data, finite=False)  # finiteness: _check_data_and_players
            if data.dim() < 2 or len(data) == 0:
                raise ValueError(
                    f"data must be a non-empty (N, ...) tensor, got {tuple(data.shape)}")
            self.tensor, self.fn = data.to(device), None
        elif callable(data):
            self.tensor, self.fn = None, data
        else:
            raise TypeError("data must be a tensor (N, ...), a TensorDataset, or a callable "
                            f"(n, generator) -> tensor; got {type(data).__name__}")
        self.device = device

    def _labelled(self, data, device):
        if callable(data) and not isinstance(data, (Tensor, torch.utils.data.Dataset)):
            return data
        if not isinstance(data, torch.utils.data.TensorDataset) or len(data.tensors) < 2:
            raise ValueError("conditional=True needs labelled data: a TensorDataset(x, labels) "
                             "or a callable (n, generator) -> (x, labels); got "
                             f"{type(data).__name__}")
        x, labels = data.tensors[:2]
        self.labels = _check_labels("data's labels", labels, len(x)).to(device)
        return x

    def __call__(self, n: int, generator: torch.Generator) -> Tensor:
        if self.fn is not None:
            return self.fn(n, generator).to(self.device, non_blocking=True)
        idx = torch.randint(len(self.tensor), (n,), generator=generator)
        return self.tensor[idx.to(self.device, non_blocking=True)]

    def draw(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """A labelled batch (x, y)."""
        if self.fn is not None:
            x, y = self.fn(n, generator)
            return x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
        idx = torch.randint(len(self.tensor), (n,), generator=generator).to(self.device)
        return self.tensor[idx], self.labels[idx]

    def draw_labels(self, n: int, generator: torch.Generator) -> Tensor:
        """Labels drawn from the data's label distribution (for generated samples)."""
        if self.fn is not None:
            return self.fn(n, generator)[1].to(self.device, non_blocking=True)
        idx = torch.randint(len(self.labels), (n,), generator=generator).to(self.device)
        return self.labels[idx]


def _check_labels(name: str, labels, n: int) -> Tensor:
    """Class labels: an integer tensor (n,) of values >= 0 (read once, at fit's boundary)."""
    if not isinstance(labels, Tensor) or labels.dtype not in (torch.int64, torch.int32,
                                                             torch.int16, torch.uint8):
        got = labels.dtype if isinstance(labels, Tensor) else type(labels).__name__
        raise TypeError(f"{name} must be an integer tensor of class indices, got {got}")
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one label per sample, got "
                         f"{tuple(labels.shape)}")
    if n and int(labels.min()) < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {int(labels.min())}")
    return labels.long()


class _WithLabels(nn.Module):
    """D(., y) with the labels y held fixed: what a penalty on x alone needs."""

    def __init__(self, D: nn.Module, y: Tensor):
        super().__init__()
        self.D, self.y = D, y

    def forward(self, x: Tensor) -> Tensor:
        return _scores(self.D(x, self.y))[0]


def _scores(out) -> tuple[Tensor, Tensor | None]:
    """A critic's output: scores, or (scores, class logits) for an auxiliary classifier."""
    if isinstance(out, (tuple, list)):
        return out[0], out[1]
    return out, None


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _check_data_and_players(G, D, sample_real: _Sampler, noise, device,
                            conditional: bool = False, members: int | None = None) -> None:
    """Before any step: the real data are finite, and G and D accept what they will be given.

    Runs G on 4 noise vectors and D on 4 real and 4 generated samples in eval mode without
    gradients, from a separate random generator: no batch-norm statistics change, no
    power-iteration step, no draw from the step's random generator -- training is unchanged
    bit for bit. A mismatch fails here, naming the argument and the shapes, not deep in torch.
    """
    probe = torch.Generator().manual_seed(0)
    labels = None
    if sample_real.tensor is not None:
        if not torch.isfinite(sample_real.tensor).all():
            raise ValueError("data contains NaN or infinite values; clean or drop those rows "
                             "before training")
        real = sample_real.tensor[:4]
        if conditional:
            labels = sample_real.labels[:4]
            _check_label_range(G, D, sample_real.labels)
    elif conditional:
        out = sample_real.fn(4, probe)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ValueError("with conditional=True, data(n, generator) must return "
                             f"(x, labels); it returned {type(out).__name__}")
        real, labels = out
        if not isinstance(real, Tensor):
            raise ValueError("data(n, generator) must return (x, labels) with x a tensor; got "
                             f"x of type {type(real).__name__}")
        labels = _check_labels("the labels data(n, generator) returns", labels, len(real))
        _check_label_range(G, D, labels)
        real, labels = real.to(device), labels.to(device)
    else:
        real = sample_real(4, probe)
    if sample_real.tensor is None:
        if not isinstance(real, Tensor) or real.dim() < 1 or len(real) != 4:
            got = tuple(real.shape) if isinstance(real, Tensor) else type(real).__name__
            raise ValueError(f"data(n, generator) must return a tensor of n samples; for n = 4 "
                             f"it returned {got}")
        if not torch.isfinite(real).all():
            raise ValueError("data(n, generator) returned NaN or infinite values")
    z = noise(4, probe).to(device)
    was_training = G.training, D.training
    G.eval()
    D.eval()
    try:
        with torch.no_grad():
            extra = () if labels is None else (labels,)
            try:
                fake = G(z, *extra)
            except (RuntimeError, ValueError, TypeError) as err:
                takes = "noise and labels" if extra else "noise"
                raise ValueError(f"G cannot take {takes} of shape {tuple(z.shape)} "
                                 f"({_first_line(err)}); pass the z_dim (or noise) that G was "
                                 "built for" + (", and a conditional G(z, y)" if extra else "")
                                 ) from err
            sample_shape = tuple(fake.shape[2:] if members else fake.shape[1:])  # (S, N, ...)
            if sample_shape != tuple(real.shape[1:]):
                raise ValueError(f"G makes samples of shape {sample_shape} but the data's "
                                 f"are {tuple(real.shape[1:])}; build G for the data's shape")
            for what, x in (("real", real), ("generated", fake)):
                try:
                    scores, _ = _scores(D(x, *extra))
                except (RuntimeError, ValueError, TypeError) as err:
                    raise ValueError(f"D cannot score a {what} batch of shape {tuple(x.shape)} "
                                     f"({_first_line(err)}); build D for the data's shape"
                                     + (" and labels (a conditional D(x, y))" if extra else "")
                                     ) from err
                if scores.numel() != 4 * (members or 1):
                    raise ValueError(f"D must return one score per sample: for a batch of "
                                     f"4 it returned shape {tuple(scores.shape)}")
    finally:
        G.train(was_training[0])
        D.train(was_training[1])


def _check_label_range(G, D, labels: Tensor) -> None:
    """Labels below the players' ``n_classes`` (where they declare it): read once, here."""
    top = int(labels.max())
    for name, player in (("G", G), ("D", D)):
        n_classes = getattr(player, "n_classes", None)
        if n_classes is not None and top >= n_classes:
            raise ValueError(f"the data's labels go up to {top} but {name} was built for "
                             f"n_classes={n_classes}; build it for {top + 1} classes")


def _check_members(G, D, generator, conditional) -> int | None:
    """S for a stacked ensemble pair (``ganlab.ensemble``), None for ordinary networks."""
    members = getattr(G, "members", None)
    if members != getattr(D, "members", None):
        raise ValueError(f"G and D must both be ensembles of the same size or both ordinary "
                         f"networks; G has members={members}, D has "
                         f"members={getattr(D, 'members', None)}")
    if members is None:
        return None
    if conditional:
        raise ValueError("conditional=True is not supported for a stacked ensemble; train "
                         "conditional players with one fit per seed")
    if not isinstance(generator, (list, tuple)) or len(generator) != members or not all(
            isinstance(g, torch.Generator) for g in generator):
        raise ValueError(f"generator must be a list of {members} torch.Generators, one per "
                         f"member of the ensemble (seeded as each member's own run), got "
                         f"{generator!r}")
    return members


def _check_average(average, G) -> None:
    if average is None:
        return
    if not isinstance(average, AveragedModel):
        raise TypeError("average must be a torch.optim.swa_utils.AveragedModel of G (e.g. "
                        f"ganlab.train.exponential_average(G)), got {type(average).__name__}")
    if average.module is G or ([p.shape for p in average.module.parameters()]
                               != [p.shape for p in G.parameters()]):
        raise ValueError("average must hold its own copy of G (exponential_average(G)): "
                         "its module is G itself or has other parameter shapes")


def _gaussian_noise(z_dim: int):
    def noise(n: int, generator: torch.Generator) -> Tensor:
        return torch.randn(n, z_dim, generator=generator)
    return noise


class _NonFiniteWatch:
    """Remembers, on the device, the first step whose loss was not finite (no sync)."""

    WHAT = ("d_loss", "g_loss")

    def __init__(self, device):
        self.first = torch.full((2,), -1, dtype=torch.long, device=device)

    def update(self, step: int, d_loss: Tensor, g_loss: Tensor) -> None:
        losses = torch.stack([d_loss.detach(), g_loss.detach()]).float().reshape(2, -1)
        bad = ~torch.isfinite(losses).all(1)      # an ensemble: any member's loss
        self.first = torch.where(bad & (self.first < 0), step, self.first)

    def check(self) -> None:
        first = self.first.tolist()  # the one synchronisation, on log/checkpoint steps
        hits = [(s, w) for s, w in zip(first, self.WHAT, strict=True) if s >= 0]
        if hits:
            step, what = min(hits)
            raise NonFiniteLossError(
                f"{what} became NaN or infinite at step {step}; training stopped. The networks "
                "and optimisers in memory are NOT restored (they hold the diverged state: "
                "checking every step would cost a device sync); the checkpoint on disk, if "
                "any, is from before that step -- resume from it with a lower learning rate")


def _brief(value: float | list[float]) -> str:
    """A logged loss for the progress bar (an ensemble's: the mean over members)."""
    return f"{sum(value) / len(value) if isinstance(value, list) else value:.3f}"


def _log(history, step, d_loss, pen, g_loss, wall, metrics, G, D) -> None:
    history.steps.append(step)
    history.d_loss.append(d_loss.tolist())   # a float; a list of S floats for an ensemble
    history.g_loss.append(g_loss.tolist())
    history.wall.append(wall)
    if pen is not None:
        history.extra.setdefault("penalty", []).append(pen.tolist())
    for name, fn in (metrics or {}).items():
        with torch.no_grad():
            value = float(fn(G, D))
        if not math.isfinite(value):
            raise NonFiniteLossError(f"metric {name!r} is {value} at step {step}")
        history.extra.setdefault(name, []).append(value)


def _save_atomic(state: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half


def _state(step, G, D, opt_g, opt_d, gen, history, average=None) -> dict:
    # "torch_rng": torch's global random state, restored on resume (why: see _load)
    state = {"step": step, "G": G.state_dict(), "D": D.state_dict(),
             "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
             "generator": _generator_state(gen), "torch_rng": torch.get_rng_state(),
             "history": history.state_dict()}
    if average is not None:
        state["average"] = average.state_dict()
    return state


def _generator_state(gen):
    """The state of the step's random generator (a list of states for an ensemble's random
    generators)."""
    return [g.get_state() for g in gen] if isinstance(gen, tuple) else gen.get_state()


def _load(path, G, D, opt_g, opt_d, gen, device, average=None) -> tuple[int, History]:
    what_to_do = ("delete it, pass resume=False to start afresh, or give another "
                  "checkpoint path")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # not a torch file, truncated, or pickled objects we refuse
        raise CheckpointError(f"checkpoint {path} is not a ganlab checkpoint that can be "
                              f"read ({type(err).__name__}); {what_to_do}") from err
    keys = {"step", "G", "D", "opt_g", "opt_d", "generator", "torch_rng", "history"}
    if average is not None:
        keys.add("average")  # a run checkpointed without its average cannot resume with one
    if not isinstance(state, dict) or not keys <= set(state):
        raise CheckpointError(f"checkpoint {path} is not a ganlab checkpoint (it lacks "
                              f"{sorted(keys - set(state)) if isinstance(state, dict) else keys}"
                              f"); {what_to_do}")
    try:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        if average is not None:
            average.load_state_dict(state["average"])
    except (RuntimeError, ValueError, KeyError) as err:
        reason = str(err).strip().splitlines()[0]
        raise CheckpointError(f"checkpoint {path} was written for other networks or "
                              f"optimisers ({reason}); {what_to_do}") from err
    saved = state["generator"]
    if isinstance(gen, tuple) != isinstance(saved, (list, tuple)) or (
            isinstance(gen, tuple) and len(gen) != len(saved)):
        raise CheckpointError(f"checkpoint {path} holds the random state of "
                              f"{len(saved) if isinstance(saved, (list, tuple)) else 'one'} "
                              f"generator(s), not of this run's; {what_to_do}")
    for g, g_state in zip(gen if isinstance(gen, tuple) else (gen,),
                          saved if isinstance(saved, (list, tuple)) else (saved,), strict=True):
        g.set_state(g_state.cpu())
    # torch's global (CPU) random state. ganlab's own step draws nothing from it (real
    # batches, noise and the penalties' draws come from the step's random generator(s);
    # every shipped reference run leaves it untouched), but what a caller plugs in may: a
    # noise or data callable that ignores its random generator, a penalty taking only
    # (D, real, fake), d_extra / g_extra / generator_objective, or a layer such as
    # nn.Dropout. Saving and restoring it keeps "50 steps + resume + 50 steps = 100 steps"
    # bit for bit for those runs too; every checkpoint holds it, so old ones still load.
    torch.set_rng_state(state["torch_rng"].cpu())
    return int(state["step"]), History.from_state_dict(state["history"])
