"""Train the reference runs that notebooks 05-07 load (the recipes of ganlab.reference).

A toy recipe's seeds are trained together, as one stacked ensemble
(``ganlab.reference.train_ensemble``: member k is the run seed k makes alone, for a fraction
of the cost); ``--separate`` trains them one process per seed instead, as MNIST recipes
always are (their convolutional networks are not stacked). Each job runs in its own process
(``--jobs`` at a time, ``--threads`` torch threads each: one per core is fastest on a CPU),
checkpointed under ``--work`` so that an interrupted run resumes where it stopped, evaluated
with ``ganlab.reference.evaluate``, and written to ``data/reference/<recipe>_s<seed>.pt`` (what
``ganlab.reference.shipped_state`` keeps). Its sha256 goes into ``data/MANIFEST`` and its
provenance (recipe, seed, steps, wall time, device, torch version, metrics; for an ensemble
member, which member of how many, and the learning curve) into ``data/reference/runs.json``.
``--reship`` rewrites recorded runs' files without training. Runs already recorded there are
skipped unless ``--force``.

    python scripts/train_reference.py --list
    python scripts/train_reference.py --jobs 2                       # everything, 2 cores
    python scripts/train_reference.py --only '25gaussians_*' --seeds 0-9
    python scripts/train_reference.py --only 8gaussians_wgan-gp --seeds 0-3 --steps 200 \
        --out /tmp/look                       # a quick look: results go to /tmp/look only
    python scripts/train_reference.py --only 8gaussians_wgan-gp --seeds 0-3 --steps 200 \
        --out /tmp/look --separate            # the same, one process-sequential run per seed
    python scripts/train_reference.py --only mnist_nonsaturating --jobs 1 --threads 2
    python scripts/train_reference.py --device cuda --jobs 1         # on a GPU
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import re
import sys
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ganlab import reference
from ganlab.data import data_dir


def _parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--only", nargs="+", metavar="PATTERN",
                        help="recipes to train, shell-style patterns (default: all)")
    parser.add_argument("--seeds", nargs="+", type=_seed_range,
                        help="seeds to train, e.g. 0 1 2 or 0-9 (default: each recipe's own)")
    parser.add_argument("--separate", action="store_true",
                        help="train a toy recipe's seeds one run each, not as one ensemble")
    parser.add_argument("--out", help="with --steps: write results and provenance here "
                                      "(runs.json, the .pt files), leaving data/ alone")
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    parser.add_argument("--steps", type=int,
                        help="override every recipe's length (for a quick look; such runs "
                             "are written under --work, never to data/)")
    parser.add_argument("--work", default="runs/reference",
                        help="folder for checkpoints (default runs/reference)")
    parser.add_argument("--force", action="store_true",
                        help="retrain recorded runs too, from scratch (their checkpoints are "
                             "deleted)")
    parser.add_argument("--list", action="store_true", help="list the recipes and stop")
    parser.add_argument("--reship", action="store_true",
                        help="rewrite the recorded runs' files as reference.shipped_state says "
                             "(no training; their metrics are recomputed)")
    args = parser.parse_args(argv)
    for name in ("jobs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    if args.out is not None and args.steps is None:
        parser.error("--out is for quick looks: give --steps too (full runs ship to data/)")
    if args.seeds is not None:
        args.seeds = sorted({s for chunk in args.seeds for s in chunk})
    try:
        args.recipes = reference.select(args.only)
    except ValueError as err:
        parser.error(str(err))
    return args


def _seed_range(text: str) -> list[int]:
    """``3`` -> [3]; ``0-9`` -> [0, ..., 9]."""
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not match or (match[2] is not None and int(match[2]) < int(match[1])):
        raise argparse.ArgumentTypeError(f"a seed is a number or a range like 0-9, got {text!r}")
    return list(range(int(match[1]), int(match[2] or match[1]) + 1))


def _jobs(args) -> list[tuple[str, tuple[int, ...]]]:
    """(recipe, seeds) per process: a stackable recipe's seeds together (one ensemble) unless
    ``--separate``; every other run alone (MNIST, virtual batch norm)."""
    done = reference.runs()
    jobs = []
    for r in args.recipes:
        seeds = [seed for seed in (args.seeds if args.seeds is not None else r.seeds)
                 if seed in r.seeds or args.steps is not None]
        todo = [seed for seed in seeds if args.force or args.steps is not None
                or str(seed) not in done.get(r.name, {})]
        if not todo:
            continue
        if reference.stackable(r.name) and not args.separate:
            jobs.append((r.name, tuple(todo)))
        else:
            jobs += [(r.name, (seed,)) for seed in todo]
    return jobs


def _work(args) -> Path:
    return Path(args.work) / (f"steps{args.steps}" if args.steps else "")


def _run(job) -> list[tuple[str, int, dict, str | None]]:
    """Train one job (a single run, or a toy recipe's seeds as one ensemble); ship each seed."""
    name, seeds, args = job
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    work = _work(args)
    if args.force:  # retrain from scratch, not from this recipe's finished checkpoints
        tag = "-".join(map(str, seeds))
        for old in work.glob(f"{name}_s{tag}_*.phase*.pt"):
            old.unlink()
    ensemble = reference.stackable(name) and not args.separate
    if ensemble:
        pairs, curve = reference.train_ensemble(name, list(seeds), steps=args.steps,
                                                device=args.device, checkpoint_dir=work)
    else:
        curve_points = None if reference.recipe(name).ema else 10  # no curve of an average
        run = reference.train(name, seeds[0], steps=args.steps, device=args.device,
                              checkpoint_dir=work, curve_points=curve_points)
        pairs, curve = [run[:2]], (run[2] if curve_points else None)
    wall = time.perf_counter() - start
    steps = args.steps or reference.recipe(name).steps
    out = []
    for k, (seed, (G, D)) in enumerate(zip(seeds, pairs, strict=True)):
        if args.steps is not None:  # a quick look: keep it out of data/
            folder = Path(args.out) if args.out else work
            folder.mkdir(parents=True, exist_ok=True)
            torch.save({"G": G.state_dict(), "D": D.state_dict()}, folder / f"{name}_s{seed}.pt")
            digest, metrics = None, reference.evaluate(name, G)
        else:
            digest, metrics = _ship(name, seed, G, D)
        entry = reference.provenance(name, seed, steps, wall / len(seeds), args.device,
                                     args.threads, metrics)
        if ensemble:
            entry["ensemble"] = {"member": k, "members": len(seeds), "seeds": list(seeds),
                                 "wall_seconds_all_members": round(wall, 1)}
        if curve is not None:
            entry["curve"] = reference.learning_curve(name, curve, k)
        out.append((name, seed, entry, digest))
    return out


def _ship(name: str, seed: int, G, D) -> tuple[str, dict]:
    """Write the shipped file (``reference.shipped_state``) and evaluate the generator as
    shipped (rounded to float16 for MNIST); return (sha256, metrics)."""
    state = reference.shipped_state(name, G, D, seed)
    path = data_dir() / reference.filename(name, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    G.load_state_dict(state["G"])
    return hashlib.sha256(path.read_bytes()).hexdigest(), reference.evaluate(name, G)


def reship(patterns, seeds=None) -> int:
    """Rewrite recorded runs under the current ``shipped_state`` without retraining: the
    metrics in runs.json are recomputed from the rewritten weights, the rest kept."""
    for r in reference.select(patterns):
        for seed in seeds or r.seeds:
            entry = reference.runs().get(r.name, {}).get(str(seed))
            if entry is None:
                continue
            G, D = reference.make_pair(r.name, seed)
            state = torch.load(data_dir() / reference.filename(r.name, seed),
                               map_location="cpu", weights_only=True)
            G.load_state_dict(state["G"])
            if "D" in state:
                D.load_state_dict(state["D"])
            digest, metrics = _ship(r.name, seed, G.eval(), D.eval())
            _record(r.name, seed, {**entry, "metrics": metrics}, digest)
            print(f"{r.name} seed {seed}: {_summary(metrics)}")
    return 0


def update_manifest(manifest: Path, file: str, digest: str) -> None:
    """Set ``file``'s sha256 line in ``manifest`` (replace it, or add it after the last
    ``reference/`` line)."""
    lines = manifest.read_text().splitlines()
    line = f"{digest}  {file}"
    pattern = re.compile(rf"^[0-9a-f]{{64}}\s+{re.escape(file)}\s*$")
    for i, old in enumerate(lines):
        if pattern.match(old):
            lines[i] = line
            break
    else:
        ref = [i for i, old in enumerate(lines) if re.match(r"^[0-9a-f]{64}\s+reference/", old)]
        lines.insert(ref[-1] + 1 if ref else len(lines), line)
    manifest.write_text("\n".join(lines) + "\n")


def _record(name: str, seed: int, entry: dict, digest: str | None, out: str | None = None) -> None:
    """Add a run to runs.json (and its sha256 to MANIFEST) -- or, for a quick look with
    ``--out``, to ``<out>/runs.json`` only."""
    runs_path = Path(out) / "runs.json" if out else data_dir() / reference.RUNS_FILE
    runs = json.loads(runs_path.read_text()) if runs_path.exists() else {}
    runs.setdefault(name, {})[str(seed)] = {**entry, "sha256": digest}
    ordered = {k: dict(sorted(v.items(), key=lambda kv: int(kv[0])))
               for k, v in sorted(runs.items())}
    runs_path.write_text(json.dumps(ordered, indent=1) + "\n")
    if digest is not None and not out:
        update_manifest(data_dir() / "MANIFEST", reference.filename(name, seed), digest)


def _summary(metrics: dict) -> str:
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in metrics.items() if not isinstance(v, list))


def main(argv=None) -> int:
    args = _parse(argv)
    jobs = _jobs(args)
    if args.reship:
        return reship(args.only, args.seeds)
    if args.list:
        for r in args.recipes:
            print(f"{r.name:34s} notebook {r.notebook}  seeds {list(r.seeds)}  {r.describe()}")
        return 0
    if not jobs:
        print("nothing to train: every selected run is recorded in "
              f"{reference.RUNS_FILE} (use --force to retrain)")
        return 0
    print(f"{len(jobs)} jobs ({sum(len(s) for _, s in jobs)} runs), {args.jobs} at a time, "
          f"{args.threads} thread(s) each, on {args.device}", flush=True)
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # no forked torch thread pools
    with context.Pool(min(args.jobs, len(jobs)), maxtasksperchild=1) as pool, \
            tqdm(total=len(jobs), unit="job", file=sys.stdout) as bar:
        for results in pool.imap_unordered(_run, [(n, s, args) for n, s in jobs]):
            for name, seed, entry, digest in results:
                if digest is not None or args.out:
                    _record(name, seed, entry, digest, args.out)
                bar.write(f"{name} seed {seed}: {entry['wall_seconds']:.0f} s, "
                          f"{_summary(entry['metrics'])}")
            bar.update()
    print(f"wall time {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
