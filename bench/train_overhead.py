"""Time per step of ganlab.train.fit against a bare hand-written loop, measured side by side.

Both train the same models on the same data with the same settings (non-saturating loss,
Adam, one critic step per generator step); the bare loop has no logging, checks, or
progress bar. Runs alternate (bare, fit, bare, fit, ...) so that drift in the machine's
speed hits both alike; the ratio of medians is printed. Target: fit / bare <= 1.1.

    python bench/train_overhead.py [--device cuda] [--steps 300] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from ganlab import data as gdata
from ganlab import toy
from ganlab.models import MLP, DCCritic, DCGenerator
from ganlab.train import fit


def setups(device):
    torch.manual_seed(0)
    toy_data = toy.sample("25gaussians", 20_000, torch.Generator().manual_seed(0)).to(device)
    yield "toy MLP (25gaussians)", lambda: (MLP(2, 2, width=128), MLP(2, 1, width=128)), \
        toy_data, 2, 256
    images = gdata.mnist("shipped").tensors[0].to(device)
    yield "DCGAN (MNIST 28x28)", lambda: (DCGenerator(64, width=32), DCCritic(width=32)), \
        images, 64, 64


def bare_loop(G, D, data, z_dim, batch, steps, device):
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        real = data[torch.randint(len(data), (batch,), generator=gen).to(device)]
        with torch.no_grad():
            fake = G(torch.randn(batch, z_dim, generator=gen).to(device))
        d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        D.requires_grad_(False)
        g_loss = F.softplus(-D(G(torch.randn(batch, z_dim, generator=gen).to(device)))).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        D.requires_grad_(True)


def timed(on: torch.device, fn, *args, **kwargs) -> float:
    """Seconds ``fn(*args, **kwargs)`` takes, waiting for queued GPU work on device ``on``."""
    if on.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn(*args, **kwargs)
    if on.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"device {device}, {args.steps} steps per run, {args.repeats} runs each, "
          f"{torch.get_num_threads()} threads")
    print(f"{'set-up':24s} {'bare ms/step':>12s} {'fit ms/step':>12s} {'fit/bare':>9s}")
    for name, make, data, z_dim, batch in setups(device):
        bare, ours = [], []
        for _ in range(args.repeats + 1):  # the first pair warms up and is dropped
            G, D = (m.to(device) for m in make())
            bare.append(timed(device, bare_loop, G, D, data, z_dim, batch, args.steps, device))
            G, D = (m.to(device) for m in make())
            ours.append(timed(device, fit, G, D, data, loss="nonsaturating", steps=args.steps,
                              z_dim=z_dim, batch_size=batch, lr=2e-4, device=device,
                              log_every=50, progress=False))
        b, o = statistics.median(bare[1:]), statistics.median(ours[1:])
        print(f"{name:24s} {1e3 * b / args.steps:12.2f} {1e3 * o / args.steps:12.2f} "
              f"{o / b:9.3f}")


if __name__ == "__main__":
    main()
