"""Shared fixtures: ``device`` runs tensor tests on every device this machine has."""

from __future__ import annotations

import pytest
import torch


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
