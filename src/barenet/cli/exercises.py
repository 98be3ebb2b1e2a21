"""``barenet exercises DIR [--check] [--solutions] [--force]``: the command line of the workbook.

``barenet.exercises`` writes the workbook, grades it and trains with it, and returns what it
found (``Result``, ``TrainResult``) or reports it through a callback; this module prints it.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

from ..exercises.catalogue import EXERCISES
from ..exercises.workbook import DEFAULT_ITERATIONS
from .arguments import seed_int


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Adds ``exercises`` to barenet's commands."""
    parser = commands.add_parser("exercises", help="write the network's math yourself: a workbook")
    parser.add_argument("dir", metavar="DIR", help="the workbook's folder")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="grade the exercises in DIR")
    mode.add_argument("--solutions", action="store_true", help="write the solved workbook")
    parser.add_argument("--force", action="store_true", help="overwrite files already in DIR")
    parser.add_argument(
        "--iterations",
        type=seed_int,
        metavar="N",
        help=f"--check: full-batch iterations of the final training (default "
        f"{DEFAULT_ITERATIONS}; the post ran 1000; 0 skips it)",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="--check: directory holding MNIST (default: cache, then fetch)",
    )
    parser.set_defaults(func=cmd_exercises, usage_check=partial(_check_usage, parser))


def _check_usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what the chosen mode would ignore, before anything is written or read."""
    if args.check and args.force:
        parser.error("--force is for writing a workbook; --check only reads one")
    if not args.check:
        given = [
            f
            for f, v in (("--iterations", args.iterations), ("--data", args.data))
            if v is not None
        ]
        if given:
            parser.error(f"{' and '.join(given)} go with --check (they set its final training)")


def cmd_exercises(args: argparse.Namespace) -> int:
    """Write the workbook (blank or solved), or grade it; the exit status."""
    if args.check:
        iterations = DEFAULT_ITERATIONS if args.iterations is None else args.iterations
        return _check(Path(args.dir), iterations, args.data)
    from ..exercises.workbook import write

    written = write(args.dir, solutions=args.solutions, force=args.force)
    count = f"{len(EXERCISES)} exercises in {len(written) - 1} files"
    if args.solutions:
        print(f"Wrote barenet's solutions into {args.dir}: {count}, and a README.md.")
        print("They pass; grade them with:")
    else:
        print(f"Wrote a workbook into {args.dir}: {count}, and a README.md that says how to")
        print(f"work through them. Start with {written[0]}, then check your work with:")
    print(f"    barenet exercises {args.dir} --check")
    return 0


def _check(directory: Path, iterations: int, data: str | None) -> int:
    from ..exercises.grading import check

    print(f"Grading the workbook in {directory}:")
    results = check(directory, on_result=lambda result: print(result, flush=True))
    passed = sum(result.passed for result in results)
    if passed < len(results):
        print(f"{passed} of {len(results)} pass. Fix the FAILs, then run this again.")
        return 1
    if iterations == 0:
        print(f"All {len(results)} pass. (--iterations 0: no training.)")
        return 0
    return _train(directory, iterations, data, len(results))


def _train(directory: Path, iterations: int, data: str | None, count: int) -> int:
    from ..exercises.driver import train
    from .data import load_mnist_or_fetch

    X, y, X_test, y_test = load_mnist_or_fetch(data)
    print(f"All {count} pass. Now your code trains the post's network on MNIST:")
    print(
        f"{X.shape[1]}-10 ReLU-10 softmax, your He initializer, full-batch gradient descent at "
        f"learning rate 0.1, {iterations} iterations on {len(X)} images"
        + (" (the post ran 1000: --iterations 1000)." if iterations < 1000 else ".")
    )
    start = time.perf_counter()
    result = train(
        directory,
        X,
        y,
        X_test,
        y_test,
        iterations=iterations,
        every=max(1, iterations // 10),
        report=lambda updates, loss: print(
            f"  after {updates:>4} updates: loss {loss:.4f}", flush=True
        ),
    )
    seconds = time.perf_counter() - start
    print(
        f"Test accuracy with your code: {result.accuracy:.2%} on {len(X_test)} test images "
        f"({seconds:.1f} s)."
    )
    return 0
