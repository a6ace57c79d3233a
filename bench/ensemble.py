"""Seeds per second: S seeds of a toy recipe as one stacked ensemble against S separate runs.

For each recipe (WGAN-GP on 25 Gaussians as ``gan_toy.py`` runs it, the non-saturating GAN,
weight clipping: the course's toy MLP pair, width 128, depth 3, batch 256) and S = 1, 4, 10:

* separate -- S runs of ``ganlab.train.stepper`` one after another, in two worker processes
  with one torch thread each (how ``scripts/train_reference.py --separate`` uses two cores);
* ensemble -- the same S seeds stacked (``ganlab.ensemble``), split over the same two worker
  processes (one thread each; S = 1 uses one process, as separate does).

Both do ``--steps`` timed generator steps per seed after a warm-up, measured side by side in
one run, alternating (separate, ensemble, separate, ...) ``--repeats`` times so that drift in
the machine's speed hits both alike; printed: the median seed-steps per second of each, their
ratio, and each worker's peak resident memory. Goal (issue 28): ratio >= 4 at S = 10 for
WGAN-GP, and S = 1 no more than 10 % slower than ``fit``'s own step.

    python bench/ensemble.py [--steps 40] [--device cpu]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import time

import torch

RECIPES = {
    "wgan-gp (25 Gaussians)": dict(loss="wasserstein", penalty="gp", penalty_weight=0.1,
                                   n_critic=5, lr=1e-3, betas=(0.5, 0.9)),
    "nonsaturating": dict(loss="nonsaturating", n_critic=1, lr=1e-3),
    "wgan-clip": dict(loss="wasserstein", clip=0.01, n_critic=5, optimizer="rmsprop", lr=5e-4),
}


def _worker(job) -> tuple[float, int, float]:
    """Train ``seeds`` (separately or stacked) for ``steps``; return (seconds, seed-steps,
    peak MiB of this process)."""
    recipe, seeds, stacked, steps, device = job
    torch.set_num_threads(1)
    from ganlab import toy
    from ganlab.ensemble import stack
    from ganlab.models import MLP
    from ganlab.train import stepper

    def data(n, g):
        return toy.sample("25gaussians", n, g)

    def pair(seed):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return MLP(2, 2), MLP(2, 1)

    options = dict(RECIPES[recipe], z_dim=2, batch_size=256, device=device)
    if stacked:
        pairs = [pair(s) for s in seeds]
        steppers = [stepper(stack([g for g, _ in pairs]), stack([d for _, d in pairs]), data,
                            generator=[torch.Generator().manual_seed(s) for s in seeds],
                            **options)]
    else:
        steppers = [stepper(*pair(s), data, generator=torch.Generator().manual_seed(s),
                            **options) for s in seeds]
    for st in steppers:          # warm-up
        for _ in range(3):
            st.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for st in steppers:
        for _ in range(steps):
            st.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, steps * len(seeds), peak


def measure(pool, recipe: str, S: int, stacked: bool, steps: int, device: str):
    """Seed-steps per second over the two workers (wall time of the slower one)."""
    halves = [list(range(S))] if S == 1 else [list(range(0, S, 2)), list(range(1, S, 2))]
    start = time.perf_counter()
    results = pool.map(_worker, [(recipe, h, stacked, steps, device) for h in halves])
    wall = time.perf_counter() - start
    busy = max(r[0] for r in results)
    return sum(r[1] for r in results) / busy, max(r[2] for r in results), wall


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    print(f"{'recipe':24s} {'S':>3s} {'separate':>12s} {'ensemble':>12s} {'ratio':>7s} "
          f"{'peak MiB sep/ens':>17s}")
    with context.Pool(2, maxtasksperchild=1) as pool:
        for recipe in RECIPES:
            for S in args.sizes:
                seps, enss = [], []
                for _ in range(args.repeats):
                    seps.append(measure(pool, recipe, S, False, args.steps, args.device))
                    enss.append(measure(pool, recipe, S, True, args.steps, args.device))
                sep = statistics.median(r[0] for r in seps)
                ens = statistics.median(r[0] for r in enss)
                sep_mem, ens_mem = max(r[1] for r in seps), max(r[1] for r in enss)
                print(f"{recipe:24s} {S:3d} {sep:9.1f} s/s {ens:9.1f} s/s {ens / sep:6.2f}x "
                      f"{sep_mem:8.0f}/{ens_mem:.0f}", flush=True)
    print("seed-steps per second (s/s): generator steps (with their critic steps) x seeds, "
          "per second of the busier worker")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
