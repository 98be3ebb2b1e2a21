"""How an epoch's time grows with the hidden width and the batch size, for barenet and PyTorch,
against the floating-point work it does.

Usage: python benchmarks/scaling.py [--repeats 3] [--png benchmarks/scaling.png]

One epoch of MNIST (60,000 images) with SGD, learning rate 0.1: 784-h-10 with h in 64 … 2048
at batch 128, and 784-256-10 with the batch size in 16 … 1024. Each point is the median of
``--repeats`` epochs, barenet's then PyTorch's at each point. Prints a Markdown table with the
achieved GFLOP/s and writes a PNG of time against width and against batch size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import _machine  # beside this script
import peers

WIDTHS = (64, 128, 256, 512, 1024, 2048)
BATCHES = (16, 32, 64, 128, 256, 512, 1024)


def epoch_seconds(system: str, X, y, sizes, batch: int, repeats: int) -> float:
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        peers.SYSTEMS[system](X, y, sizes, "sgd", 0.1, batch, 1, seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--png", default=str(Path(__file__).resolve().parent / "scaling.png"))
    args = parser.parse_args()
    import torch

    from barenet.datasets import load_mnist

    torch.set_num_threads(os.cpu_count() or 1)
    X, y, _, _ = load_mnist(download=False)
    points = [("width", h, (784, h, 10), 128) for h in WIDTHS]
    points += [("batch", b, (784, 256, 10), b) for b in BATCHES]
    rows = []
    for kind, value, sizes, batch in points:
        flops = peers.training_flops(sizes, len(X), 1)
        seconds = {
            s: epoch_seconds(s, X, y, sizes, batch, args.repeats) for s in ("barenet", "torch")
        }
        rows.append((kind, value, flops, seconds))
        print(f"{kind}={value}: {seconds}", file=sys.stderr, flush=True)
    print(f"Machine: {_machine.describe()}\n")
    print(
        "| varied | value | GFLOP per epoch | barenet s | PyTorch s "
        "| barenet GFLOP/s | PyTorch GFLOP/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, value, flops, s in rows:
        print(
            f"| {kind} | {value} | {flops / 1e9:.1f} | {s['barenet']:.2f} | {s['torch']:.2f} | "
            f"{flops / s['barenet'] / 1e9:.0f} | {flops / s['torch'] / 1e9:.0f} |"
        )
    plot(rows, args.png)
    return 0


def plot(rows: list, path: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    for ax, kind, label in zip(
        fig.subplots(1, 2),
        ("width", "batch"),
        ("hidden width (batch 128)", "batch size (784-256-10)"),
        strict=True,
    ):
        sel = [r for r in rows if r[0] == kind]
        xs = [r[1] for r in sel]
        for system, marker in (("barenet", "o"), ("torch", "s")):
            ax.plot(xs, [r[3][system] for r in sel], marker=marker, label=system)
        # the FLOP count, scaled to barenet's time at the largest point: where time follows it
        scale = sel[-1][3]["barenet"] / sel[-1][2]
        ax.plot(xs, [r[2] * scale for r in sel], "k:", label="FLOP count (scaled)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    raise SystemExit(main())
