import random

import numpy as np
import pytest
import torch

from ganlab import runtime


def test_budget_defaults_to_quick(clean_env):
    assert runtime.budget() == "quick"
    assert runtime.pick(quick=1, full=2) == 1


def test_budget_full_and_case(clean_env):
    clean_env.setenv("GANLAB_BUDGET", " Full ")
    assert runtime.budget() == "full"
    assert runtime.pick(quick=1, full=2) == 2


def test_unknown_budget_lists_allowed(clean_env):
    clean_env.setenv("GANLAB_BUDGET", "huge")
    with pytest.raises(ValueError, match=r"GANLAB_BUDGET='huge'.*quick, full"):
        runtime.budget()


def test_device_default_follows_availability(clean_env):
    expected = "cuda" if torch.cuda.is_available() else None
    got = runtime.device()
    if expected:
        assert got.type == expected
    else:
        assert got.type in {"cpu", "mps"}


def test_device_override_cpu(clean_env):
    clean_env.setenv("GANLAB_DEVICE", "CPU")
    assert runtime.device() == torch.device("cpu")


def test_unknown_device_lists_allowed(clean_env):
    clean_env.setenv("GANLAB_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"GANLAB_DEVICE='tpu'.*'cpu', 'cuda', 'cuda:N', 'mps'"):
        runtime.device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_absent_cuda_is_an_error(clean_env):
    clean_env.setenv("GANLAB_DEVICE", "cuda:0")
    with pytest.raises(ValueError, match="no CUDA device"):
        runtime.device()


def test_seed_everything_repeats_all_generators():
    def draw():
        g = runtime.seed_everything(123)
        own = torch.rand(1, generator=g).item()
        return random.random(), np.random.rand(), torch.rand(1).item(), own

    assert draw() == draw()
    assert isinstance(runtime.seed_everything(0), torch.Generator)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_everything_rejects_bad_seed(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        runtime.seed_everything(bad)


def test_info_reports_everything(clean_env):
    report = runtime.info()
    for key in ("ganlab", "python", "torch", "torchvision", "pot", "device", "budget", "threads"):
        assert report[key], key
    assert report["budget"] == "quick"
    assert report["torch"] == torch.__version__


def test_import_is_silent(capfd):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import ganlab"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""
