"""Estimate what GANLAB_BUDGET=full costs per notebook on this machine's CPU.

A full run of notebooks 05-08 takes hours on a CPU, so it is measured at two scales and
extrapolated. Each notebook is executed under ``full`` twice, with its step counts cut
``--cuts`` fold (``ganlab.notebooks.full_budget_prelude``: every full branch, full widths and
rates, asserts removed) and the reference runs it would retrain loaded from the shipped files
instead. The wall time of such a run is modelled as T(c) = a + b / c: ``a`` for what does not
scale with the steps (imports, data, evaluation, figures), ``b`` for the live training at full
length. The two runs give a and b, and the live part under ``full`` is a + b. The retraining
that ``reference.obtain`` does under ``full`` is added from ``data/reference/runs.json``: the
measured wall time of each shipped run the notebook loads (trained one core per run).

    python scripts/estimate_full_budget.py notebooks/05_wgan_gp.ipynb
    python scripts/estimate_full_budget.py --cuts 50 25 notebooks/0[5-8]_*.ipynb

With ``--full-length DIR`` it measures instead of estimating: each notebook runs once under
``full`` at full length with its asserts kept (the references still loaded, their recorded
training time added), the executed notebook is written to DIR, and every cell that raised
(a claim that does not hold at full length, or a crash) is listed.

    python scripts/estimate_full_budget.py --full-length runs/full notebooks/07_*.ipynb
    python scripts/estimate_full_budget.py --device cuda --full-length runs/full \
        notebooks/0[5-8]_*.ipynb

It prints one markdown row per notebook. Run it on an otherwise idle machine; with
``--threads 1`` (the default) it uses one core.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import nbformat

from ganlab import reference, runtime
from ganlab.notebooks import execute, full_budget_prelude

RECORD = '''
import json as _json
import ganlab.reference

_obtained = []


def _shipped_instead(name, seed=0, *, critic=False):  # what full would retrain, loaded
    _obtained.append([name, seed])
    with open({path!r}, "w") as _f:
        _json.dump(_obtained, _f)
    return ganlab.reference.load(name, seed, critic=critic)


ganlab.reference.obtain = _shipped_instead
'''


def _parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks to measure")
    parser.add_argument("--cuts", nargs=2, type=int, default=(50, 25), metavar=("C1", "C2"),
                        help="the two step-count divisors (default 50 25)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default="cpu",
                        help="GANLAB_DEVICE for the runs: cpu (default), cuda, cuda:N, mps")
    parser.add_argument("--full-length", type=Path, metavar="DIR",
                        help="measure one full-length run per notebook, asserts kept; "
                             "write the executed notebooks to DIR")
    args = parser.parse_args(argv)
    if args.cuts[0] == args.cuts[1] or min(args.cuts) < 1:
        parser.error(f"--cuts must be two different positive divisors, got {args.cuts}")
    try:
        runtime.available_device(args.device, "--device")
    except ValueError as error:
        parser.error(str(error))
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"notebook {path} does not exist")
    return args


def _run(path: Path, prelude: str, *, keep: Path | None = None):
    """Run ``path`` with ``prelude`` (plus the reference recorder) after its title cell.

    Returns the seconds taken, the (recipe, seed) pairs it loaded and the executed notebook.
    With ``keep`` the run goes on past errors and the notebook is written there.
    """
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "obtained.json"
        nb = nbformat.read(path, as_version=4)
        nb.cells[1:1] = [nbformat.v4.new_code_cell(prelude + RECORD.format(path=str(record)))]
        start = time.perf_counter()
        execute(nb, path.parent.resolve(), timeout=12 * 3600, allow_errors=keep is not None)
        seconds = time.perf_counter() - start
        obtained = json.loads(record.read_text()) if record.exists() else []
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, keep / path.name)
    return seconds, sorted({(name, int(seed)) for name, seed in obtained}), nb


def timed_run(path: Path, cut: int) -> tuple[float, list[tuple[str, int]]]:
    """Seconds to run ``path`` under ``full`` at ``1/cut`` scale, and the references it loads."""
    seconds, obtained, _ = _run(path, full_budget_prelude(cut))
    return seconds, obtained


def failed_cells(nb) -> list[str]:
    """``"cell N: Error: message"`` for each code cell of ``nb`` whose output is an error
    (N counts the notebook's own cells from 0; the inserted prelude is not counted)."""
    failures = []
    for number, cell in enumerate(nb.cells[:1] + nb.cells[2:]):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "error":
                failures.append(f"cell {number}: {out.ename}: {out.evalue}"[:300])
    return failures


def measure(path: Path, keep: Path) -> dict:
    """One full-length run of ``path`` under ``full``, asserts kept, references loaded."""
    seconds, refs, nb = _run(path, "", keep=keep)
    return {"notebook": path.name, "live_s": seconds, "references": len(refs),
            "retrain_s": retraining_seconds(refs), "failures": failed_cells(nb)}


def retraining_seconds(obtained: list[tuple[str, int]]) -> float:
    """The recorded wall time of training each (recipe, seed) in ``obtained``."""
    runs = reference.runs()
    return sum(runs[name][str(seed)]["wall_seconds"] for name, seed in obtained)


def estimate(path: Path, cuts: tuple[int, int]) -> dict:
    (c1, t1, refs), (c2, t2, _) = [(c, *timed_run(path, c)) for c in cuts]
    b = (t2 - t1) / (1 / c2 - 1 / c1)     # T(c) = a + b / c through both runs
    a = t1 - b / c1
    return {"notebook": path.name, "timed": {c1: t1, c2: t2}, "fixed_s": a, "live_s": a + b,
            "references": len(refs), "retrain_s": retraining_seconds(refs)}


def main(argv=None) -> int:
    args = _parse(argv)
    os.environ.update(GANLAB_BUDGET="full", GANLAB_DEVICE=args.device,
                      OMP_NUM_THREADS=str(args.threads))
    if args.full_length is not None:
        print("| notebook | live runs under full, measured | references retrained "
              "| retraining (runs.json) | cells that raised |")
        print("|---|---|---|---|---|")
        for path in args.notebooks:
            m = measure(path, args.full_length)
            print(f"| {m['notebook']} | {m['live_s'] / 60:.0f} min | {m['references']} "
                  f"| {m['retrain_s'] / 3600:.1f} h | {'; '.join(m['failures']) or 'none'} |",
                  flush=True)
        return 0
    c1, c2 = args.cuts
    print(f"| notebook | timed at 1/{c1}, 1/{c2} | live runs under full | references retrained "
          "| retraining (runs.json) |")
    print("|---|---|---|---|---|")
    for path in args.notebooks:
        e = estimate(path, (c1, c2))
        t1, t2 = e["timed"].values()
        print(f"| {e['notebook']} | {t1:.0f} s, {t2:.0f} s | {e['live_s'] / 60:.0f} min "
              f"| {e['references']} | {e['retrain_s'] / 3600:.1f} h |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
