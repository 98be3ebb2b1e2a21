"""Speed against the peers: barenet, plain NumPy, PyTorch (CPU) and scikit-learn on identical work.

Usage:
    python benchmarks/speed.py [--runs 3] [--workloads w1,w2,w3,w4,w5] [--systems ...]
                               [--write BENCHMARKS.md]

Each (system, workload, run) is a fresh subprocess, so peak RSS is that run's own; runs
alternate between systems (the order rotates every round), with the same thread count for
all. In the same run the parent measures the machine's limits: float32 GEMM throughput
(a large matrix product) and memory bandwidth (a large copy). A workload's "share of the
limit" is its floating-point work done at that GEMM peak, divided by its measured time.

Needs `pip install -e ".[bench]"` and `pip install torch==2.13.0` (CPU build).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _machine  # beside this script
import numpy as np
import peers

WORKLOADS = {
    "w1": ("784-128-10, SGD 0.1, batch 128, 5 epochs", (784, 128, 10), "sgd", 0.1, 128, 5),
    "w2": ("784-800-10, SGD 0.1, batch 128, 5 epochs", (784, 800, 10), "sgd", 0.1, 128, 5),
    "w3": (
        "784-512-512-10, Adam 1e-3, batch 256, 5 epochs",
        (784, 512, 512, 10),
        "adam",
        1e-3,
        256,
        5,
    ),
    "w4": (
        "the post: 784-10-10 full-batch GD 0.1, 20 iterations",
        (784, 10, 10),
        "gd",
        0.1,
        None,
        20,
    ),
    "w5": (
        "inference: 784-128-10 (1 epoch of w1), 10,000 images and 1 image",
        (784, 128, 10),
        "sgd",
        0.1,
        128,
        1,
    ),
}
THREADS = os.cpu_count() or 1


def rss_mib() -> float:
    """This process's peak resident memory. NOTE: VmHWM, not ru_maxrss, which a child
    inherits from its parent at fork and which exec does not reset."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(system: str, workload: str, seed: int) -> dict:
    """Runs in its own process: train, time, score; prints one JSON line."""
    from barenet.datasets import load_mnist

    if system == "torch":
        import torch

        torch.set_num_threads(THREADS)
    X, y, X_test, y_test = load_mnist(download=False)
    _, sizes, optimizer, lr, batch, epochs = WORKLOADS[workload]
    before = rss_mib()
    start = time.perf_counter()
    predict = peers.SYSTEMS[system](X, y, sizes, optimizer, lr, batch, epochs, seed)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "accuracy": float((predict(X_test) == y_test).mean())}
    if workload == "w5":
        result["batch_seconds"] = _median_time(lambda: predict(X_test), 10)
        one = X_test[:1].copy()
        result["one_seconds"] = _median_time(lambda: predict(one), 300)
    result.update(rss_before=before, rss_peak=rss_mib())
    return result


def _median_time(f, repeats: int) -> float:
    f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gemm_peak(n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of a large float32 matrix product: the machine's practical compute limit."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    out = np.empty_like(a)
    return 2 * n**3 / min(_median_time(lambda: np.matmul(a, a, out=out), 1) for _ in range(repeats))


def bandwidth(mib: int = 512) -> float:
    """Bytes/s of a large copy (read + write): the memory limit."""
    src = np.ones(mib * 2**20 // 4, np.float32)
    dst = np.empty_like(src)
    return 2 * src.nbytes / min(_median_time(lambda: np.copyto(dst, src), 1) for _ in range(3))


def run(system: str, workload: str, seed: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", system, workload, str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{system} {workload} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values: list[float], scale: float = 1.0, fmt: str = ".2f") -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):{fmt}} ({min(v):{fmt}}–{max(v):{fmt}})"


def report(results: dict, workloads: list[str], systems: list[str], peak: float, bw: float) -> str:
    lines = [
        f"Machine: {_machine.describe()}; PyTorch {_version('torch')}, "
        f"scikit-learn {_version('sklearn')}; {THREADS} threads for every system.",
        f"Measured limits in this run: float32 GEMM {peak / 1e9:.1f} GFLOP/s, "
        f"memory copy {bw / 1e9:.1f} GB/s.",
        "",
    ]
    for w in workloads:
        title, sizes, _, _, _batch, epochs = WORKLOADS[w]
        lines += [f"**{w}: {title}**", ""]
        median_of = {s: statistics.median(r["seconds"] for r in results[w][s]) for s in systems}
        if w == "w4":
            head = "| system | ms per iteration, median (min–max) |"
            flops = peers.training_flops(sizes, 60000, epochs)
        elif w == "w5":
            head = "| system | 10,000 images, ms | 1 image, µs |"
            flops = peers.inference_flops(sizes, 10000)
        else:
            head = "| system | training s, median (min–max) |"
            flops = peers.training_flops(sizes, 60000, epochs)
        lines += [
            head + " their time / barenet's | test acc. | peak RSS MiB | share of GEMM limit |",
            "|" + "---|" * (head.count("|") + 3),
        ]
        for s in systems:
            rs = results[w][s]
            acc = statistics.median(r["accuracy"] for r in rs)
            rss = statistics.median(r["rss_peak"] for r in rs)
            if w == "w5":
                key = "batch_seconds"
                one = spread([r["one_seconds"] for r in rs], 1e6, ".0f")
                timing = f"{spread([r[key] for r in rs], 1e3)} | {one}"
                ratio = (
                    statistics.median(r[key] for r in rs)
                    / statistics.median(r[key] for r in results[w]["barenet"])
                    if "barenet" in systems
                    else float("nan")
                )
                share = flops / peak / statistics.median(r[key] for r in rs)
            else:
                scale = 1e3 / epochs if w == "w4" else 1.0
                timing = spread([r["seconds"] for r in rs], scale)
                ratio = (
                    median_of[s] / median_of["barenet"] if "barenet" in systems else float("nan")
                )
                share = flops / peak / median_of[s]
            lines.append(f"| {s} | {timing} | {ratio:.2f}× | {acc:.2%} | {rss:.0f} | {share:.0%} |")
        if w == "w4":
            moved = 2 * 60000 * 784 * 4 * epochs  # X is read twice per iteration: X @ W1, X.T @ dz
            lines.append(
                f"\nBytes moved (X read twice per iteration) at the measured copy bandwidth: "
                f"{moved / bw / epochs * 1e3:.1f} ms per iteration is the memory limit."
            )
        lines.append("")
    return "\n".join(lines)


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except ImportError:
        return "not installed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("SYSTEM", "WORKLOAD", "SEED"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--systems", default=",".join(peers.SYSTEMS))
    parser.add_argument("--write", metavar="FILE", help="replace the speed section of FILE")
    args = parser.parse_args()
    if args.worker:
        system, workload, seed = args.worker
        print(json.dumps(worker(system, workload, int(seed))))
        return 0
    workloads, systems = args.workloads.split(","), args.systems.split(",")
    peak, bw = gemm_peak(), bandwidth()
    results: dict = {w: {s: [] for s in systems} for w in workloads}
    for r in range(args.runs):
        for w in workloads:
            order = systems[r % len(systems) :] + systems[: r % len(systems)]
            for s in order:
                results[w][s].append(run(s, w, seed=r))
                print(f"run {r} {w} {s}: {results[w][s][-1]}", file=sys.stderr, flush=True)
    peak = max(peak, gemm_peak())  # the limit, measured again at the end
    text = report(results, workloads, systems, peak, max(bw, bandwidth()))
    print(text)
    if args.write:
        _replace_section(Path(args.write), text)
    return 0


def _replace_section(path: Path, text: str) -> None:
    begin, end = "<!-- speed:begin -->", "<!-- speed:end -->"
    old = path.read_text() if path.exists() else f"{begin}\n{end}\n"
    head, _, rest = old.partition(begin)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    raise SystemExit(main())
