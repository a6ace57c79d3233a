"""The ``ganlab`` command.

* ``ganlab info`` -- versions, device, budget.
* ``ganlab train --data 8gaussians --loss nonsaturating --steps 200 --out runs/demo`` --
  train a GAN on a toy set or MNIST; writes samples.png, losses.png, history.json and
  checkpoint.pt into ``--out`` (run it again to resume).
* ``ganlab run-notebooks [PATHS]`` -- re-execute notebooks in place (quick budget, CPU).
* ``ganlab exercises build [NOTEBOOKS...] --out DIR`` -- learner copies (solutions replaced
  by ``raise NotImplementedError``, outputs cleared); ``ganlab exercises check DIR`` --
  execute them and print a pass/fail table (exit code 1 if any exercise fails).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import textwrap
from pathlib import Path

TRAIN_DATA = ("8gaussians", "25gaussians", "swissroll", "ring", "mnist")


def _info(args: argparse.Namespace) -> int:
    from .runtime import info

    for key, value in info().items():
        print(f"{key:12s} {value}")
    return 0


def _run_notebooks(args: argparse.Namespace) -> int:
    from .grading import nbgrader_metadata
    from .notebooks import run_all

    times = run_all(_notebook_paths(args.paths), prepare=nbgrader_metadata)
    print(f"total: {sum(times.values()):.1f} s for {len(times)} notebooks")
    return 0


def _method(args: argparse.Namespace) -> str:
    """The paper whose settings fill in what the command line leaves out: WGAN with --clip,
    WGAN-GP with a gradient penalty (--penalty gp / gp-one-sided), else DCGAN (R1 is trained
    with the non-saturating loss and one critic step, Mescheder et al. 2018)."""
    if args.clip is not None:
        return "wgan"
    return "wgan-gp" if args.penalty in ("gp", "gp-one-sided") else "dcgan"


def _step_settings(args: argparse.Namespace):
    """The run's ``train.StepSettings``, field by field: the command line's value when one
    was given, otherwise the method's paper setting (``train.PAPER_SETTINGS[_method(args)]``,
    which holds ``StepSettings``' own default where the paper sets nothing). The batch size
    has been filled in by then (``_train``: toy 256, mnist 64 when not given)."""
    from .train import PAPER_SETTINGS, StepSettings

    # every StepSettings field is a ``train`` option of the same name, None when not given
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(StepSettings)
             if getattr(args, f.name) is not None}
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    return PAPER_SETTINGS[_method(args)].replace(**given)


def _models_and_data(args: argparse.Namespace):
    from . import data, toy
    from .models import MLP, DCCritic, DCGenerator
    from .runtime import pick

    if args.conditional:  # notebook 08: G(z, y) against a critic that sees the label
        from . import conditional

        if args.data != "mnist":
            raise ValueError(f"--conditional needs labelled data: use --data mnist, "
                             f"not --data {args.data}")
        critic = conditional.CRITICS[args.conditional]
        dataset = data.mnist(pick(quick="shipped", full="auto"))
        G = conditional.BigGANGenerator(z_dim=args.z_dim, width=args.width)
        return G, critic(width=args.width, sn=True), dataset
    if args.data == "mnist":
        dataset = data.mnist(pick(quick="shipped", full="auto"))
        G = DCGenerator(args.z_dim, width=args.width)
        D = DCCritic(width=args.width, batch_norm=args.penalty is None)
        return G, D, dataset.tensors[0]
    G = MLP(args.z_dim, 2, width=args.width, depth=3)
    D = MLP(2, 1, width=args.width, depth=3)
    name = args.data
    return G, D, lambda n, generator: toy.sample(name, n, generator=generator)


def _save_figures(args, loss: str, G, D, real, history, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from .plots import critic_field, image_grid, loss_curves

    samples = history.snapshots[-1][1]
    fig, ax = plt.subplots(figsize=(6, 6))
    if args.data == "mnist":
        image_grid(samples, nrow=8, ax=ax, title=f"{loss}: samples at step {args.steps}")
    else:
        lim = 2.0 if args.data != "ring" else 3.0
        critic_field(D, real(1000, torch.Generator().manual_seed(0)), samples, lim=lim, ax=ax,
                     title=f"{args.data}, {loss}: step {args.steps}")
    fig.savefig(out / "samples.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    loss_curves(history, ax=ax)
    fig.savefig(out / "losses.png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def _train(args: argparse.Namespace) -> int:
    import torch

    from .runtime import available_device, device, seed_everything
    from .train import fit

    mnist = args.data == "mnist"
    for key, toy_value, mnist_value in (("batch_size", 256, 64),
                                        ("z_dim", 2, 60 if args.conditional else 64),
                                        ("width", 128, 32)):
        if getattr(args, key) is None:
            setattr(args, key, mnist_value if mnist else toy_value)
    settings = _step_settings(args)
    generator = seed_everything(args.seed)
    G, D, data = _models_and_data(args)
    real = data.tensors[0] if args.conditional else data
    dev = available_device(args.device, "--device") if args.device else device()
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder (it is created if missing)")
    out.mkdir(parents=True, exist_ok=True)
    fixed_z = torch.randn(1000, args.z_dim, generator=torch.Generator().manual_seed(1))

    def toy_samples(G, D):
        with torch.no_grad():
            return G(fixed_z.to(dev)).cpu()

    history = fit(
        G, D, data, settings, steps=args.steps, z_dim=args.z_dim, device=dev,
        generator=generator,
        log_every=args.log_every, snapshot_every=args.steps,
        snapshot=None if mnist else toy_samples, checkpoint=out / "checkpoint.pt",
        conditional=args.conditional is not None,
    )
    (out / "history.json").write_text(json.dumps(
        {k: v for k, v in history.state_dict().items() if k != "snapshots"}, indent=1))
    _save_figures(args, settings.loss, G, D, real, history, out)
    print(f"d_loss {history.d_loss[-1]:.4f}  g_loss {history.g_loss[-1]:.4f}  "
          f"({history.wall[-1]:.1f} s on {dev}); wrote samples.png, losses.png, "
          f"history.json, checkpoint.pt to {out}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _add_train(sub) -> None:
    from .conditional import CRITICS
    from .losses import registered
    from .train import OPTIMIZERS, PENALTIES

    # the losses and penalties registered now, when the parser is built: a loss registered
    # (losses.register) before main() runs is a valid --loss
    p = sub.add_parser("train", help="train a GAN on a toy set or MNIST",
                       description="Train a GAN; the step's settings left out (--loss, "
                       "--n-critic, --optimizer, --lr, --betas, --penalty-weight) take the "
                       "values of the method's paper: DCGAN; WGAN with --clip; WGAN-GP with "
                       "--penalty gp or gp-one-sided (train.PAPER_SETTINGS).")
    p.add_argument("--data", required=True, choices=TRAIN_DATA)
    p.add_argument("--loss", default=None, choices=registered(),
                   help="default: the paper's (nonsaturating; wasserstein for WGAN, WGAN-GP)")
    p.add_argument("--steps", type=_positive_int, default=2000, help="generator steps")
    p.add_argument("--out", required=True, help="output folder (resumes if it has a checkpoint)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: best)")
    p.add_argument("--n-critic", type=_positive_int, default=None)
    p.add_argument("--clip", type=float, default=None, help="weight clipping bound c (WGAN)")
    p.add_argument("--penalty", choices=tuple(PENALTIES), default=None)
    p.add_argument("--penalty-weight", type=float, default=None,
                   help="lambda (default: the paper's)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--betas", type=float, nargs=2, default=None)
    p.add_argument("--batch-size", type=_positive_int, default=None, help="toy 256, mnist 64")
    p.add_argument("--z-dim", type=_positive_int, default=None,
                   help="toy 2, mnist 64, conditional 60 (a multiple of 3)")
    p.add_argument("--width", type=_positive_int, default=None, help="toy 128, mnist 32")
    p.add_argument("--conditional", choices=tuple(CRITICS), default=None,
                   help="a class-conditional GAN on MNIST (notebook 08): a BigGAN-style G(z, y) "
                   "and a spectrally normalised critic that sees the label this way")
    p.add_argument("--log-every", type=_positive_int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_train)


def _notebook_paths(items: list[str]) -> list[Path]:
    from .notebooks import course_notebooks

    paths: list[Path] = []
    for item in items:
        path = Path(item)
        paths.extend(course_notebooks(path) if path.is_dir() else [path])
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"ganlab: no such notebook: {', '.join(missing)}")
    if not paths:
        raise SystemExit(f"ganlab: no NN_*.ipynb notebooks in {', '.join(items)}")
    return paths


def _exercises_build(args: argparse.Namespace) -> int:
    from .grading import build_learner_copy

    out = Path(args.out)
    total = 0
    for path in _notebook_paths(args.notebooks):
        n = build_learner_copy(path, out / path.name)
        total += n
        print(f"{out / path.name}: {n} exercises")
    print(f"{total} exercises in {out}")
    return 0


def _exercises_check(args: argparse.Namespace) -> int:
    from .grading import grade_notebooks

    records = grade_notebooks(_notebook_paths(args.paths), fast=args.fast)
    width = max((len(r["id"]) for r in records), default=10)
    for r in records:
        mark = "passed" if r["passed"] else f"FAILED ({r['message'].split(':')[0]})"
        print(f"{r['id']:{width}s}  {mark:28s} {r['points']}/{r['max_points']}")
        if not r["passed"]:  # the checker's message: what failed, where, what came back
            text = r["message"].split(": ", 1)[-1].strip()
            for line in textwrap.wrap(text, 96, max_lines=8, placeholder=" [...]") or [""]:
                print(f"    {line}")
    failed = sum(not r["passed"] for r in records)
    points, best = sum(r["points"] for r in records), sum(r["max_points"] for r in records)
    print(f"{len(records) - failed} passed, {failed} failed; {points}/{best} points")
    print("(each exercise is all or nothing: its points count when every check passes)")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"exercises": records, "passed": len(records) - failed, "failed": failed,
             "points": points, "max_points": best}, indent=1) + "\n")
    return 1 if failed or not records else 0


def _add_exercises(sub) -> None:
    ex = sub.add_parser("exercises", help="coursework: learner copies and their checks")
    ex_sub = ex.add_subparsers(dest="action", required=True)
    build = ex_sub.add_parser("build", help="write learner copies of notebooks")
    build.add_argument("notebooks", nargs="*", default=["notebooks"],
                       help="notebooks or folders (default: notebooks)")
    build.add_argument("--out", required=True, help="folder for the learner copies")
    build.set_defaults(func=_exercises_build)
    check = ex_sub.add_parser(
        "check", help="execute notebooks and report every exercise",
        description="Execute notebooks and report every exercise, with the checker's message "
        "under each failed one. Grading counts only what was checked: check cells are "
        "restored from the course's form first, and an exercise passes only when its "
        "checker (loaded afresh) ran to its end on your function. Each exercise is all or "
        "nothing: its points count when every one of its checks passes.")
    check.add_argument("paths", nargs="+", help="notebooks or folders")
    check.add_argument("--fast", action="store_true",
                       help="run only the notebooks' imports, answer cells and checks, not "
                       "the training cells (seconds per notebook); an answer must define or "
                       "import everything it uses (a NameError then says so)")
    check.add_argument("--json", default=None, metavar="FILE",
                       help="also write the results there: per exercise id, passed, points, "
                       "max_points, message; and the totals (for autograding / a gradebook)")
    check.set_defaults(func=_exercises_check)


def build_parser() -> argparse.ArgumentParser:
    """The ``ganlab`` command's argument parser, with its subcommands.

    Subcommands: ``info``, ``train``, ``exercises`` (``build``, ``check``) and
    ``run-notebooks``; a subcommand is required. Each subcommand sets ``func`` on the parsed
    namespace, the handler that :func:`main` calls.

    Returns
    -------
    argparse.ArgumentParser
        A new parser, ``prog="ganlab"``.
    """
    parser = argparse.ArgumentParser(prog="ganlab", description="GAN-theory course helpers.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, device, budget").set_defaults(func=_info)
    _add_train(sub)
    _add_exercises(sub)
    run = sub.add_parser(
        "run-notebooks",
        help="re-execute notebooks in place (quick budget, CPU) so their outputs are the "
        "reference nbval compares against",
    )
    run.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders")
    run.set_defaults(func=_run_notebooks)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``ganlab`` command; the console entry point.

    Parses ``argv`` with :func:`build_parser` and runs the chosen subcommand. For
    ``ganlab train``, a learner's mistake (``ValueError``, ``TypeError``, ``OSError``) is
    printed as one ``error:`` line on stderr with exit status 2, and a diverged run
    (``train.NonFiniteLossError``) as one ``diverged:`` line with exit status 1, without a
    traceback.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success; 1 when ``exercises check`` finds a failed exercise
        (or none at all) or training diverged; 2 on a ``train`` usage error.

    Raises
    ------
    SystemExit
        From ``argparse`` on bad arguments or ``--help``; when a notebook named is missing
        or a folder given holds no ``NN_*.ipynb`` notebook.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is not _train:
        return args.func(args)
    from .train import NonFiniteLossError

    try:
        return _train(args)
    except (ValueError, TypeError, OSError) as err:  # a learner's mistake: say it, no traceback
        print(f"{parser.prog} train: error: {err}", file=sys.stderr)
        return 2
    except NonFiniteLossError as err:  # training diverged: not a usage error, still no traceback
        print(f"{parser.prog} train: diverged: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
