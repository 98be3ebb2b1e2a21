"""How fast barenet.datasets reads MNIST, and how much memory it takes on the way.

Measures, as the median of several runs: load_mnist() from the cached IDX files, and read_csv()
parsing + validating a 60,000-row mnist_train.csv written from the same data into a temp
directory. Peak memory is tracemalloc's peak during one call (NumPy reports its arrays to it),
compared with the size of the arrays returned. Prints a Markdown table.

Needs the real MNIST in the cache: `python -m barenet.datasets fetch` first.
Usage: python benchmarks/data_loading.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from barenet.datasets import DataError, load_mnist, read_csv

HEADER = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))


def write_mnist_csv(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write images (n, 784) uint8 and labels (n,) as Kaggle's mnist_train.csv, vectorized."""
    V = np.column_stack([labels, images]).astype(np.uint8)
    cells = np.empty((*V.shape, 4), np.uint8)  # up to 3 digits and a separator per cell
    cells[..., 0], cells[..., 1], cells[..., 2] = V // 100 + 48, V // 10 % 10 + 48, V % 10 + 48
    cells[..., 3] = ord(",")
    cells[:, -1, 3] = ord("\n")
    keep = np.ones(cells.shape, bool)
    keep[..., 0], keep[..., 1] = V >= 100, V >= 10  # no leading zeros
    path.write_bytes(HEADER.encode() + b"\n" + cells[keep].tobytes())


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_bytes(fn: Callable[[], tuple]) -> tuple[int, int]:
    """Peak of traced allocations (NumPy reports its arrays to tracemalloc) during fn(),
    and the bytes of the arrays it returns."""
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, sum(a.nbytes for a in out if a is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per step (default 5)")
    args = parser.parse_args()
    try:
        X, y, _, _ = load_mnist(download=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "mnist_train.csv"
        write_mnist_csv(csv, np.rint(X * 255).astype(np.uint8), y)
        X_csv, y_csv = read_csv(csv)
        if not (np.array_equal(X_csv, X) and np.array_equal(y_csv, y)):
            print("error: the CSV round trip changed the data", file=sys.stderr)
            return 1
        size = csv.stat().st_size / 2**20
        del X_csv, y_csv
        for label, fn in [
            ("load_mnist() from cached IDX (60k + 10k)", lambda: load_mnist(download=False)),
            (f"read_csv() mnist_train.csv, {size:.0f} MiB", lambda: read_csv(csv)),
        ]:
            seconds = median_seconds(fn, args.runs)
            rows.append((label, seconds, *peak_bytes(fn)))
    print(f"| step (median of {args.runs}) | seconds | peak memory | result | peak / result |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, peak, final in rows:
        print(
            f"| {label} | {seconds:.3f} | {peak / 2**20:.0f} MiB | {final / 2**20:.0f} MiB "
            f"| {peak / final:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
