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

    ``GANLAB_DEVICE`` decides when it is set (and not blank); otherwise the first of cuda,
    Apple's mps and cpu that torch can use here. Naming an accelerator this machine lacks
    is an error rather than a quiet switch to the CPU, so a Colab session started without
    a GPU runtime is told so at once.

    Returns
    -------
    torch.device
        ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.

    Raises
    ------
    ValueError
        ``GANLAB_DEVICE`` is not a device name, or names one that torch cannot see here.
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
    """Check that a device exists here and return it as a ``torch.device``.

    The same check ``fit`` applies to its ``device`` argument, and ``device()`` to
    ``GANLAB_DEVICE``: the name must be well formed and the hardware present.

    Parameters
    ----------
    wanted : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``, or a ``torch.device`` of one of them.
    name : str
        What the error message calls the value (an argument or variable name).

    Returns
    -------
    torch.device
        ``wanted`` as a device.

    Raises
    ------
    ValueError
        ``wanted`` is not one of those names (whatever its type), or torch sees no such
        device here (no CUDA, fewer than N + 1 CUDA devices, no MPS).
    """
    return _checks.device(name, wanted)


def budget() -> str:
    """The compute budget, read from ``GANLAB_BUDGET``.

    Case and surrounding spaces are ignored; unset or blank means ``"quick"``.

    Returns
    -------
    str
        ``"quick"`` or ``"full"`` (one of ``BUDGETS``).

    Raises
    ------
    ValueError
        ``GANLAB_BUDGET`` holds anything else; the message lists the budgets.
    """
    value = os.environ.get("GANLAB_BUDGET", "quick").strip().lower() or "quick"
    if value not in BUDGETS:
        raise ValueError(f"GANLAB_BUDGET={value!r} is not a budget; allowed: {', '.join(BUDGETS)}")
    return value


def pick(*, quick: T, full: T) -> T:
    """Choose a setting by budget: ``steps = pick(quick=300, full=20_000)``.

    Parameters
    ----------
    quick, full : object
        The values for the two budgets (keyword-only); either may be of any type.

    Returns
    -------
    object
        ``quick`` under the ``"quick"`` budget, else ``full``.

    Raises
    ------
    ValueError
        ``GANLAB_BUDGET`` is not a budget (from :func:`budget`).
    """
    return quick if budget() == "quick" else full


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a CPU random generator seeded alike.

    The global states are seeded for code that draws from them; the returned random
    generator is the one to pass as ``generator=`` to the library's functions, so that a
    notebook says where its randomness comes from.

    Parameters
    ----------
    seed : int
        A non-negative int; NumPy receives it modulo 2**32.

    Returns
    -------
    torch.Generator
        A new CPU random generator, ``torch.Generator().manual_seed(seed)``.

    Raises
    ------
    ValueError
        ``seed`` is not a non-negative int (a bool or a float is refused too).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def info() -> dict[str, str]:
    """Versions, device, budget and thread count, as strings (printed by notebook 00).

    Returns
    -------
    dict of str to str
        Versions of ganlab, Python, torch, torchvision, POT, NumPy, SciPy and matplotlib;
        ``"device"`` (a CUDA device with its name), ``"budget"`` and ``"threads"`` (torch's
        intra-op thread count).

    Raises
    ------
    ValueError
        ``GANLAB_DEVICE`` or ``GANLAB_BUDGET`` is not valid (from :func:`device`,
        :func:`budget`).
    """
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
