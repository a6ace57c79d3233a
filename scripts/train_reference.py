"""Train the reference generators of notebook 05 (ganlab.reference): toy sets and MNIST.

For each toy set and method, trains ``ganlab.reference.train(set, method)`` on the CPU and
saves the generator's state dict to ``data/reference/<set>_<method>.pt``. Prints the lines for
``data/MANIFEST`` (sha256, file) with the mode coverage of 2,500 samples and the time taken.

    python scripts/train_reference.py [--sets 8gaussians 25gaussians] [--methods ...]
                                      [--steps 8000] [--threads 1]
    python scripts/train_reference.py --mnist --threads 2    # the MNIST WGAN-GP generator
"""

from __future__ import annotations

import argparse
import hashlib
import time

import torch

from ganlab import reference, toy
from ganlab.data import data_dir
from ganlab.metrics import mode_coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=reference.STEPS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sets", nargs="+", default=list(reference.SETS))
    parser.add_argument("--methods", nargs="+", default=list(reference.METHODS))
    parser.add_argument("--mnist", action="store_true",
                        help="train only the MNIST WGAN-GP generator (reference.train_mnist)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    (data_dir() / "reference").mkdir(parents=True, exist_ok=True)
    if args.mnist:
        start = time.perf_counter()
        G = reference.train_mnist(progress=True)
        path = data_dir() / reference.MNIST_FILE
        torch.save(G.state_dict(), path)
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {reference.MNIST_FILE}   # "
              f"{reference.MNIST_STEPS} steps, {time.perf_counter() - start:.0f} s", flush=True)
        return
    for toy_set in args.sets:
        centres, std = toy.modes(toy_set)
        for method in args.methods:
            start = time.perf_counter()
            G = reference.train(toy_set, method, steps=args.steps)
            with torch.no_grad():
                x = G(torch.randn(2500, reference.Z_DIM,
                                  generator=torch.Generator().manual_seed(1)))
            name = reference.filename(toy_set, method)
            path = data_dir() / name
            torch.save(G.state_dict(), path)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            print(f"{digest}  {name}   # {mode_coverage(x, centres, std)}, {args.steps} steps, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
