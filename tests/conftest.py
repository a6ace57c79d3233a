"""Shared fixtures: ``device`` runs tensor tests on every device this machine has;
``load_script`` loads a file of ``scripts/`` as a module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import torch

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


@pytest.fixture(params=_devices())
def device(request) -> torch.device:
    return torch.device(request.param)


@pytest.fixture
def clean_env(monkeypatch):
    """Unset the course's environment variables for the duration of a test."""
    for key in ("GANLAB_BUDGET", "GANLAB_DEVICE", "GANLAB_DATA"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def _load_script(name: str) -> ModuleType:
    path = SCRIPTS / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no script {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_script():
    """``load_script("train_reference")``: ``scripts/train_reference.py`` executed as a fresh
    module (the scripts are files, not a package), to call its functions and ``main``."""
    return _load_script
