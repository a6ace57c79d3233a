"""POT's network simplex vs the moving-plan LP in SciPy's HiGHS, timed side by side.

For n = 100, 300, 1000 points per side (uniform weights, 2-D Gaussian clouds, Euclidean
cost), both solvers run on the same problem; the ratio linprog / POT is printed. linprog
gets a 60 s limit per problem; sizes where it runs out are reported as skipped. Then
``emd`` alone at n = 2000 (target: <= 1 s on 2 CPU cores).

    python bench/transport.py [--sizes 100 300 1000] [--limit 60]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import ot

from ganlab.transport import emd, emd_linprog


def problem(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 1.0
    w = np.full(n, 1.0 / n)
    return w, w, ot.dist(x, y, metric="euclidean")


def seconds(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--limit", type=float, default=60.0)
    args = parser.parse_args()
    emd(*problem(10))  # warm-up: imports and first call
    print(f"{'n':>6s} {'POT emd (s)':>12s} {'linprog (s)':>12s} {'linprog/POT':>12s}  cost check")
    for n in args.sizes:
        a, b, M = problem(n)
        t_pot, (cost, _) = seconds(emd, a, b, M)
        try:
            t_lp, (cost_lp, _) = seconds(emd_linprog, a, b, M, time_limit=args.limit)
        except RuntimeError:
            print(f"{n:6d} {t_pot:12.4f} {'> limit':>12s} {'skipped':>12s}  linprog ran past "
                  f"{args.limit:.0f} s")
            continue
        same = "equal" if abs(cost - cost_lp) <= 1e-9 * max(1.0, cost) else "DIFFER"
        print(f"{n:6d} {t_pot:12.4f} {t_lp:12.4f} {t_lp / t_pot:12.1f}  {same}")
    a, b, M = problem(2000)
    t_pot, _ = seconds(emd, a, b, M)
    print(f"emd at n = 2000: {t_pot:.3f} s (target <= 1 s)")


if __name__ == "__main__":
    main()
