"""Reference toy runs for the mode-coverage tables: one recipe per method, trained once, shipped.

Used by notebook 05 and ``scripts/train_reference.py``. Counting modes fairly needs long
runs (tens of thousands of critic steps), too slow for a notebook on two CPU cores. So the
generators of the table are trained once by the script with the recipes below and shipped in
``data/reference/`` (sha256 in ``data/MANIFEST``, loaded with ``weights_only=True``); under
the ``full`` budget the notebook retrains them live with the same code.

Every method trains the same pair -- an MLP generator (2-D noise -> 2-D point) and an MLP
critic, width ``WIDTH``, depth ``DEPTH``, ReLU -- on fresh batches of ``BATCH`` points, then
divides the learning rates by 10 for the last ``FINISH`` fraction of the steps (half): the
samples settle into sharp modes (on 8 Gaussians, WGAN-GP went from 21% to 85-94% high-quality
samples over seeds 0 and 1 when this phase grew from a quarter to half of 8,000 steps). The
same schedule for every method.

* ``nonsaturating`` -- Goodfellow et al. 2014 with the -log D generator loss; Adam.
* ``wgan-clip`` -- Arjovsky et al. 2017: RMSProp, clip c = 0.01, 5 critic steps.
* ``wgan-gp`` -- Gulrajani et al. 2017: Adam, betas (0.5, 0.9), lambda = 10, 5 critic steps.

Learning rates are larger than the papers' image settings (2-D toys need far fewer steps).

MNIST (notebook 05's sample grid): ``train_mnist`` trains a WGAN-GP DCGAN pair
(``DCGenerator`` / ``DCCritic``, width ``MNIST_WIDTH``, 64-d noise) on the shipped digits --
Adam, betas (0, 0.9), lambda = 10, 5 critic steps, batch 64, lr 5e-4 then 5e-5 for the second
half -- and ``load_mnist`` returns the shipped generator.
"""

from __future__ import annotations

import torch

from . import toy
from .data import load_state_dict
from .models import MLP, DCCritic, DCGenerator
from .train import fit

__all__ = ["BATCH", "DEPTH", "FINISH", "METHODS", "MNIST_FILE", "MNIST_STEPS", "MNIST_WIDTH",
           "SETS", "STEPS", "WIDTH", "Z_DIM", "filename", "load", "load_mnist", "make_pair",
           "train", "train_mnist"]

WIDTH, DEPTH, Z_DIM, BATCH, FINISH = 128, 3, 2, 256, 0.5
SETS = ("8gaussians", "25gaussians")
STEPS = 8000
METHODS: dict[str, dict] = {
    "nonsaturating": dict(loss="nonsaturating", n_critic=1, optimizer="adam", lr=1e-3,
                          betas=(0.5, 0.999)),
    "wgan-clip": dict(loss="wasserstein", clip=0.01, n_critic=5, optimizer="rmsprop", lr=5e-4),
    "wgan-gp": dict(loss="wasserstein", penalty="gp", penalty_weight=10.0, n_critic=5,
                    optimizer="adam", lr=1e-3, betas=(0.5, 0.9)),
}


def _check(toy_set: str, method: str) -> None:
    if toy_set not in SETS:
        raise ValueError(f"toy_set must be one of {', '.join(SETS)}, got {toy_set!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def filename(toy_set: str, method: str) -> str:
    """Path of the shipped generator inside ``data/``: ``reference/<set>_<method>.pt``."""
    _check(toy_set, method)
    return f"reference/{toy_set}_{method}.pt"


def make_pair(seed: int = 0) -> tuple[MLP, MLP]:
    """A fresh (generator, critic) pair with the reference architecture."""
    torch.manual_seed(seed)
    return MLP(Z_DIM, 2, width=WIDTH, depth=DEPTH), MLP(2, 1, width=WIDTH, depth=DEPTH)


def train(toy_set: str, method: str, *, steps: int = STEPS, seed: int = 0,
          progress: bool = False) -> MLP:
    """Train the reference generator for ``toy_set`` with ``method``; return it (eval mode)."""
    _check(toy_set, method)
    recipe = dict(METHODS[method])
    G, D = make_pair(seed)
    make = torch.optim.Adam if recipe.pop("optimizer") == "adam" else torch.optim.RMSprop
    lr = recipe.pop("lr")
    extra = {"betas": recipe.pop("betas")} if "betas" in recipe else {}
    optimizers = make(G.parameters(), lr, **extra), make(D.parameters(), lr, **extra)
    _fit_with_lr_drop(G, D, lambda n, g: toy.sample(toy_set, n, g), optimizers, lr, steps,
                      int(steps * FINISH), z_dim=Z_DIM, batch_size=BATCH,
                      generator=torch.Generator().manual_seed(seed), progress=progress,
                      log_every=500, **recipe)
    return G.eval()


def _fit_with_lr_drop(G, D, data, optimizers, lr: float, steps: int, finish: int, **fit_kwargs):
    """``fit`` for ``steps - finish`` steps at ``lr``, then ``finish`` steps at lr / 10."""
    for phase_steps, scale in ((steps - finish, 1.0), (finish, 0.1)):
        for opt in optimizers:
            for group in opt.param_groups:
                group["lr"] = lr * scale
        if phase_steps:
            fit(G, D, data, steps=phase_steps, optimizers=optimizers, **fit_kwargs)


def load(toy_set: str, method: str) -> MLP:
    """The shipped reference generator (sha256-checked, ``weights_only``), in eval mode."""
    G, _ = make_pair()
    G.load_state_dict(load_state_dict(filename(toy_set, method)))
    return G.eval()


MNIST_FILE, MNIST_WIDTH, MNIST_STEPS, MNIST_Z_DIM = "reference/mnist_wgan-gp.pt", 32, 2000, 64


def train_mnist(*, steps: int = MNIST_STEPS, seed: int = 0, source: str = "shipped",
                progress: bool = False) -> DCGenerator:
    """Train the reference MNIST WGAN-GP generator (see the module docstring); eval mode."""
    from .data import mnist

    torch.manual_seed(seed)
    G, D = DCGenerator(MNIST_Z_DIM, width=MNIST_WIDTH), DCCritic(width=MNIST_WIDTH)
    lr = 5e-4
    optimizers = (torch.optim.Adam(G.parameters(), lr, betas=(0.0, 0.9)),
                  torch.optim.Adam(D.parameters(), lr, betas=(0.0, 0.9)))
    _fit_with_lr_drop(G, D, mnist(source), optimizers, lr, steps, steps // 2,
                      loss="wasserstein", penalty="gp", n_critic=5, z_dim=MNIST_Z_DIM,
                      batch_size=64, generator=torch.Generator().manual_seed(seed),
                      progress=progress, log_every=100)
    return G.eval()


def load_mnist() -> DCGenerator:
    """The shipped MNIST WGAN-GP generator (sha256-checked, ``weights_only``), in eval mode."""
    G = DCGenerator(MNIST_Z_DIM, width=MNIST_WIDTH)
    G.load_state_dict(load_state_dict(MNIST_FILE))
    return G.eval()
