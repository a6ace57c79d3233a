"""Cost of one critic update under each Lipschitz constraint, measured side by side.

For the DCGAN critic on MNIST batches and for the toy MLP critic, times one critic update
(forward on a real and a generated batch, backward, Adam step) with weight clipping, with the
WGAN-GP gradient penalty, and with our spectral normalization (``ganlab.spectral``, one power
step per layer and forward) and PyTorch's. Rounds alternate between the methods so drift in the
machine's speed hits all alike; medians and ratios to clipping are printed.

    python bench/lipschitz_constraints.py [--device cuda] [--repeats 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from ganlab import data as gdata
from ganlab.models import MLP, DCCritic
from ganlab.regularizers import clip_weights_, gradient_penalty


def critics(kind: str):
    if kind == "DCGAN critic (MNIST, batch 64)":
        return {"clipping": DCCritic(width=32), "WGAN-GP": DCCritic(width=32),
                "SN (ganlab)": DCCritic(width=32, sn=True),
                "SN (torch)": DCCritic(width=32, layer_wrapper=torch_spectral_norm)}
    return {"clipping": MLP(2, 1, width=128), "WGAN-GP": MLP(2, 1, width=128),
            "SN (ganlab)": MLP(2, 1, width=128, sn=True),
            "SN (torch)": MLP(2, 1, width=128, layer_wrapper=torch_spectral_norm)}


def update(name, D, opt, real, fake, gen):
    loss = D(fake).mean() - D(real).mean()
    if name == "WGAN-GP":
        loss = loss + 10 * gradient_penalty(D, real, fake, generator=gen)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if name == "clipping":
        clip_weights_(D, 0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    device = torch.device(args.device)
    images = gdata.mnist("shipped").tensors[0]
    gen = torch.Generator().manual_seed(0)
    batches = {"DCGAN critic (MNIST, batch 64)": (images[:64], torch.rand(64, 1, 28, 28) * 2 - 1),
               "toy MLP critic (width 128, batch 256)": (torch.randn(256, 2), torch.randn(256, 2))}
    for kind, (real, fake) in batches.items():
        torch.manual_seed(0)
        models = {k: m.to(device) for k, m in critics(kind).items()}
        opts = {k: torch.optim.Adam(m.parameters(), lr=1e-4) for k, m in models.items()}
        real, fake = real.to(device), fake.to(device)
        times = {k: [] for k in models}
        for round_ in range(args.repeats + 5):
            for k, D in models.items():
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                update(k, D, opts[k], real, fake, gen)
                if device.type == "cuda":
                    torch.cuda.synchronize()
                if round_ >= 5:  # warm-up rounds are not counted
                    times[k].append(time.perf_counter() - start)
        base = statistics.median(times["clipping"])
        print(f"{kind} on {device}:")
        for k, t in times.items():
            m = statistics.median(t)
            print(f"  {k:12s} {1000 * m:8.2f} ms per critic update   x{m / base:.2f} of clipping")


if __name__ == "__main__":
    main()
