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
import re
from typing import TypeVar

import numpy as np
import torch

__all__ = ["BUDGETS", "available_device", "budget", "device", "info", "pick", "seed_everything"]

BUDGETS = ("quick", "full")
_DEVICE_PATTERN = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")

T = TypeVar("T")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


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
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    return available_device(wanted, "GANLAB_DEVICE")


def available_device(wanted, name: str = "device") -> torch.device:
    """``wanted`` ('cpu', 'cuda', 'cuda:N', 'mps' or a torch.device) as a device that torch can
    use here; ValueError naming ``name`` for a malformed or absent one."""
    if isinstance(wanted, torch.device):
        wanted = str(wanted)
    if not isinstance(wanted, str) or not _DEVICE_PATTERN.match(wanted):
        raise ValueError(f"{name}={wanted!r} is not a device; allowed: 'cpu', 'cuda', 'cuda:N', "
                         "'mps'")
    if wanted.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"{name}={wanted!r} but torch sees no CUDA device here (use 'cpu')")
    if wanted.startswith("cuda:") and int(wanted[5:]) >= torch.cuda.device_count():
        raise ValueError(f"{name}={wanted!r} but torch sees {torch.cuda.device_count()} CUDA "
                         "device(s)")
    if wanted == "mps" and not _mps_available():
        raise ValueError(f"{name}='mps' but torch sees no MPS device here")
    return torch.device(wanted)


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

    from . import __version__

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
