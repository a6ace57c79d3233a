"""What the input checks on the hot path cost: a training step with and without them.

Three checks run inside every training step rather than once at the boundary:

* ``_checks.forward_input`` -- every forward of ``MLP``, ``DCGenerator``, ``DCCritic``,
  ``Gaussian``, the conditional players and minibatch discrimination (shape, dtype and device
  of the input; no values read, so no device sync);
* ``spectral.power_iteration``'s argument checks -- every forward of a spectrally normalised
  layer;
* ``losses._check_scores`` -- every loss call (a type and an emptiness test).

For each setting (the toy MLP pair with WGAN-GP, the toy pair with a spectrally normalised
critic and the hinge loss, the DCGAN pair on MNIST with an SN critic) the same
``Stepper.step()`` is timed with the checks as shipped and with the three replaced by
no-ops, alternating (checked, bare, checked, ...) ``--repeats`` times so that drift in the
machine's speed hits both alike. On the CPU the clock is the process's CPU time
(``time.process_time``, one thread), which other jobs on the machine barely move; on a GPU it
is wall time after a synchronize. Printed: the median time per step of each and their ratio.
A check whose removal saves less than the spread between repeats is not worth moving.

    python bench/checks.py [--steps 100] [--repeats 7] [--device cpu]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch

from ganlab import _checks, losses, spectral, toy
from ganlab import data as gdata
from ganlab.models import MLP, DCCritic, DCGenerator
from ganlab.train import stepper


@contextlib.contextmanager
def checks_off():
    """The three hot-path checks replaced by no-ops (restored on exit)."""
    saved = _checks.forward_input, losses._check_scores, spectral._checks
    bare = type("bare", (), {})()
    for name in dir(_checks):            # power_iteration reads checks through its module
        if not name.startswith("__"):
            setattr(bare, name, getattr(_checks, name))
    bare.tensor = lambda name, value, **kw: value
    bare.generator = lambda name, value: value
    _checks.forward_input = lambda *args, **kw: None
    losses._check_scores = lambda name, scores: None
    spectral._checks = bare
    try:
        yield
    finally:
        _checks.forward_input, losses._check_scores, spectral._checks = saved


def settings(device):
    toy_data = toy.sample("25gaussians", 20_000, torch.Generator().manual_seed(0)).to(device)
    yield ("toy MLP, WGAN-GP (n_critic 5)",
           lambda: (MLP(2, 2, width=128), MLP(2, 1, width=128)),
           dict(data=toy_data, z_dim=2, batch_size=256, loss="wasserstein", penalty="gp",
                penalty_weight=0.1, n_critic=5, lr=1e-3, betas=(0.5, 0.9)))
    yield ("toy MLP, SN critic, hinge (n_critic 5)",
           lambda: (MLP(2, 2, width=128), MLP(2, 1, width=128, sn=True)),
           dict(data=toy_data, z_dim=2, batch_size=256, loss="hinge", n_critic=5, lr=1e-3,
                betas=(0.5, 0.9)))
    images = gdata.mnist("shipped").tensors[0].to(device)
    yield ("DCGAN on MNIST, SN critic, hinge",
           lambda: (DCGenerator(64, width=32), DCCritic(width=32, sn=True)),
           dict(data=images, z_dim=64, batch_size=64, loss="hinge", n_critic=1))


def seconds_per_step(build, options, steps, device) -> float:
    torch.manual_seed(0)
    G, D = build()
    data = options.pop("data")
    s = stepper(G, D, data, device=device, generator=torch.Generator().manual_seed(0), **options)
    options["data"] = data
    for _ in range(3):                   # warm-up
        s.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    start = clock()
    for _ in range(steps):
        s.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (clock() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {device}; "
          f"{args.steps} steps x {args.repeats} alternating repeats, medians")
    print(f"{'setting':40s} {'checked ms':>11s} {'bare ms':>9s} {'checked / bare':>15s}"
          f" {'spread of checked':>18s}")
    for name, build, options in settings(device):
        checked, bare = [], []
        for _ in range(args.repeats):
            checked.append(seconds_per_step(build, options, args.steps, device))
            with checks_off():
                bare.append(seconds_per_step(build, options, args.steps, device))
        c, b = statistics.median(checked), statistics.median(bare)
        spread = (max(checked) - min(checked)) / c
        print(f"{name:40s} {1000 * c:11.2f} {1000 * b:9.2f} {c / b:15.3f} {spread:17.1%}")


if __name__ == "__main__":
    main()
