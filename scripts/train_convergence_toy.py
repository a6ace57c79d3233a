"""Notebook 10's toy experiment: does the generator settle late in training?

On 8 Gaussians, the course's MLP pair (width 64, depth 3, 2-D noise) is trained with a
*constant* learning rate (no decay: a decaying rate would stop any generator) by three methods
at the same number of generator and critic updates (one critic update per generator update):

* ``nonsaturating``      -- the non-saturating GAN, no regulariser;
* ``nonsaturating-r1``   -- the same with R1 = (gamma/2) E_data ||grad_x D||^2, gamma = 1
                            (Mescheder, Geiger & Nowozin 2018, eq. 9; ``fit``'s "r1" penalty is
                            E||grad_x D||^2, so penalty_weight = gamma / 2);
* ``wgan-gp``            -- the Wasserstein loss with Gulrajani et al.'s two-sided penalty,
                            lambda = 0.1 (their toy script's value), centred at 1.

Every ``--every`` steps the generator's image of 512 fixed noise vectors is stored. From the
snapshots: ``move`` = mean over the fixed z of ||G_t(z) - G_{t-every}(z)|| (how far the
generator's map still moves), ``w1_step`` = exact W1 between consecutive snapshots (how far
its distribution moves), and ``w1_data`` = exact W1 to 512 fresh data points. The summary of
a run is each quantity averaged over the last quarter of training.

Usage: nice -n 10 env OMP_NUM_THREADS=1 python scripts/train_convergence_toy.py
Writes data/convergence_toy.json (and its sha256 line in data/MANIFEST).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from ganlab import toy
from ganlab.models import MLP
from ganlab.train import fit
from ganlab.transport import wasserstein1

ROOT = Path(__file__).resolve().parents[1]
METHODS = {
    "nonsaturating": dict(loss="nonsaturating"),
    "nonsaturating-r1": dict(loss="nonsaturating", penalty="r1", penalty_weight=0.5),
    "wgan-gp": dict(loss="wasserstein", penalty="gp", penalty_weight=0.1),
}
SETTINGS = dict(data="8gaussians", width=64, depth=3, z_dim=2, batch_size=128,
                optimizer="adam", lr=5e-4, betas=(0.5, 0.999), n_critic=1, n_fixed=512)


def train_one(method: str, seed: int, steps: int, every: int) -> dict:
    torch.manual_seed(seed)                       # the networks' initial weights
    G = MLP(SETTINGS["z_dim"], 2, width=SETTINGS["width"], depth=SETTINGS["depth"])
    D = MLP(2, 1, width=SETTINGS["width"], depth=SETTINGS["depth"])
    fixed = torch.randn(SETTINGS["n_fixed"], SETTINGS["z_dim"],
                        generator=torch.Generator().manual_seed(10_000 + seed))
    start = time.perf_counter()
    history = fit(G, D, lambda n, g: toy.sample(SETTINGS["data"], n, generator=g),
                  steps=steps, z_dim=SETTINGS["z_dim"], batch_size=SETTINGS["batch_size"],
                  optimizer=SETTINGS["optimizer"], lr=SETTINGS["lr"], betas=SETTINGS["betas"],
                  n_critic=SETTINGS["n_critic"], generator=torch.Generator().manual_seed(seed),
                  snapshot_every=every, snapshot=lambda g, d: g(fixed).clone(),
                  log_every=every, progress=False, **METHODS[method])
    wall = time.perf_counter() - start
    real = toy.sample(SETTINGS["data"], SETTINGS["n_fixed"],
                      generator=torch.Generator().manual_seed(20_000 + seed))
    snaps = [s for _, s in history.snapshots]
    steps_at = [int(s) for s, _ in history.snapshots]
    move = [float((b - a).norm(dim=1).mean()) for a, b in zip(snaps, snaps[1:], strict=False)]
    w1_step = [wasserstein1(a, b) for a, b in zip(snaps, snaps[1:], strict=False)]
    w1_data = [wasserstein1(s, real) for s in snaps]
    return {"method": method, "seed": seed, "steps": steps, "wall_s": round(wall, 1),
            "snapshot_steps": steps_at, "move": move, "w1_step": w1_step, "w1_data": w1_data,
            "d_loss": history.d_loss, "g_loss": history.g_loss}


def late_mean(values: list[float], fraction: float = 0.25) -> float:
    k = max(1, int(round(len(values) * fraction)))
    return float(np.mean(values[-k:]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "convergence_toy.json")
    args = parser.parse_args(argv)
    runs = []
    for seed in range(args.seeds):
        for method in METHODS:
            run = train_one(method, seed, args.steps, args.every)
            run["late"] = {k: late_mean(run[k]) for k in ("move", "w1_step", "w1_data")}
            print(f"{method:18s} seed {seed}: {run['wall_s']:6.1f} s  late move "
                  f"{run['late']['move']:.4f}  W1 step {run['late']['w1_step']:.4f}  "
                  f"W1 data {run['late']['w1_data']:.4f}", flush=True)
            runs.append(run)
    out = {"what": "notebook 10's toy experiment (scripts/train_convergence_toy.py)",
           "settings": {**SETTINGS, "methods": METHODS, "steps": args.steps,
                        "snapshot_every": args.every, "late_fraction": 0.25,
                        "seeds": list(range(args.seeds))},
           "provenance": {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                              timespec="seconds"),
                          "device": "cpu", "threads": torch.get_num_threads(),
                          "torch": torch.__version__, "python": platform.python_version(),
                          "total_wall_s": round(sum(r["wall_s"] for r in runs), 1)},
           "runs": runs}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} sha256 {digest}")


if __name__ == "__main__":
    main()
