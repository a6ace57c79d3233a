"""Argument checks shared by the modules: one wording for the same mistake everywhere.

Each check names the argument, says what was expected and what came, and returns the value
(converted where a conversion is harmless: array-likes and integer tensors to floating point).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn


def positive_int(name: str, value, *, integer_types: tuple[type, ...] = (int,),
                 zero_ok: bool = False) -> None:
    """Raise ValueError naming ``name`` unless ``value`` is a positive integer (bools are not;
    0 is accepted with ``zero_ok``)."""
    smallest = 0 if zero_ok else 1
    if isinstance(value, bool) or not isinstance(value, integer_types) or value < smallest:
        kind = "non-negative" if zero_ok else "positive"
        raise ValueError(f"{name} must be a {kind} int, got {value!r}")


def positive_float(name: str, value, *, zero_ok: bool = False) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it is a finite number > 0
    (>= 0 with ``zero_ok``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not zero_ok):
        kind = "non-negative" if zero_ok else "positive"
        raise ValueError(f"{name} must be a finite {kind} number, got {value!r}")
    return float(value)


def finite_float(name: str, value) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it is a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def one_of(name: str, value, known: Iterable[str], what: str = "") -> str:
    """``value`` if it is one of ``known``; else ValueError naming ``name`` and listing them."""
    known = list(known)
    if not isinstance(value, str) or value not in known:
        raise ValueError(f"{name} must be one of {', '.join(known)}"
                         f"{' (' + what + ')' if what else ''}; got {value!r}")
    return value


def module(name: str, value) -> nn.Module:
    """``value`` if it is a torch module; TypeError naming ``name`` otherwise."""
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def notebook(name: str, value):
    """``value`` if it is a notebook node (has ``cells``, as ``nbformat.read`` gives);
    TypeError naming ``name`` otherwise."""
    if not hasattr(value, "cells"):
        raise TypeError(f"{name} must be a notebook (nbformat.read(...)), "
                        f"got {type(value).__name__}")
    return value


def generator(name: str, value) -> torch.Generator | None:
    """``value`` if it is None or a torch.Generator (not a seed); TypeError otherwise."""
    if value is not None and not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator, e.g. torch.Generator()."
                        f"manual_seed({value!r}), got {type(value).__name__}")
    return value


def tensor(name: str, value, *, dims: int | tuple[int, ...] | None = None, finite: bool = True,
           min_rows: int = 1, trailing: tuple[int, ...] | None = None) -> torch.Tensor:
    """``value`` as a floating-point tensor, checked.

    Array-likes (numpy arrays, nested lists) are converted; integer tensors become float.
    ValueError / TypeError naming ``name`` for: something that is not numbers; booleans or
    complex numbers; a tensor on the ``meta`` device (no values); a rank not in ``dims``;
    fewer than ``min_rows`` entries along the first axis; trailing sizes other than
    ``trailing``; NaN or infinite entries (when ``finite``). Checking finiteness reads the
    values: on a GPU that is one synchronisation, so hot paths (forward passes) skip it.
    """
    if isinstance(value, torch.Tensor):
        x = value
    else:
        try:
            x = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be a tensor (or array) of numbers, got "
                            f"{type(value).__name__}") from None
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be a tensor (or array) of numbers, got "
                            f"{type(value).__name__}")
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    if x.is_meta:
        raise ValueError(f"{name} is on the meta device and holds no values; pass a tensor on "
                         "the CPU or a GPU")
    if dims is not None:
        allowed = (dims,) if isinstance(dims, int) else dims
        if x.dim() not in allowed:
            want = " or ".join(map(str, allowed))
            raise ValueError(f"{name} must have {want} dimension(s), got shape {tuple(x.shape)}")
    if x.dim() > 0 and len(x) < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} entries along its first axis, got "
                         f"shape {tuple(x.shape)}")
    if trailing is not None and tuple(x.shape[1:]) != tuple(trailing):
        want = ", ".join(["N", *map(str, trailing)])
        raise ValueError(f"{name} must have shape ({want}), got {tuple(x.shape)}")
    if finite and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def forward_input(owner: str, x, trailing: tuple[int, ...], param: torch.Tensor, *,
                  any_leading: bool = False) -> None:
    """The input of a forward pass: a tensor of shape (N, *trailing) -- or (..., *trailing),
    any number of leading axes, with ``any_leading`` -- with the dtype and device of the
    module's parameter ``param``. Shapes, dtype and device only: no values are read, so
    there is no device sync."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{owner} expects an input tensor, got {type(x).__name__}")
    if x.dtype != param.dtype:
        raise TypeError(f"{owner} has {param.dtype} weights but the input is {x.dtype}; "
                        f"convert the input with .to({param.dtype})")
    if x.device != param.device:
        raise ValueError(f"{owner} input is on {x.device} but the module's weights are on "
                         f"{param.device}; move one of them with .to(device)")
    n = len(trailing)
    rank_ok = x.dim() >= n if any_leading else x.dim() == n + 1
    if not rank_ok or tuple(x.shape[x.dim() - n:]) != tuple(trailing):
        want = ", ".join(["..." if any_leading else "N", *map(str, trailing)])
        raise ValueError(f"{owner} expects input of shape ({want}), got {tuple(x.shape)}")


_DEVICE_PATTERN = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def mps_available() -> bool:
    """Whether torch can use Apple's MPS backend here."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def device(name: str, value) -> torch.device:
    """``value`` ('cpu', 'cuda', 'cuda:N', 'mps' or a torch.device) as a device that torch can
    use here; ValueError naming ``name`` for a malformed or absent one."""
    if isinstance(value, torch.device):
        value = str(value)
    if not isinstance(value, str) or not _DEVICE_PATTERN.match(value):
        raise ValueError(f"{name}={value!r} is not a device; allowed: 'cpu', 'cuda', 'cuda:N', "
                         "'mps'")
    if value.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"{name}={value!r} but torch sees no CUDA device here (use 'cpu')")
    if value.startswith("cuda:") and int(value[5:]) >= torch.cuda.device_count():
        raise ValueError(f"{name}={value!r} but torch sees {torch.cuda.device_count()} CUDA "
                         "device(s)")
    if value == "mps" and not mps_available():
        raise ValueError(f"{name}='mps' but torch sees no MPS device here")
    return torch.device(value)


def existing_path(name: str, value, *, folder: bool = False):
    """``value`` as a Path to an existing file (or folder); TypeError for a non-path,
    FileNotFoundError naming ``name`` and the path for a missing one."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or pathlib.Path), got {type(value).__name__}")
    path = Path(value)
    if not (path.is_dir() if folder else path.is_file()):
        kind = "folder" if folder else "file"
        raise FileNotFoundError(f"{name}: no such {kind}: {str(path)!r}")
    return path
