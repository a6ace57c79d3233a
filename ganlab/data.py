"""MNIST for the course: a shipped 5,000-digit subset offline, full MNIST through torchvision.

Used by notebooks 00 and 04-07. Every dataset returned here holds images as float
tensors of shape (N, 1, 28, 28) scaled to [-1, 1] (the range of a tanh generator)
and integer labels of shape (N,).

Shipped files live in ``data/`` at the repository root (or in ``$GANLAB_DATA``) and
are checked against the sha256 in ``data/MANIFEST`` every time they are loaded.

Reference: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten
digits" (1998).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

__all__ = ["HELDOUT_PER_CLASS", "SOURCES", "SPLITS", "ChecksumError", "data_dir",
           "heldout_indices", "load_state_dict", "mnist", "shipped_split", "verify"]

SOURCES = ("auto", "shipped", "torchvision")
SHIPPED_MNIST = "mnist_5k.npz"
SPLITS = ("train", "heldout")
HELDOUT_PER_CLASS = 100  # 1,000 held-out digits, 100 of each class
_HELDOUT_SEED = 26  # fixed once (issue 26); changing it changes every held-out score
_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})\s+(\S+)\s*$")


class ChecksumError(RuntimeError, ValueError):
    """A shipped data file is missing, unlisted, or differs from its sha256 in data/MANIFEST.

    It is a ValueError too: the name or the file given cannot be used. The message says how
    to restore the file.
    """


def data_dir() -> Path:
    """The folder of shipped data.

    Returns
    -------
    pathlib.Path
        ``$GANLAB_DATA`` if set, else ``data/`` at the repository root, beside the package.
    """
    override = os.environ.get("GANLAB_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "data"


def _manifest(folder: Path) -> dict[str, str]:
    path = folder / "MANIFEST"
    if not path.is_file():
        raise ChecksumError(
            f"{path} is missing; restore it with `git checkout -- data/MANIFEST` "
            "(or point GANLAB_DATA at a folder that has it)"
        )
    entries = {}
    for line in path.read_text().splitlines():
        match = _MANIFEST_LINE.match(line)
        if match:
            entries[match.group(2)] = match.group(1)
    return entries


def verify(name: str, folder: Path | None = None) -> Path:
    """The path of a shipped file, after checking its sha256 against ``MANIFEST``.

    Parameters
    ----------
    name : str
        The file's name as listed in ``MANIFEST``, e.g. ``"mnist_5k.npz"``.
    folder : pathlib.Path, optional
        Where the file and ``MANIFEST`` are; default ``data_dir()``.

    Returns
    -------
    pathlib.Path
        The checked file.

    Raises
    ------
    TypeError
        ``name`` is not a str.
    ChecksumError
        ``MANIFEST`` or the file is missing, ``name`` is not listed, or the file's sha256
        differs.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a file name (str), got {type(name).__name__}")
    folder = data_dir() if folder is None else Path(folder)
    expected = _manifest(folder).get(name)
    if expected is None:
        raise ChecksumError(f"name {name!r} is not listed in {folder / 'MANIFEST'} (the "
                            "shipped files are listed there)")
    path = folder / name
    restore = f"restore it with `git checkout -- data/{name}` (source and licence: data/MANIFEST)"
    if not path.is_file():
        raise ChecksumError(f"shipped data file {path} is missing; {restore}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ChecksumError(
            f"shipped data file {path} is corrupt: sha256 {digest[:12]}... but MANIFEST "
            f"says {expected[:12]}...; {restore}"
        )
    return path


def load_state_dict(name: str) -> dict:
    """A shipped ``state_dict`` file, sha256-checked and read on the CPU.

    Read with ``torch.load(weights_only=True)``: shipped weights never run pickled code.

    Parameters
    ----------
    name : str
        The file's name as listed in ``MANIFEST``.

    Returns
    -------
    dict
        The state dict, tensors on the CPU.

    Raises
    ------
    ChecksumError
        As for ``verify``.
    """
    return torch.load(verify(name), map_location="cpu", weights_only=True)


def _to_dataset(images: torch.Tensor, labels: torch.Tensor) -> TensorDataset:
    # uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1]
    x = images.to(torch.float32).div(127.5).sub(1.0).unsqueeze(1)
    return TensorDataset(x, labels.to(torch.long))


def _shipped(limit: int | None) -> TensorDataset:
    with np.load(verify(SHIPPED_MNIST)) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return _to_dataset(torch.from_numpy(images), torch.from_numpy(labels))


def _torchvision(root: Path, train: bool, download: bool, limit: int | None) -> TensorDataset:
    from torchvision.datasets import MNIST

    full = MNIST(str(root), train=train, download=download)
    images, labels = full.data, full.targets
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return _to_dataset(images, labels)


def mnist(
    source: str = "auto",
    *,
    train: bool = True,
    root: str | os.PathLike | None = None,
    download: bool = True,
    limit: int | None = None,
) -> TensorDataset:
    """MNIST digits as a ``TensorDataset`` of (image in [-1, 1], label).

    Parameters
    ----------
    source : {"auto", "shipped", "torchvision"}
        ``"shipped"``: the 5,000-digit subset in ``data/`` (no network; the quick budget).
        ``"torchvision"``: full MNIST (60,000 train / 10,000 test) via torchvision,
        downloaded into ``root`` when ``download`` is true. ``"auto"``: torchvision when it
        is present or downloadable, else the shipped subset with a one-line notice on
        stderr.
    train : bool
        Torchvision's train/test split (the shipped subset has one split only).
    root : str or os.PathLike, optional
        Where torchvision keeps MNIST; default ``~/.cache/ganlab``.
    download : bool
        Let torchvision download MNIST when it is not in ``root``.
    limit : int, optional
        Keep the first ``limit`` digits.

    Returns
    -------
    torch.utils.data.TensorDataset
        Images (N, 1, 28, 28), float32 in [-1, 1], and labels (N,), int64.

    Raises
    ------
    ValueError
        An unknown ``source`` or a ``limit`` that is not a positive int.
    ChecksumError
        The shipped file is missing or corrupt (``"shipped"``, or ``"auto"`` falling back).
    RuntimeError, OSError
        ``"torchvision"`` could not load or download MNIST.

    References
    ----------
    Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits" (1998).
    """
    if not isinstance(source, str) or source not in SOURCES:
        raise ValueError(f"source={source!r} is not known; allowed: {', '.join(SOURCES)}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    root = Path(root) if root is not None else Path.home() / ".cache" / "ganlab"
    if source == "shipped":
        return _shipped(limit)
    if source == "torchvision":
        return _torchvision(root, train, download, limit)
    try:
        return _torchvision(root, train, download, limit)
    except (RuntimeError, OSError) as err:  # no network, mirror down, or not downloaded
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"ganlab.data: full MNIST unavailable ({reason}); using the shipped "
              "5,000-digit subset", file=sys.stderr)
        return _shipped(limit)


# ------------------------------------------------------------ held-out digits (issue 26) ----
def heldout_indices() -> torch.Tensor:
    """The indices of the fixed held-out digits in the shipped file.

    100 of each class, drawn without replacement from that class's 500 with a fixed seed,
    sorted. No generator and no scoring classifier trains on these (``shipped_split``): they
    are the "digits no model has seen" against which samples are scored and memorisation is
    checked (``metrics.memorisation``). Under the ``full`` budget torchvision's MNIST test
    set plays that role (``mnist("torchvision", train=False)``).

    Returns
    -------
    torch.Tensor
        Shape (1000,), int64, increasing.

    Raises
    ------
    ChecksumError
        The shipped file is missing or corrupt.
    """
    with np.load(verify(SHIPPED_MNIST)) as arrays:
        labels = torch.from_numpy(arrays["labels"]).long()
    gen = torch.Generator().manual_seed(_HELDOUT_SEED)
    chosen = []
    for c in range(10):
        members = torch.nonzero(labels == c).squeeze(1)
        chosen.append(members[torch.randperm(len(members), generator=gen)[:HELDOUT_PER_CLASS]])
    return torch.cat(chosen).sort().values


def shipped_split(part: str = "train") -> TensorDataset:
    """The shipped 5,000 digits, split once and for all into training and held-out digits.

    Parameters
    ----------
    part : {"train", "heldout"}
        ``"train"``: the 4,000 that generators and the scoring classifier may train on (400
        per class). ``"heldout"``: the other 1,000 (100 per class, ``heldout_indices``),
        never trained on.

    Returns
    -------
    torch.utils.data.TensorDataset
        Same format as ``mnist``: images (N, 1, 28, 28) in [-1, 1] and labels (N,), in the
        file's order (sorted by class; shuffle before taking a prefix).

    Raises
    ------
    ValueError
        An unknown ``part``.
    ChecksumError
        The shipped file is missing or corrupt.
    """
    if not isinstance(part, str) or part not in SPLITS:
        raise ValueError(f"part={part!r} is not known; allowed: {', '.join(SPLITS)}")
    images, labels = _shipped(None).tensors
    keep = torch.zeros(len(labels), dtype=torch.bool)
    keep[heldout_indices()] = True
    if part == "train":
        keep = ~keep
    return TensorDataset(images[keep], labels[keep])
