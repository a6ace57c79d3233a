"""Train reference toy generators for notebook 05 (WGAN-GP): too slow to train live.

Status: notebook 05 is not written yet and no outputs of this script are shipped; the numbers
it printed so far are in the closing note of issue 7 (they do not reach that issue's targets).

For each toy set (8gaussians, 25gaussians) and each method -- non-saturating GAN, WGAN with
weight clipping, WGAN-GP -- train the same MLP generator/critic pair with ``ganlab.train.fit``
and save the generator's state dict to ``data/reference/<set>_<method>.pt``. Prints the
sha256 lines for ``data/MANIFEST`` and the mode coverage of 2,500 samples.

    python scripts/train_reference.py [--steps 6000] [--threads 1]

Settings: MLP width 64, depth 3, z_dim 2, batch 256. Non-saturating:
Adam 1e-3, betas (0.5, 0.999), 1 critic step. WGAN: RMSProp 5e-4 (ten times the paper's
image setting, for a 2-D toy), clip 0.01, 5 critic steps. WGAN-GP: Adam 1e-3,
betas (0.5, 0.9), lambda 10, 5 critic steps. Seed 0. CPU, float32.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import torch

from ganlab import toy
from ganlab.metrics import mode_coverage
from ganlab.models import MLP
from ganlab.train import fit

OUT = Path(__file__).resolve().parents[1] / "data" / "reference"
METHODS = {
    "nonsaturating": dict(loss="nonsaturating", n_critic=1, lr=1e-3, betas=(0.5, 0.999)),
    "wgan-clip": dict(loss="wasserstein", clip=0.01, n_critic=5, optimizer="rmsprop", lr=5e-4),
    "wgan-gp": dict(loss="wasserstein", penalty="gp", penalty_weight=10.0, n_critic=5, lr=1e-3,
                    betas=(0.5, 0.9)),
}
WIDTH, DEPTH, Z_DIM, BATCH = 64, 3, 2, 256


def make_pair(seed: int = 0):
    torch.manual_seed(seed)
    return MLP(Z_DIM, 2, width=WIDTH, depth=DEPTH), MLP(2, 1, width=WIDTH, depth=DEPTH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sets", nargs="+", default=["8gaussians", "25gaussians"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        centres, std = toy.modes(name)
        for method in args.methods:
            G, D = make_pair()
            start = time.perf_counter()
            fit(G, D, lambda n, g, name=name: toy.sample(name, n, g), z_dim=Z_DIM,
                steps=args.steps, batch_size=BATCH, generator=torch.Generator().manual_seed(0),
                progress=False, log_every=500, **METHODS[method])
            with torch.no_grad():
                x = G(torch.randn(2500, Z_DIM, generator=torch.Generator().manual_seed(1)))
            path = OUT / f"{name}_{method}.pt"
            torch.save(G.state_dict(), path)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            print(f"{digest}  reference/{path.name}   # {mode_coverage(x, centres, std)}, "
                  f"{args.steps} steps, {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
