"""The ``ganlab`` command: ``ganlab info``, ``ganlab run-notebooks``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _info(args: argparse.Namespace) -> int:
    from .runtime import info

    for key, value in info().items():
        print(f"{key:12s} {value}")
    return 0


def _run_notebooks(args: argparse.Namespace) -> int:
    from .notebooks import course_notebooks, run_all

    paths = []
    for item in args.paths:
        path = Path(item)
        paths.extend(course_notebooks(path) if path.is_dir() else [path])
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"ganlab run-notebooks: no such notebook: {', '.join(missing)}")
    times = run_all(paths)
    print(f"total: {sum(times.values()):.1f} s for {len(times)} notebooks")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganlab", description="GAN-theory course helpers.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, device, budget").set_defaults(func=_info)
    run = sub.add_parser(
        "run-notebooks",
        help="re-execute notebooks in place (quick budget, CPU) so their outputs are the "
        "reference nbval compares against",
    )
    run.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders")
    run.set_defaults(func=_run_notebooks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
