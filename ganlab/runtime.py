"""Where and how long the course runs: device, budget, seeds, environment report.

Used by every notebook. Two environment variables steer a run:

* ``GANLAB_DEVICE`` -- ``cpu``, ``cuda``, ``cuda:N`` or ``mps``; unset means the best
  available device (cuda > mps > cpu).
* ``GANLAB_BUDGET`` -- ``quick`` (default: every notebook in about two minutes on
  two CPU cores) or ``full`` (longer training, full MNIST; meant for a GPU).

Nothing here runs at import time: the variables are read when a function is called,
so a notebook may set them with ``os.environ`` before asking.
"""

from __future__ import annotations

import os
import platform
import random
from typing import TypeVar

import numpy as np
import torch

from . import _checks
from ._version import __version__

__all__ = ["BUDGETS", "available_device", "budget", "device", "info", "pick", "seed_everything"]

BUDGETS = ("quick", "full")

T = TypeVar("T")


def device() -> torch.device:
    """The device the course computes on.

    ``GANLAB_DEVICE`` wins when set; otherwise cuda if present, then Apple's mps,
    then cpu. Asking for an accelerator that is absent is an error, not a silent
    fallback, so a Colab run without a GPU runtime says so.
    """
    wanted = os.environ.get("GANLAB_DEVICE", "").strip().lower()
    if not wanted:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _checks.mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    return available_device(wanted, "GANLAB_DEVICE")


def available_device(wanted, name: str = "device") -> torch.device:
    """``wanted`` as a torch.device usable here: the check ``fit`` applies to its ``device``
    (a ValueError naming ``name`` for a malformed or absent device)."""
    return _checks.device(name, wanted)


def budget() -> str:
    """The compute budget: ``'quick'`` (default) or ``'full'``, from ``GANLAB_BUDGET``."""
    value = os.environ.get("GANLAB_BUDGET", "quick").strip().lower() or "quick"
    if value not in BUDGETS:
        raise ValueError(f"GANLAB_BUDGET={value!r} is not a budget; allowed: {', '.join(BUDGETS)}")
    return value


def pick(*, quick: T, full: T) -> T:
    """Choose a setting by budget: ``steps = pick(quick=300, full=20_000)``."""
    return quick if budget() == "quick" else full


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a CPU generator seeded alike.

    The returned generator is what library functions take as ``generator=`` so that a
    notebook's randomness is explicit.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def info() -> dict[str, str]:
    """Versions, device, budget and thread count, as strings (printed by notebook 00)."""
    import matplotlib
    import ot
    import scipy
    import torchvision

    dev = device()
    name = str(dev)
    if dev.type == "cuda":
        name = f"{dev} ({torch.cuda.get_device_name(dev)})"
    return {
        "ganlab": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pot": ot.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
        "device": name,
        "budget": budget(),
        "threads": str(torch.get_num_threads()),
    }
