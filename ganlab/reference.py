"""Reference runs: one recipe per (data set, method), trained to convergence once, shipped.

A comparison counts only at convergence, and converging takes tens of thousands of critic
updates -- far more than a notebook may spend on two CPU cores. So every run that a lesson
compares is a *recipe* here, trained for 3 seeds -- 10 for the toy recipes whose comparisons
need them (``TEN_SEEDS``; trained as one batched ensemble each) -- by
``scripts/train_reference.py`` (in parallel, resumable, on any device), and shipped in
``data/reference/<recipe>_s<seed>.pt``
(see ``shipped_state``; sha256 in ``data/MANIFEST``, loaded with ``weights_only=True``).
``data/reference/runs.json`` records each run's provenance: recipe, seed, steps, wall
time, device, torch version and its final metrics. The notebooks load the
shipped runs under the ``quick`` budget and retrain them with :func:`train` under ``full``.

Toy recipes (``<set>_<method>``, sets 8gaussians, 25gaussians, swissroll): the same pair for
every method -- MLP generator (2-D noise -> 2-D point) and MLP critic, width 128, depth 3,
ReLU -- on fresh batches of 256 points for 8,000 generator steps, with the learning rates
divided by 10 for the second half (the samples settle into sharp modes; on 8 Gaussians
WGAN-GP went from 21% to 85-94% high-quality samples when this phase grew from a quarter to
half of the steps). Learning rates are larger than the papers' image settings: the 2-D toys
need far fewer steps.

* ``nonsaturating`` -- Goodfellow et al. 2014 with the -log D generator loss; Adam,
  betas (0.5, 0.999) (DCGAN's).
* ``wgan-clip`` -- Arjovsky et al. 2017: RMSProp, clip c = 0.01, 5 critic steps.
* ``wgan-gp`` -- Gulrajani et al. 2017 as their toy script ``gan_toy.py`` runs it: Adam,
  betas (0.5, 0.9), 5 critic steps and **lambda = 0.1**. A 2-D critic whose differences
  are of order 1 is dominated by a lambda = 10 penalty: the critic spends its capacity on
  keeping ||grad|| = 1 everywhere on the interpolates instead of separating 25 small
  modes (25 Gaussians: 7-11 of 25 modes at lambda = 10, 25/25 at 0.1; with the toy script's
  own optimiser see ``wgan-gp-paper``). Image critics
  (thousands of inputs) keep the paper's lambda = 10.
* ``wgan-gp-lambda1``, ``wgan-gp-lambda10`` -- the same with lambda = 1 and 10 (25 Gaussians
  only): notebook 05's lambda sweep.
* ``wgan-gp-paper`` (25 Gaussians) -- lambda = 10 with ``gan_toy.py``'s optimiser: Adam 1e-4,
  betas (0.5, 0.9), 5 critic steps, no rate drop, 20,000 generator steps (a fifth of the
  script's 100,000; width 128, not its 512): what lambda = 10 does when given the paper's
  settings rather than the lambda = 0.1 recipe's (notebook 05).
* ``sngan`` (25 Gaussians, notebook 06) -- Miyato et al. 2018 as their released code trains
  (n_dis = 5): spectral norm on every critic layer, hinge loss, 5 critic steps, Adam betas
  (0.5, 0.9), otherwise WGAN-GP's toy recipe. (With 1 critic step, Adam 1e-3 and 40,000
  generator steps it diverged on all three seeds: 0/25 modes, W1 1.1-1.5.)
* ``sngan-wasserstein`` (25 Gaussians, notebook 06) -- the same spectrally normalised critic
  under WGAN-GP's loss: against ``wgan-gp`` only the constraint differs, against ``sngan``
  only the loss.
* ``sngan-settingA``, ``sngan-settingC`` (25 Gaussians, notebook 06) -- ``sngan`` at two more
  rows of Miyato et al.'s Table 1 (``sngan`` itself is setting D: Adam 1e-3, betas (0.5, 0.9),
  n_dis 5): A, Adam 1e-4, betas (0.5, 0.9), n_dis 5 (the WGAN-GP paper's); C, Adam 2e-4,
  betas (0.5, 0.999), n_dis 1 (DCGAN's). Ten seeds each.
* ``nonsaturating-<trick>`` (25 Gaussians and the ring, notebook 07) -- the non-saturating
  recipe with one of Salimans et al.'s tricks, or ``all`` of them (``all-but-<trick>``: all but
  that one, the leave-one-out ablation of ``all``): FM (feature matching),
  MBD (minibatch discrimination, B = 8, C = 4), LS (one-sided label smoothing, 0.9), HA
  (historical averaging, weight 1e-3; its running mean is not checkpointed, so a resumed HA
  run is not bit-for-bit a straight one), VBN (virtual batch norm in G, a 128-point
  reference batch). ``ring_nonsaturating`` is the ring's baseline.

MNIST recipes (``mnist_<method>``): DCGAN pairs (``DCGenerator`` / ``DCCritic``, 64-d noise)
on the shipped 5,000 digits, batch 64, lr / 10 for the second half.

* ``mnist_nonsaturating-MBD-EMA`` -- width 64, Adam 2e-4, betas (0.5, 0.999) (Radford et al.
  2016), minibatch discrimination in the critic (B = 32, C = 4), 20,000 steps with the rate
  dropped for the last quarter, and the exponential moving average of G's weights (decay
  0.999; Yazici et al. 2019) as the shipped generator (``metrics.mnist_legibility``;
  notebook 05), one seed.
* ``mnist_sngan-biggan-EMA`` -- the ``sngan`` objective and SN DCGAN critic (hinge, 1 critic
  step, Adam 2e-4, betas (0.5, 0.999)) against notebook 08's ``BigGANGenerator`` with one
  class (``generator="biggan"``; width 32, z in R^60), 40,000 steps with the rate dropped for
  the last quarter, EMA 0.999: the course's most legible unconditional MNIST generator
  (notebook 05), one seed. It was trained in stages from one chain of checkpoints (the same
  seed and settings give the same steps bit for bit); ``runs.json`` notes how, with the
  weight average's scores at checkpoints and two shorter runs that dropped the rate earlier.
* ``mnist_<method>-5k`` (notebook 06's comparison, 3 seeds, width 32) -- every method gets
  the same 5,000 critic updates: ``wgan-clip`` (RMSProp 5e-4, c = 0.01, 5 critic steps,
  1,000 generator steps), ``wgan-gp`` (Adam 5e-4, betas (0, 0.9), lambda = 10, 5 critic
  steps, 1,000 generator steps), ``sngan`` (SN critic, hinge, Adam 2e-4, betas (0.5, 0.999),
  1 critic step, 5,000 generator steps) and ``nonsaturating`` (DCGAN, same Adam, 5,000
  generator steps). The papers' rates for clipping (5e-5) and WGAN-GP (1e-4) are raised:
  at 1,000 generator steps they barely move the generator.
* ``mnist_nonsaturating-5k-MBD``, ``mnist_nonsaturating-5k-FM-MBD`` (notebook 07, 3 seeds)
  -- ``mnist_nonsaturating-5k`` (their baseline) with minibatch discrimination in the
  critic (B = 32, C = 4), and with feature matching as G's objective as well.

Conditional MNIST recipes (``mnist_cgan-<critic>``, notebook 08): ``BigGANGenerator`` (width
32, z in R^60, shared class embedding, conditional batch norm) against a spectrally normalised
DCGAN critic that sees the label by concatenation, an auxiliary classifier (AC-GAN) or
projection; hinge loss, Adam 2e-4, betas (0.5, 0.999), 1 critic step, batch 64, 4,000 steps
with the rate dropped for the last quarter, 3 seeds. ``mnist_cgan-acgan-long`` trains the best
of them for 10,000 steps; ``-orthogonal`` adds BigGAN's orthogonal regularisation of G
(beta = 1e-4), ``-attention`` a SAGAN block in G at 14x14 (one seed each).

What a file holds is ``shipped_state``'s choice: the generator always (float16 for MNIST),
the critic (float16) only for seeds 0-2 of the toy runs whose critics notebooks 05 and 06 show.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import _checks, toy
from ._checks import positive_int
from .data import SOURCES, data_dir, load_state_dict
from .models import MLP, DCCritic, DCGenerator
from .train import PAPER_SETTINGS, StepSettings, exponential_average, fit

__all__ = ["RECIPES", "RUNS_FILE", "SEEDS", "TEN_SEEDS", "TRICKS", "Recipe", "evaluate",
           "filename", "learning_curve", "load", "make_pair", "mnist_evaluation_digits",
           "learning_curves", "obtain", "provenance", "recipe", "runs", "scores", "select",
           "shipped_state", "stackable", "train", "train_ensemble"]

SEEDS = (0, 1, 2)
RUNS_FILE = "reference/runs.json"
TOY_SETS = ("8gaussians", "25gaussians", "swissroll")


@dataclass(frozen=True)
class Recipe:
    r"""How one reference run is trained.

    A run has two phases: the step's rate for the first part of ``steps``, then a tenth of
    it for the last ``finish`` fraction:

    .. math::

        \text{lr}(t) = \begin{cases} \text{lr} & t \le (1 - \text{finish})\, T \\
            \text{lr} / 10 & \text{otherwise} \end{cases}

    with :math:`T` = ``steps`` (the second phase has ``int(steps * finish)`` steps).

    Parameters
    ----------
    name : str
        The recipe's name, its key in :data:`RECIPES`.
    data : str
        A toy set name (``ganlab.toy``) or ``"mnist"`` (the shipped digits).
    step : train.StepSettings
        The training step's values (loss, n_critic, batch size, optimiser, lr, betas,
        penalty, clip); the rate drops to lr / 10 for the last ``finish`` fraction of
        ``steps``.
    steps : int
        Generator steps of a run.
    width, depth, z_dim : int, default 128, 3, 2
        The networks (toy: ``MLP`` pair; MNIST: ``DCGenerator`` / ``DCCritic``, depth
        unused).
    finish : float, default 0.5
        The fraction of ``steps`` trained at lr / 10.
    notebook : str, default "05"
        The notebook that uses the recipe.
    seeds : tuple of int, default SEEDS
        The seeds that are shipped.
    tricks : tuple of str, default ()
        The tricks of :data:`TRICKS` the run uses.
    sn : bool, default False
        Spectral norm in the critic.
    conditional : str, optional
        None, or how the critic sees the label -- a key of ``ganlab.conditional.CRITICS``
        (G is then a ``BigGANGenerator``).
    orthogonal : float, default 0.0
        BigGAN's orthogonal regularisation of G, this weight (beta) times
        ``regularizers.orthogonal_penalty(G)`` added to G's loss (0: none).
    attention : bool, default False
        A SAGAN self-attention block in the conditional G, at 14x14.
    ema : float, default 0.0
        When not 0, the decay of an exponential moving average of G's weights
        (``train.exponential_average``); the average is the run's generator.
    generator : {"dcgan", "biggan"}, default "dcgan"
        An unconditional MNIST G -- "dcgan" (``DCGenerator``) or "biggan" (the
        ``BigGANGenerator`` of notebook 08 with one class: hierarchical z into conditional
        batch norm and a last 3x3 convolution at full resolution).

    Raises
    ------
    TypeError
        ``step`` is not a ``train.StepSettings``.
    ValueError
        ``generator`` is unknown, or not "dcgan" for a recipe that is not unconditional
        MNIST.
    """

    name: str
    data: str
    step: StepSettings
    steps: int
    width: int = 128
    depth: int = 3
    z_dim: int = 2
    finish: float = 0.5
    notebook: str = "05"
    seeds: tuple[int, ...] = field(default=SEEDS)
    tricks: tuple[str, ...] = ()
    sn: bool = False
    conditional: str | None = None
    orthogonal: float = 0.0
    attention: bool = False
    ema: float = 0.0
    generator: str = "dcgan"

    def __post_init__(self):
        if not isinstance(self.step, StepSettings):
            raise TypeError(f"step must be a ganlab.train.StepSettings, got "
                            f"{type(self.step).__name__}")
        _checks.one_of("generator", self.generator, ("dcgan", "biggan"), "Recipe.generator")
        if self.generator != "dcgan" and (self.data != "mnist" or self.conditional):
            raise ValueError(f"generator={self.generator!r} is an unconditional MNIST generator; "
                             f"recipe {self.name} has data={self.data!r}, "
                             f"conditional={self.conditional!r}")

    def fingerprint(self, steps: int | None = None) -> str:
        """A short hash of the recipe (and run length).

        It names the recipe's checkpoints, so that a changed recipe never resumes from
        another recipe's checkpoint.

        Parameters
        ----------
        steps : int, optional
            The run length; default (or 0) the recipe's ``steps``.

        Returns
        -------
        str
            The first 10 hex digits of the SHA-256 of :meth:`describe` with ``steps``.
        """
        text = json.dumps({**self.describe(), "steps": steps or self.steps}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def describe(self) -> dict:
        """The recipe as plain JSON values (what ``runs.json`` records).

        The step's loss, its constraint where it has one (clip; penalty and its weight),
        n_critic and the optimiser (Adam's betas; None for RMSProp, which has none), then
        the rest; the conditional, ``ema`` and ``generator`` entries only where they apply.

        Returns
        -------
        dict
            JSON-serialisable values, keyed by name (``lr_drop_fraction`` is ``finish``,
            ``spectral_norm`` is ``sn``).
        """
        step = self.step
        return {"data": self.data, "loss": step.loss,
                **({"clip": step.clip} if step.clip is not None else {}),
                **({"penalty": step.penalty, "penalty_weight": step.penalty_weight}
                   if step.penalty is not None else {}),
                "n_critic": step.n_critic, "optimizer": step.optimizer, "lr": step.lr,
                "betas": list(step.betas) if step.optimizer == "adam" else None,
                "steps": self.steps, "batch_size": step.batch_size, "width": self.width,
                "depth": self.depth, "z_dim": self.z_dim, "lr_drop_fraction": self.finish,
                "tricks": list(self.tricks), "spectral_norm": self.sn,
                **({"conditional": self.conditional, "orthogonal": self.orthogonal,
                    "attention": self.attention} if self.conditional else {}),
                **({"ema": self.ema} if self.ema else {}),
                **({"generator": self.generator} if self.generator != "dcgan" else {})}


# The toys' steps: the papers' settings (train.PAPER_SETTINGS) with what the 2-D toys change
# -- batches of 256 and larger rates; WGAN-GP as gan_toy.py runs it (betas (0.5, 0.9)) with
# lambda = 0.1 (see the module docstring)
_DCGAN, _WGAN, _WGAN_GP = (PAPER_SETTINGS[k] for k in ("dcgan", "wgan", "wgan-gp"))
_TOY_METHODS = {
    "nonsaturating": dict(step=_DCGAN.replace(lr=1e-3, batch_size=256)),
    "wgan-clip": dict(step=_WGAN.replace(lr=5e-4, batch_size=256)),
    "wgan-gp": dict(step=_WGAN_GP.replace(lr=1e-3, betas=(0.5, 0.9), penalty_weight=0.1,
                                          batch_size=256)),
}


def _toy_recipes() -> dict[str, Recipe]:
    out = {}
    for toy_set in TOY_SETS:
        for method, kw in _TOY_METHODS.items():
            out[f"{toy_set}_{method}"] = Recipe(f"{toy_set}_{method}", toy_set, steps=8000, **kw)
    gp = _TOY_METHODS["wgan-gp"]["step"]
    for lam in (1, 10):
        name = f"25gaussians_wgan-gp-lambda{lam}"
        out[name] = Recipe(name, "25gaussians", steps=8000, step=gp.replace(penalty_weight=lam))
    # lambda = 10 with gan_toy.py's optimiser (Adam 1e-4, betas (0.5, 0.9), no rate drop):
    # a fifth of its 100,000 generator steps, with the learning curve to show where it is.
    out["25gaussians_wgan-gp-paper"] = Recipe(
        "25gaussians_wgan-gp-paper", "25gaussians", steps=20000, finish=0.0,
        step=gp.replace(lr=1e-4, penalty_weight=10.0))
    return out


TRICKS = ("FM", "MBD", "LS", "HA", "VBN")


# Miyato et al. 2018, Table 1: (Adam's alpha, (beta1, beta2), n_dis) of settings A and C
SN_SETTINGS = {"A": (1e-4, (0.5, 0.9), 5), "C": (2e-4, (0.5, 0.999), 1)}


def _comparison_recipes() -> dict[str, Recipe]:
    ns = _TOY_METHODS["nonsaturating"]
    out = {"ring_nonsaturating": Recipe("ring_nonsaturating", "ring", steps=8000,
                                        notebook="07", **ns),
           "25gaussians_sngan": Recipe(
               "25gaussians_sngan", "25gaussians",
               StepSettings(loss="hinge", n_critic=5, lr=1e-3, betas=(0.5, 0.9),
                            batch_size=256), steps=8000, sn=True, notebook="06"),
           # the same spectrally normalised critic under WGAN-GP's loss: GP vs SN with the
           # loss held fixed (only the constraint differs)
           "25gaussians_sngan-wasserstein": Recipe(
               "25gaussians_sngan-wasserstein", "25gaussians",
               StepSettings(loss="wasserstein", n_critic=5, lr=1e-3, betas=(0.5, 0.9),
                            batch_size=256), steps=8000, sn=True, notebook="06")}
    # SN-GAN at two more of its paper's settings (Miyato et al. 2018, Table 1; the recipe
    # above is setting D): A (WGAN-GP's) and C (DCGAN's, one critic step)
    for setting, (lr, betas, n_critic) in SN_SETTINGS.items():
        name = f"25gaussians_sngan-setting{setting}"
        out[name] = Recipe(name, "25gaussians",
                           StepSettings(loss="hinge", n_critic=n_critic, lr=lr, betas=betas,
                                        batch_size=256), steps=8000, sn=True, notebook="06")
    for toy_set in ("25gaussians", "ring"):
        for trick in (*TRICKS, "all"):
            name = f"{toy_set}_nonsaturating-{trick}"
            out[name] = Recipe(name, toy_set, steps=8000, notebook="07",
                               tricks=TRICKS if trick == "all" else (trick,), **ns)
        for left_out in TRICKS:   # the leave-one-out ablation of "all"
            name = f"{toy_set}_nonsaturating-all-but-{left_out}"
            out[name] = Recipe(name, toy_set, steps=8000, notebook="07",
                               tricks=tuple(t for t in TRICKS if t != left_out), **ns)
    return out


def _mnist_comparison() -> dict[str, Recipe]:
    methods = {
        "wgan-clip": dict(step=_WGAN.replace(lr=5e-4)),
        "wgan-gp": dict(step=_WGAN_GP.replace(lr=5e-4)),
        "sngan": dict(step=_DCGAN.replace(loss="hinge", batch_size=64), sn=True),
        "nonsaturating": dict(step=_DCGAN.replace(batch_size=64)),
    }
    return {f"mnist_{m}-5k": Recipe(f"mnist_{m}-5k", "mnist",
                                    steps=5000 // kw["step"].n_critic, width=32, z_dim=64,
                                    notebook="06", **kw)
            for m, kw in methods.items()}


def _mnist_tricks() -> dict[str, Recipe]:
    """Notebook 07 on MNIST: the non-saturating 5k recipe (its baseline) with minibatch
    discrimination (B = 32, C = 4), and with feature matching as well."""
    base = _mnist_comparison()["mnist_nonsaturating-5k"]
    out = {}
    for tricks in (("MBD",), ("FM", "MBD")):
        name = "mnist_nonsaturating-5k-" + "-".join(tricks)
        out[name] = Recipe(name, "mnist", base.step, base.steps, base.width, z_dim=base.z_dim,
                           notebook="07", tricks=tricks)
    return out


def _conditional_recipes() -> dict[str, Recipe]:
    """Notebook 08: one BigGAN-style G against critics that see the label in different ways
    (3 seeds, 4,000 steps): AC-GAN, concatenation and projection on AC-GAN's trunk and score
    head (``concat-planes``, ``projection-flat``) and in their usual forms (``concat``,
    ``projection``); AC-GAN trained longer, and with BigGAN's orthogonal regularisation or
    SAGAN's attention in G (one seed each)."""
    common = dict(data="mnist", step=_DCGAN.replace(loss="hinge", batch_size=64), steps=4000,
                  width=32, z_dim=60, finish=0.25, sn=True, notebook="08")
    out = {f"mnist_cgan-{c}": Recipe(f"mnist_cgan-{c}", conditional=c, **common)
           for c in ("concat", "acgan", "projection")}
    # the fair pair of AC-GAN: its trunk and score head, the label entering as input planes,
    # or through the projection term on the flattened maps (conditional.CRITICS)
    for c in ("concat-planes", "projection-flat"):
        out[f"mnist_cgan-{c}"] = Recipe(f"mnist_cgan-{c}", conditional=c, **common)
    out["mnist_cgan-acgan-long"] = Recipe("mnist_cgan-acgan-long", conditional="acgan",
                                          seeds=(0,), **{**common, "steps": 10000})
    out["mnist_cgan-acgan-orthogonal"] = Recipe("mnist_cgan-acgan-orthogonal",
                                                conditional="acgan", orthogonal=1e-4,
                                                seeds=(0,), **common)
    out["mnist_cgan-acgan-attention"] = Recipe("mnist_cgan-acgan-attention",
                                               conditional="acgan", attention=True,
                                               seeds=(0,), **common)
    return out


# Toy recipes trained on ten seeds (0-9), as one ensemble each where the networks stack (the
# comparisons of notebooks 05, 06 and 07); the others keep the three seeds they were trained
# with.
TEN_SEEDS = tuple(range(10))
_TEN_SEED_RECIPES = (*(f"{s}_nonsaturating{t}" for s in ("25gaussians", "ring")
                       for t in ("", "-FM", "-HA", "-LS")),
                     *(f"{s}_nonsaturating-VBN" for s in ("25gaussians", "ring")),  # one run
                     # per seed (no stacked VBN)
                     *(f"25gaussians_{m}" for m in ("wgan-gp", "wgan-gp-paper", "sngan",
                                                    "sngan-wasserstein", "sngan-settingA",
                                                    "sngan-settingC")))


def _with_ten_seeds(recipes: dict[str, Recipe]) -> dict[str, Recipe]:
    return {name: dataclasses.replace(r, seeds=TEN_SEEDS) if name in _TEN_SEED_RECIPES else r
            for name, r in recipes.items()}


RECIPES: dict[str, Recipe] = {
    **_with_ten_seeds(_toy_recipes()),
    **_with_ten_seeds(_comparison_recipes()),
    "mnist_nonsaturating-MBD-EMA": Recipe(
        "mnist_nonsaturating-MBD-EMA", "mnist", _DCGAN.replace(batch_size=64),
        steps=20000, width=64, z_dim=64, seeds=(0,), finish=0.25,
        tricks=("MBD",), ema=0.999, notebook="08"),
    "mnist_sngan-biggan-EMA": Recipe(
        "mnist_sngan-biggan-EMA", "mnist", _DCGAN.replace(loss="hinge", batch_size=64),
        steps=40000, width=32, z_dim=60, seeds=(0,), finish=0.25, sn=True,
        ema=0.999, generator="biggan", notebook="08"),
    **_mnist_comparison(),
    **_mnist_tricks(),
    **_conditional_recipes(),
}


def recipe(name: str) -> Recipe:
    """The recipe called ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`RECIPES`.

    Returns
    -------
    Recipe

    Raises
    ------
    ValueError
        ``name`` is not a reference recipe (the message lists the known names).
    """
    return RECIPES[_checks.one_of("name", name, RECIPES, "the reference recipes")]


def select(patterns: list[str] | None = None) -> list[Recipe]:
    """Recipes whose names match any of the shell-style ``patterns`` (all when None).

    Parameters
    ----------
    patterns : list of str, optional
        ``fnmatch`` patterns, e.g. ``["toy-*"]``; None or empty: every recipe.

    Returns
    -------
    list of Recipe
        In the order of :data:`RECIPES`.

    Raises
    ------
    TypeError
        ``patterns`` is not a list or tuple of str.
    ValueError
        No recipe matches.
    """
    if patterns is not None and (not isinstance(patterns, (list, tuple))
                                 or not all(isinstance(p, str) for p in patterns)):
        raise TypeError(f"patterns must be a list of str (shell-style), got {patterns!r}")
    if not patterns:
        return list(RECIPES.values())
    chosen = [r for r in RECIPES.values() if any(fnmatch.fnmatch(r.name, p) for p in patterns)]
    if not chosen:
        raise ValueError(f"no recipe matches patterns {patterns}; known: {', '.join(RECIPES)}")
    return chosen


def filename(name: str, seed: int = 0) -> str:
    """Path of a shipped run inside ``data/``: ``reference/<recipe>_s<seed>.pt``.

    Parameters
    ----------
    name : str
        A reference recipe.
    seed : int, default 0
        One of the recipe's ``seeds``.

    Returns
    -------
    str
        The path, relative to the data folder.

    Raises
    ------
    ValueError
        An unknown recipe, or a seed the recipe does not ship.
    """
    if seed not in recipe(name).seeds:
        raise ValueError(f"seed must be one of {recipe(name).seeds} for {name}, got {seed!r}")
    return f"reference/{name}_s{seed}.pt"


def make_pair(name: str, seed: int = 0):
    """A fresh (generator, critic) pair with the recipe's architecture, initialised by ``seed``.

    The weights are drawn under ``torch.manual_seed(seed)`` inside a forked random state:
    the caller's global random state is left alone.

    Parameters
    ----------
    name : str
        A reference recipe.
    seed : int, default 0
        The initialisation seed, >= 0.

    Returns
    -------
    (torch.nn.Module, torch.nn.Module)
        ``(G, D)``.

    Raises
    ------
    ValueError
        An unknown recipe, or a seed that is not a non-negative int.
    """
    r = recipe(name)
    positive_int("seed", seed, zero_ok=True)
    with torch.random.fork_rng(devices=[]):  # the seed decides; the caller's RNG is left alone
        torch.manual_seed(seed)
        return _build_pair(r, seed)


def _build_pair(r: Recipe, seed: int):
    if r.conditional:
        from . import conditional

        critic = conditional.CRITICS[r.conditional]
        return (conditional.BigGANGenerator(z_dim=r.z_dim, width=r.width,
                                            attention=r.attention),
                critic(width=r.width, sn=r.sn))
    if r.data == "mnist" and r.generator == "biggan":
        from .conditional import BigGANGenerator

        return (BigGANGenerator(1, r.z_dim, width=r.width),
                DCCritic(width=r.width, sn=r.sn))
    if r.data == "mnist":
        mbd = (32, 4) if "MBD" in r.tricks else None  # notebook 07's live MNIST runs
        return DCGenerator(r.z_dim, width=r.width), DCCritic(width=r.width, sn=r.sn,
                                                             minibatch_discrimination=mbd)
    if "VBN" in r.tricks:
        G = _vbn_generator(r, seed)
    else:
        G = MLP(r.z_dim, 2, width=r.width, depth=r.depth)
    mbd = (8, 4) if "MBD" in r.tricks else None
    return G, MLP(2, 1, width=r.width, depth=r.depth, sn=r.sn, minibatch_discrimination=mbd)


def _vbn_generator(r: Recipe, seed: int):
    from torch import nn

    from .tricks import VirtualBatchNorm, WithReferenceBatch

    layers, size = [], r.z_dim
    for _ in range(r.depth):
        layers += [nn.Linear(size, r.width), VirtualBatchNorm(r.width), nn.ReLU()]
        size = r.width
    reference_z = torch.randn(128, r.z_dim, generator=torch.Generator().manual_seed(seed + 100))
    return WithReferenceBatch(nn.Sequential(*layers, nn.Linear(size, 2)), reference_z)


def _trick_options(r: Recipe, G, D) -> tuple[StepSettings, dict]:
    """The recipe's step and the ``fit`` keyword arguments of its Improved-GAN tricks
    (notebook 07) and orthogonal regularisation."""
    from . import tricks

    step, options = r.step, {}
    g_terms, d_terms = [], []  # extra loss terms of each player, summed in this order
    if r.orthogonal:
        from .regularizers import orthogonal_penalty

        g_terms.append(lambda: r.orthogonal * orthogonal_penalty(G))
    if "LS" in r.tricks:
        step = step.replace(loss=tricks.smooth_labels(step.loss, 0.9))
    if "FM" in r.tricks:
        options["generator_objective"] = tricks.feature_matching_objective
    if "HA" in r.tricks:
        ha_g, ha_d = tricks.HistoricalAveraging(G), tricks.HistoricalAveraging(D)
        g_terms.append(lambda: 1e-3 * ha_g.penalty())
        d_terms.append(lambda: 1e-3 * ha_d.penalty())
    for key, terms in (("g_extra", g_terms), ("d_extra", d_terms)):
        if terms:
            options[key] = _summed(terms)
    return step, options


def _summed(terms: list):
    """One zero-argument callable returning the sum of ``terms``' results (a single term is
    returned as it is, so a run with one extra term computes exactly what it always did)."""
    if len(terms) == 1:
        return terms[0]

    def total():
        out = terms[0]()
        for term in terms[1:]:
            out = out + term()
        return out

    return total


def _data(r: Recipe, source: str):
    if r.data == "mnist":
        from .data import mnist

        return mnist(source)
    return lambda n, g: toy.sample(r.data, n, g)


def _set_lr(optimizers, lr: float) -> None:
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = lr


def train(name: str, seed: int = 0, *, steps: int | None = None, device=None,
          checkpoint_dir: str | Path | None = None, mnist_source: str = "shipped",
          progress: bool = False, curve_points: int | None = None):
    """Train recipe ``name`` with ``seed``; return (G, D) in eval mode, on the CPU.

    G is the running average of the generator's weights for recipes with ``ema``.
    ``steps`` overrides the recipe's length (tests, quick looks). With ``checkpoint_dir``
    each phase checkpoints there (``<recipe>_s<seed>_<fingerprint>.phase<k>.pt``: a changed
    recipe starts afresh) and a rerun resumes where it stopped (``fit``'s resume): the result
    is bit-for-bit that of an uninterrupted run on the CPU. With ``curve_points`` it returns
    ``(G, D, curve)``, the run recorded at that many evenly spaced steps for
    ``learning_curve``: for a toy, ``curve`` is as ``train_ensemble``'s for one member (G's
    samples of the fixed noise); for MNIST, ``{"steps": [...], "states": [G's state dicts]}``
    (refused for recipes with ``ema``, whose generator is the average). Recording draws no
    random numbers and trains nothing, so the weights are those of a run without it (only
    virtual batch norm's stored reference statistics, re-recorded by every forward, differ).

    Parameters
    ----------
    name : str
        A reference recipe.
    seed : int, default 0
        Initialises the networks (:func:`make_pair`) and seeds the run's random generator.
    steps : int, optional
        The run's length; default the recipe's.
    device : str or torch.device, optional
        Where to train; default the CPU.
    checkpoint_dir : str or path, optional
        Where each phase checkpoints, as above.
    mnist_source : str, default "shipped"
        For MNIST recipes, one of ``data.SOURCES`` (``ganlab.data.mnist``'s ``source``).
    progress : bool, default False
        Show ``fit``'s progress bars.
    curve_points : int, optional
        Record the run at that many evenly spaced steps, as above.

    Returns
    -------
    (G, D) or (G, D, curve)
        The trained pair, and with ``curve_points`` the recorded curve.

    Raises
    ------
    ValueError
        An unknown recipe or ``mnist_source``; ``steps`` or ``curve_points`` not a positive
        int; ``curve_points`` for a recipe with ``ema``; and what ``fit`` raises.
    """
    r = recipe(name)
    if steps is not None:
        positive_int("steps", steps)
    _checks.one_of("mnist_source", mnist_source, SOURCES, "ganlab.data.mnist")
    steps = r.steps if steps is None else steps
    record = {}
    if curve_points is not None:
        positive_int("curve_points", curve_points)
        if r.ema:
            raise ValueError(f"curve_points: {name} keeps a running average of G (ema), which "
                             "the recorded states would not be; train it without a curve")
        record = dict(snapshot_every=max(1, steps // curve_points),
                      snapshot=(_state_copy if r.data == "mnist"
                                else _samples_of(_fixed_noise(r))))
    G, D = make_pair(name, seed)
    G, D, shots = _train_phases(r, G, D, torch.Generator().manual_seed(seed), f"s{seed}",
                                steps, device, checkpoint_dir, _data(r, mnist_source), progress,
                                **record)
    if curve_points is None:
        return G.cpu().eval(), D.cpu().eval()
    key, values = (("states", [x for _, x in shots]) if r.data == "mnist" else
                   ("samples", [x[None] for _, x in shots]))
    return G.cpu().eval(), D.cpu().eval(), {"steps": [step for step, _ in shots], key: values}


def _samples_of(z: torch.Tensor):
    """A snapshot: G's samples of the fixed noise ``z``, on the CPU."""
    return lambda G, D: G(z.to(next(G.parameters()).device)).cpu()


def _state_copy(G, D) -> dict:
    """A snapshot: a CPU copy of G's state dict."""
    return {k: v.detach().cpu().clone() for k, v in G.state_dict().items()}


def _fixed_noise(r: Recipe, n: int = 1000) -> torch.Tensor:
    """The fixed noise (seed 1, ``n`` rows) that ``evaluate`` scores a generator on, the
    same for every seed; a learning curve's points use ``n`` = 1,000."""
    return torch.randn(n, r.z_dim, generator=torch.Generator().manual_seed(1))


def train_ensemble(name: str, seeds=None, *, steps: int | None = None, device=None,
                   checkpoint_dir: str | Path | None = None, progress: bool = False,
                   curve_points: int = 10):
    """Train a toy recipe's ``seeds`` at once, as one stacked ensemble (``ganlab.ensemble``).

    Member k starts from ``make_pair(name, seeds[k])`` and draws everything from
    ``torch.Generator().manual_seed(seeds[k])``: it is the run ``train(name, seeds[k])`` makes
    (up to the rounding of batched products), for a fraction of the cost per seed. Returns
    ``(pairs, curve)``: ``pairs[k]`` is member k's (G, D) as ordinary networks in eval mode on
    the CPU; ``curve`` is ``{"steps": [...], "samples": [S tensors (n, 2) per point]}``, the
    members' samples of ``evaluate``'s fixed noise at ``curve_points`` evenly spaced steps
    (the learning curve is scored from them). Checkpoints under ``checkpoint_dir`` name the
    seeds, so a rerun resumes. MNIST recipes are refused: their networks are convolutional
    (one run per seed, ``train``), and virtual batch norm cannot be stacked (``ensemble.stack``
    says so).

    Parameters
    ----------
    name : str
        A toy reference recipe.
    seeds : list of int, optional
        Distinct seeds >= 0; default the recipe's ``seeds``.
    steps : int, optional
        The run's length; default the recipe's.
    device : str or torch.device, optional
        Where to train; default the CPU.
    checkpoint_dir : str or path, optional
        Where the phases checkpoint.
    progress : bool, default False
        Show ``fit``'s progress bars.
    curve_points : int, default 10
        The number of recorded points of the curve.

    Returns
    -------
    pairs : list of (models.MLP, models.MLP)
        Each member's (G, D).
    curve : dict
        ``{"steps": [...], "samples": [...]}``, as above.

    Raises
    ------
    ValueError
        An unknown or non-toy recipe; ``seeds`` empty, repeated or negative; ``steps`` or
        ``curve_points`` not a positive int; networks ``ensemble.stack`` cannot stack.
    """
    from .ensemble import stack

    r = recipe(name)
    if r.data not in TOY_SETS + ("ring",):
        raise ValueError(f"name must be a toy recipe (train_ensemble stacks the toy MLPs); "
                         f"{name} has data={r.data!r}: train MNIST recipes one seed at a "
                         "time with reference.train")
    seeds = r.seeds if seeds is None else seeds
    if not isinstance(seeds, (list, tuple)) or not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct seeds, got {seeds!r}")
    for seed in seeds:
        positive_int("seeds", seed, zero_ok=True)
    if steps is not None:
        positive_int("steps", steps)
    positive_int("curve_points", curve_points)
    steps = r.steps if steps is None else steps
    pairs = [make_pair(name, seed) for seed in seeds]
    G, D = stack([g for g, _ in pairs]), stack([d for _, d in pairs])
    z = _fixed_noise(r)
    tag = "s" + "-".join(map(str, seeds))
    gens = [torch.Generator().manual_seed(seed) for seed in seeds]
    G, D, snapshots = _train_phases(r, G, D, gens, tag, steps, device, checkpoint_dir,
                                    _data(r, "shipped"), progress,
                                    snapshot_every=max(1, steps // curve_points),
                                    snapshot=_samples_of(z))
    G, D = G.cpu().eval(), D.cpu().eval()
    curve = {"steps": [step for step, _ in snapshots], "samples": [x for _, x in snapshots]}
    return [(G.member(k), D.member(k)) for k in range(len(seeds))], curve


def _train_phases(r: Recipe, G, D, generator, tag: str, steps: int, device, checkpoint_dir,
                  data, progress: bool, snapshot_every: int | None = None, snapshot=None):
    """The recipe's two phases (full rate, then lr / 10 for the last ``finish`` fraction),
    through ``fit``. Returns (G or its running average, D, snapshots): with ``snapshot``,
    ``snapshot(G, D)`` every ``snapshot_every`` steps as (step, value) pairs, steps counted
    over the whole run."""
    G.to(device or "cpu")
    D.to(device or "cpu")
    optimizers = r.step.optimizers(G, D)  # shared by both phases
    step, options = _trick_options(r, G, D)
    average = exponential_average(G, r.ema) if r.ema else None
    if snapshot is not None:
        options.update(snapshot_every=snapshot_every, snapshot=snapshot)
    finish = int(steps * r.finish)
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    snapshots, done = [], 0
    for phase, (phase_steps, scale) in enumerate(((steps - finish, 1.0), (finish, 0.1))):
        _set_lr(optimizers, r.step.lr * scale)  # a resumed phase reloads the same rate
        if phase_steps:
            ckpt = (folder / f"{r.name}_{tag}_{r.fingerprint(steps)}.phase{phase}.pt"
                    if folder is not None else None)
            history = fit(G, D, data, step, steps=phase_steps, optimizers=optimizers,
                          z_dim=r.z_dim, generator=generator, device=device,
                          progress=progress, log_every=100, checkpoint=ckpt,
                          conditional=bool(r.conditional), average=average, **options)
            snapshots += [(done + step, x) for step, x in history.snapshots]
            done += phase_steps
    if average is not None:
        G = average.module
    return G, D, snapshots


def shipped_state(name: str, G, D, seed: int) -> dict:
    """What the shipped file of recipe ``name`` and ``seed`` holds.

    The generator's state dict -- in float16 for MNIST (half the size; the metrics in
    runs.json are computed from these rounded weights) -- and the critic's only where a
    notebook uses it: the toy methods of notebooks 05 and 06 (heat maps, slopes, peaks),
    seeds ``SEEDS`` only, in float16 (a critic is only drawn and probed, never scored).

    Parameters
    ----------
    name : str
        A reference recipe.
    G, D : torch.nn.Module
        The trained pair.
    seed : int
        The run's seed, >= 0.

    Returns
    -------
    dict
        ``{"G": state dict}``, plus ``"D"`` where the critic ships.

    Raises
    ------
    ValueError
        As :func:`make_pair`: ``name`` is no recipe, or ``seed`` is no non-negative int.
    """
    r = recipe(name)
    positive_int("seed", seed, zero_ok=True)
    state = {"G": G.state_dict()}
    if r.data == "mnist":
        state["G"] = _half(state["G"])
    elif r.notebook in ("05", "06") and seed in SEEDS:
        state["D"] = _half(D.state_dict())
    return state


def _half(state: dict) -> dict:
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def load(name: str, seed: int = 0, *, critic: bool = False):
    """The shipped generator of recipe ``name`` and ``seed``, in eval mode.

    The file is sha256-checked and read with ``weights_only``.

    Parameters
    ----------
    name : str
        A reference recipe.
    seed : int, default 0
        One of the recipe's shipped seeds.
    critic : bool, default False
        Return (G, D) instead of G alone.

    Returns
    -------
    torch.nn.Module or (torch.nn.Module, torch.nn.Module)
        G, or ``(G, D)`` with ``critic=True``.

    Raises
    ------
    ValueError
        An unknown recipe or seed; ``critic=True`` for a run shipped without its critic.
    """
    G, D = make_pair(name, seed)
    state = load_state_dict(filename(name, seed))
    G.load_state_dict(state["G"])
    if not critic:
        return G.eval()
    if "D" not in state:  # see shipped_state: critics ship only where a notebook uses them
        raise ValueError(f"the shipped {name} run has no critic; pass critic=False")
    D.load_state_dict(state["D"])
    return G.eval(), D.eval()


def obtain(name: str, seed: int = 0, *, critic: bool = False):
    """What a notebook uses: the shipped run, or under the ``full`` budget a live retraining.

    Under the ``quick`` budget this is :func:`load`; under ``full``, the recipe retrained
    live on ``runtime.device()``: a toy recipe's seeds all at once as one ensemble
    (``train_ensemble``, once per session), an MNIST recipe one seed at a time (``train``,
    full MNIST when it can be had).

    The arguments and what is returned are as for :func:`load` (``ValueError`` for an
    unknown recipe or seed).
    """
    from . import runtime

    filename(name, seed)   # a known recipe and one of its seeds
    if runtime.budget() == "full":
        if stackable(name):   # a toy recipe: all its seeds at once, once per session
            G, D = _retrained_ensemble(name, runtime.device())[recipe(name).seeds.index(seed)]
        else:
            G, D = train(name, seed, device=runtime.device(), mnist_source="auto")
        return (G, D) if critic else G
    return load(name, seed, critic=critic)


def stackable(name: str) -> bool:
    """Whether ``train_ensemble`` can train recipe ``name``.

    True for a toy recipe without virtual batch norm (the others train one run per seed
    with ``train``).

    Parameters
    ----------
    name : str
        A reference recipe.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        ``name`` is not a reference recipe (the message lists the known names).
    """
    r = recipe(name)
    return r.data != "mnist" and "VBN" not in r.tricks


@functools.cache
def _retrained_ensemble(name: str, device) -> list:
    """Under ``full``: every seed of a toy recipe retrained as one ensemble (cached, so a
    notebook that asks for each seed in turn trains them once)."""
    pairs, _ = train_ensemble(name, list(recipe(name).seeds), device=device)
    return pairs


def runs() -> dict:
    """Provenance of the shipped runs, as ``data/reference/runs.json`` records it.

    Returns
    -------
    dict
        ``{recipe: {seed: {...}}}`` with recipe, steps, wall seconds, device, torch version
        and final metrics; empty when the file does not exist.
    """
    path = data_dir() / RUNS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def scores(name: str, *, rescore=SEEDS) -> dict[int, dict]:
    """Every seed's ``evaluate`` scores, ``{seed: metrics}``, as the notebooks compare them.

    Under ``full`` each seed's retrained generator (``obtain``) is scored. Under ``quick`` the
    seeds in ``rescore`` are scored from their shipped files and must reproduce what
    ``runs.json`` recorded when they were shipped (``RuntimeError`` naming the run and the
    score otherwise); the other seeds' scores are read from ``runs.json`` -- the same numbers,
    without the minutes of scoring them again.

    Parameters
    ----------
    name : str
        A reference recipe.
    rescore : collection of int, default SEEDS
        The seeds scored afresh under ``quick``.

    Returns
    -------
    dict of int to dict
        ``{seed: metrics}`` for every seed of the recipe.

    Raises
    ------
    ValueError
        An unknown recipe.
    RuntimeError
        Under ``quick``, a rescored seed's shipped file does not reproduce its record.
    """
    from . import runtime

    r, recorded = recipe(name), runs().get(name, {})
    out = {}
    for seed in r.seeds:
        if runtime.budget() == "full" or seed in rescore:
            out[seed] = evaluate(name, obtain(name, seed))
            if runtime.budget() == "quick":
                _check_recorded(name, seed, out[seed], recorded[str(seed)]["metrics"])
        else:
            out[seed] = recorded[str(seed)]["metrics"]
    return out


def _check_recorded(name: str, seed: int, got: dict, recorded: dict) -> None:
    for key, value in recorded.items():
        a, b = torch.tensor(got[key], dtype=torch.float64), torch.tensor(value, dtype=torch.float64)
        if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-5, atol=1e-6):
            raise RuntimeError(f"{name} seed {seed}: the shipped file scores {key} = {got[key]}, "
                               f"but runs.json records {value}: the file and its record disagree")


def learning_curves(name: str, key: str) -> tuple[list[int], list[list[float]]]:
    """The learning curves of score ``key`` that ``runs.json`` records for recipe ``name``.

    One curve per seed that has one (``learning_curve`` computed them).
    ``stats.late_change`` says whether they are flat.

    Parameters
    ----------
    name : str
        A reference recipe.
    key : str
        A recorded score of the curve, e.g. ``"w1"``.

    Returns
    -------
    steps : list of int
        The recorded steps.
    values : list of list of float
        ``values[i]``: one seed's scores at ``steps``.

    Raises
    ------
    ValueError
        An unknown recipe; no recorded curve; ``key`` is not a recorded score; the seeds'
        curves were recorded at different steps.
    """
    recorded = runs().get(recipe(name).name, {})
    curves = [entry["curve"] for entry in recorded.values() if "curve" in entry]
    if not curves:
        raise ValueError(f"{name} has no recorded learning curve (runs.json)")
    if key not in curves[0]:
        raise ValueError(f"key must be a recorded score of {name}'s curve "
                         f"({', '.join(k for k in curves[0] if k != 'steps')}); got {key!r}")
    steps = curves[0]["steps"]
    if any(c["steps"] != steps for c in curves):
        raise ValueError(f"{name}'s seeds recorded their curves at different steps")
    return steps, [c[key] for c in curves]


def evaluate(name: str, G, *, n: int = 2500, n_w1: int = 1000) -> dict:
    """The metrics recorded for a run (fixed noise and data seeds, so reruns agree).

    Gaussian toys: modes and high-quality fraction of ``n`` samples (3 std, VEEGAN's
    protocol). Every toy: exact W1 (POT) between ``n_w1`` samples and ``n_w1`` data points,
    beside the W1 between two independent data samples of that size (the floor).
    MNIST: Frechet score and legibility of 2,000 samples against the shipped digits.
    Conditional MNIST: 200 samples asked of each class -- label fidelity (overall and per
    class), mean intra-class diversity and mean per-class Frechet against the evaluation
    digits of that class, and the overall Frechet score.

    ``G`` is moved to the CPU and put in eval mode; the noise is the fixed draw of seed 1.

    Parameters
    ----------
    name : str
        A reference recipe.
    G : torch.nn.Module
        The recipe's generator.
    n : int, default 2500
        Noise vectors drawn.
    n_w1 : int, default 1000
        Toy points in the W1 estimate.

    Returns
    -------
    dict
        Metric name -> value.

    Raises
    ------
    ValueError
        An unknown recipe; ``n`` or ``n_w1`` not a positive int.
    TypeError
        ``G`` is not a ``torch.nn.Module``.
    """
    from . import metrics

    r = recipe(name)
    _checks.module("G", G)
    positive_int("n", n)
    positive_int("n_w1", n_w1)
    G = G.cpu().eval()
    z = _fixed_noise(r, n)
    if r.conditional:
        return _evaluate_conditional(G, z[:2000])
    with torch.no_grad():
        x = G(z)
    if r.data == "mnist":
        real, _ = mnist_evaluation_digits()
        net = metrics.mnist_feature_net()   # loaded (and sha256-checked) once for both scores
        return {"frechet": metrics.mnist_frechet(x[:2000], real, net=net),
                **metrics.mnist_legibility(x[:2000], net=net).as_dict()}
    from .transport import wasserstein1

    out = {}
    if r.data in ("8gaussians", "25gaussians", "ring"):
        cov = metrics.mode_coverage(x, *toy.modes(r.data))
        out.update(modes=cov.modes, n_modes=cov.n_modes, high_quality=cov.high_quality)
    real = _toy_reference_sample(r.data, n_w1)
    out["w1"] = wasserstein1(x[:n_w1], real[:n_w1])
    out["w1_real_vs_real"] = _toy_w1_floor(r.data, n_w1)
    return out


def _evaluate_conditional(G, z: torch.Tensor) -> dict:
    from . import metrics

    y = torch.arange(len(z)) % 10
    with torch.no_grad():
        x = G(z, y)
    real, real_y, _, _ = mnist_evaluation_digits(labels=True)
    net = metrics.mnist_feature_net()       # loaded (and sha256-checked) once for all scores
    fidelity = metrics.label_fidelity(x, y, net=net)
    return {"label_fidelity": fidelity.accuracy,
            "class_fidelity": [round(v, 4) for v in fidelity.per_class.tolist()],
            "diversity": float(metrics.intra_class_diversity(x, y, net=net).mean()),
            "class_frechet": float(metrics.per_class_frechet(x, y, real, real_y, net=net).mean()),
            "frechet": metrics.mnist_frechet(x, real, net=net)}


def mnist_evaluation_digits(n: int = 2000, *, labels: bool = False) -> tuple[torch.Tensor, ...]:
    """Two disjoint sets of ``n`` shipped digits in a fixed random order.

    The file is sorted by class; the order is a permutation of seed 3. The first set is
    what ``evaluate`` scores generators against, the second gives the real-vs-real floor
    of a score.

    Parameters
    ----------
    n : int, default 2000
        Digits per set, at most half the shipped digits.
    labels : bool, default False
        Also return the labels.

    Returns
    -------
    tuple of torch.Tensor
        ``(first, second)``; with ``labels=True``, (first, its labels, second, its labels).

    Raises
    ------
    ValueError
        ``n`` is not a positive int or exceeds half the shipped digits.
    """
    from .data import mnist

    positive_int("n", n)
    real, real_labels = mnist("shipped").tensors[:2]
    if 2 * n > len(real):
        raise ValueError(f"n must be at most {len(real) // 2} (the shipped digits), got {n}")
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(3))
    first, second = order[:n], order[n:2 * n]
    if labels:
        return real[first], real_labels[first], real[second], real_labels[second]
    return real[first], real[second]


@functools.cache
def _toy_reference_sample(data: str, n_w1: int) -> torch.Tensor:
    """2 n_w1 fixed data points: the first half is compared with generated samples."""
    return toy.sample(data, 2 * n_w1, torch.Generator().manual_seed(2))


@functools.cache
def _toy_w1_floor(data: str, n_w1: int) -> float:
    """Exact W1 between the two halves of the fixed data sample (computed once per set)."""
    from .transport import wasserstein1

    real = _toy_reference_sample(data, n_w1)
    return wasserstein1(real[n_w1:], real[:n_w1])


def learning_curve(name: str, curve: dict, member: int = 0) -> dict:
    """Scores of one member along training, from ``train_ensemble``'s or ``train``'s ``curve``.

    At each recorded step, the modes and high-quality share of its 1,000 samples (Gaussian
    toys) and their exact W1 to 1,000 fixed data points (``evaluate``'s reference sample);
    for MNIST, ``evaluate``'s scores of G with each recorded state.

    Parameters
    ----------
    name : str
        A reference recipe.
    curve : dict
        The ``curve`` that ``train`` or ``train_ensemble`` returned.
    member : int, default 0
        The member whose samples are scored (toys).

    Returns
    -------
    dict
        ``{"steps": [...], score: [...]}``: one list per score, values rounded.

    Raises
    ------
    ValueError
        An unknown recipe.
    """
    from . import metrics
    from .transport import wasserstein1

    r = recipe(name)
    if r.data == "mnist":
        G = make_pair(name, 0)[0]
        scores = []
        for state in curve["states"]:
            G.load_state_dict(state)
            scores.append(evaluate(name, G))
        keys = [k for k, v in scores[0].items() if isinstance(v, float)]
        return {"steps": list(curve["steps"]),
                **{k: [round(s[k], 4) for s in scores] for k in keys}}
    out: dict = {"steps": list(curve["steps"]), "w1": []}
    gaussian = r.data in ("8gaussians", "25gaussians", "ring")
    if gaussian:
        out.update(modes=[], high_quality=[])
    real = _toy_reference_sample(r.data, 1000)[:1000]
    for samples in curve["samples"]:
        x = samples[member]
        if gaussian:
            cov = metrics.mode_coverage(x, *toy.modes(r.data))
            out["modes"].append(cov.modes)
            out["high_quality"].append(round(cov.high_quality, 4))
        out["w1"].append(round(wasserstein1(x, real), 5))
    return out


def provenance(name: str, seed: int, steps: int, wall: float, device, threads: int,
               metrics: dict) -> dict:
    """One ``runs.json`` entry.

    Parameters
    ----------
    name : str
        A reference recipe.
    seed, steps : int
        The run's seed and length.
    wall : float
        The run's wall-clock seconds (rounded to 0.1).
    device : str or torch.device
        Where it trained.
    threads : int
        The CPU threads it used.
    metrics : dict
        Its final scores.

    Returns
    -------
    dict
        The recipe (:meth:`Recipe.describe`), seed, steps, wall seconds, device, threads,
        torch version, today's date and the metrics.

    Raises
    ------
    ValueError
        An unknown recipe.
    """
    return {"recipe": recipe(name).describe(), "seed": seed, "steps": steps,
            "wall_seconds": round(wall, 1), "device": str(device), "threads": threads,
            "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), "metrics": metrics}
