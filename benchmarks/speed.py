"""Speed against the matrix-product floor and the peers: barenet, plain NumPy, PyTorch (CPU)
and scikit-learn on identical work.

Usage:
    python benchmarks/speed.py [--runs 3] [--workloads w1,w2,w3,w4,w5,slowdown,accuracy]
                               [--systems floor,barenet,...] [--write BENCHMARKS.md]

Each (system, workload, run) is a fresh subprocess, so peak RSS is that run's own; runs
alternate between systems (the order rotates every round), with the same thread count for
all. Besides the systems, every training workload runs its *matrix-product floor*: the matrix
products that barenet's training step needs, on arrays of the same shapes, and nothing else
(``peers.floor_numpy``), and the same products through PyTorch (``peers.floor_torch``). What
barenet spends above the first is its own overhead; the ratio of the two is the BLAS
libraries' difference at these shapes, which no Python code changes.

``slowdown`` times each epoch of a 14-epoch run (Adam, SGD with momentum) to show whether
float32 training slows down as it converges; ``accuracy`` times the ``fast`` recipe to 98%
test accuracy in barenet and in PyTorch (see ``runs.py``).

Needs `pip install -e ".[bench]"` and `pip install torch==2.13.0` (a CPU wheel: elsewhere pip
may fetch a CUDA build, `--index-url` of the CPU wheels then).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _machine  # beside this script
import peers
import runs

TRAINING = {
    "w1": ("784-128-10, SGD 0.1, batch 128, 1 epoch", (784, 128, 10), "sgd", 0.1, 128, 1),
    "w2": ("784-800-10, SGD 0.1, batch 128, 1 epoch", (784, 800, 10), "sgd", 0.1, 128, 1),
    "w3": (
        "784-512-512-10, Adam 1e-3, batch 256, 1 epoch",
        (784, 512, 512, 10),
        "adam",
        1e-3,
        256,
        1,
    ),
    "w4": (
        "the post: 784-10-10, full-batch gradient descent 0.1, per iteration (20 iterations)",
        (784, 10, 10),
        "gd",
        0.1,
        None,
        20,
    ),
}
INFERENCE = ("inference: 784-128-10 (1 epoch of w1), 10,000 images and 1 image", (784, 128, 10))
#: issue 13's targets: barenet / floor at most; barenet at least this much faster than NumPy
OVERHEAD_TARGET = {"w1": 1.3, "w2": 1.12, "w3": 1.12, "w4": 1.25}
NUMPY_TARGET = {"w1": 1.25, "w2": 1.05, "w3": 1.05, "w4": 1.25}
TORCH_TARGET_W1, TORCH_TARGET_GEMM, SLOWDOWN_TARGET = 1.6, 0.9, 1.15
TRAIN_SYSTEMS = ("floor", "numpy", "barenet", "torch", "torch-floor", "sklearn")
INFER_SYSTEMS = ("barenet", "numpy", "torch", "sklearn")
NAMES = {
    "floor": "matmul floor (NumPy)",
    "torch-floor": "matmul floor (PyTorch)",
    "numpy": "plain NumPy loop",
    "barenet": "barenet",
    "torch": "PyTorch",
    "sklearn": "scikit-learn",
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
    """Runs in its own process: train (or run), time, score; prints one JSON line."""
    from barenet.datasets import load_mnist

    if system.startswith("torch"):
        import torch

        torch.set_num_threads(THREADS)
    X, y, X_test, y_test = load_mnist(download=False)
    if workload.startswith("slowdown-"):
        return runs.slowdown(X, y, workload.removeprefix("slowdown-"), seed)
    if workload == "accuracy":
        run = runs.to_accuracy_torch if system == "torch" else runs.to_accuracy_barenet
        return run(X, y, X_test, y_test, seed)
    if workload == "w5":
        sizes, optimizer, lr, batch, epochs = INFERENCE[1], "sgd", 0.1, 128, 1
    else:
        _, sizes, optimizer, lr, batch, epochs = TRAINING[workload]
    before = rss_mib()
    start = time.perf_counter()
    predict = peers.SYSTEMS[system](X, y, sizes, optimizer, lr, batch, epochs, seed)
    seconds = time.perf_counter() - start
    accuracy = None if predict is None else float((predict(X_test) == y_test).mean())
    result = {"seconds": seconds, "accuracy": accuracy}
    if workload == "w5" and predict is not None:
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


def median(values) -> float:
    return statistics.median(list(values))


def spread(values: list[float], scale: float = 1.0, fmt: str = ".2f") -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):{fmt}} ({min(v):{fmt}}–{max(v):{fmt}})"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


# ---------------------------------------------------------------------------- the report


def training_report(results: dict, workloads: list[str], systems: list[str]) -> list[str]:
    have = set(systems)
    lines = [
        "Times are medians of the runs: seconds per epoch, and for w4 milliseconds per "
        "iteration. \"vs\" columns are the other system's time divided by barenet's (above 1: "
        "barenet is faster). *GEMMs alone* is the PyTorch floor's time divided by the NumPy "
        "floor's: the two BLAS libraries at the workload's shapes; the last column divides "
        "barenet's ratio to PyTorch by it (at least 1: barenet's own code is at least as fast "
        "as PyTorch's).",
        "",
        "| workload | matmul floor | plain NumPy | barenet | PyTorch | barenet / floor "
        "| vs NumPy | vs PyTorch | GEMMs alone: PyTorch / NumPy | vs PyTorch / GEMMs alone |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for w in workloads:
        scale = 1e3 / TRAINING[w][5] if w == "w4" else 1.0
        t = {s: median(r["seconds"] for r in results[w][s]) for s in systems}
        cell = {s: f"{t[s] * scale:.3g}" if s in t else "–" for s in TRAIN_SYSTEMS}
        row = [w, cell["floor"], cell["numpy"], cell["barenet"], cell["torch"]]
        if "barenet" not in have:
            lines.append("| " + " | ".join(row + ["–"] * 5) + " |")
            continue
        b = t["barenet"]
        overhead = b / t["floor"] if "floor" in have else None
        vs_numpy = t["numpy"] / b if "numpy" in have else None
        vs_torch = t["torch"] / b if "torch" in have else None
        gemms = t["torch-floor"] / t["floor"] if {"floor", "torch-floor"} <= have else None
        relative = vs_torch / gemms if vs_torch and gemms else None
        row += [f"{x:.2f}×" if x else "–" for x in (overhead, vs_numpy, vs_torch, gemms)]
        row.append(f"{relative:.2f}" if relative else "–")
        lines.append("| " + " | ".join(row) + " |")
        if overhead:
            target = OVERHEAD_TARGET[w]
            checks.append(
                f"{w} barenet / floor {overhead:.2f}× (≤ {target}×: {_verdict(overhead <= target)})"
            )
        if vs_numpy:
            target = NUMPY_TARGET[w]
            checks.append(
                f"{w} vs NumPy {vs_numpy:.2f}× (≥ {target}×: {_verdict(vs_numpy >= target)})"
            )
        if w == "w1" and vs_torch:
            checks.append(
                f"w1 vs PyTorch {vs_torch:.2f}× (≥ {TORCH_TARGET_W1}×: "
                f"{_verdict(vs_torch >= TORCH_TARGET_W1)})"
            )
        elif relative:
            checks.append(
                f"{w} vs PyTorch / GEMMs alone {relative:.2f} (≥ {TORCH_TARGET_GEMM}: "
                f"{_verdict(relative >= TORCH_TARGET_GEMM)})"
            )
    lines += ["", "Issue 13's targets in this run: " + "; ".join(checks) + ".", ""]
    for w in workloads:
        title = TRAINING[w][0]
        unit = "ms per iteration" if w == "w4" else "s per epoch"
        scale = 1e3 / TRAINING[w][5] if w == "w4" else 1.0
        lines += [
            f"**{w}: {title}**",
            "",
            f"| system | {unit}, median (min–max) | / floor | test acc. | peak RSS MiB |",
            "|---|---:|---:|---:|---:|",
        ]
        floor = median(r["seconds"] for r in results[w]["floor"]) if "floor" in have else None
        for s in systems:
            rs = results[w][s]
            t = median(r["seconds"] for r in rs)
            accs = [r["accuracy"] for r in rs if r["accuracy"] is not None]
            acc = f"{median(accs):.2%}" if accs else "–"
            ratio = f"{t / floor:.2f}×" if floor else "–"
            rss = median(r["rss_peak"] for r in rs)
            lines.append(
                f"| {NAMES[s]} | {spread([r['seconds'] for r in rs], scale, '.3g')} | {ratio} "
                f"| {acc} | {rss:.0f} |"
            )
        lines.append("")
    return lines


def inference_report(results: dict, systems: list[str]) -> list[str]:
    lines = [
        f"**w5: {INFERENCE[0]}**",
        "",
        "| system | 10,000 images, ms | 1 image, µs | vs barenet (10,000) | test acc. |",
        "|---|---:|---:|---:|---:|",
    ]
    base = median(r["batch_seconds"] for r in results["barenet"]) if "barenet" in systems else None
    for s in systems:
        rs = results[s]
        t = median(r["batch_seconds"] for r in rs)
        ratio = f"{t / base:.2f}×" if base else "–"
        lines.append(
            f"| {NAMES[s]} | {spread([r['batch_seconds'] for r in rs], 1e3)} "
            f"| {spread([r['one_seconds'] for r in rs], 1e6, '.0f')} | {ratio} "
            f"| {median(r['accuracy'] for r in rs):.2%} |"
        )
    return [*lines, ""]


def slowdown_report(results: dict) -> list[str]:
    n = runs.SLOWDOWN_EPOCHS
    lines = [
        f"**Slow-down while converging**: 784-256-10 on the first {runs.SLOWDOWN_SAMPLES:,} "
        f"images, {n} epochs of batch 128, float32 (`runs.slowdown`). The ratio is the mean "
        f"epoch time of the last 4 epochs over that of the first 3 (target ≤ {SLOWDOWN_TARGET}); "
        "the last column counts the optimizer state's subnormal entries at the end.",
        "",
        "| optimizer | epochs 1–3, s | epochs 11–14, s | last 4 / first 3, median (min–max) "
        "| last 4 / epochs 2–3 | subnormal state entries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, (title, _) in runs.SLOWDOWN.items():
        rs = results.get(f"slowdown-{key}")
        if not rs:
            continue
        first = [statistics.mean(r["epoch_seconds"][:3]) for r in rs]
        last = [statistics.mean(r["epoch_seconds"][-4:]) for r in rs]
        ratios = [b / a for a, b in zip(first, last, strict=True)]
        # NOTE: epoch 1 also pays one-time costs (threads, first use of every buffer)
        warm = [
            statistics.mean(r["epoch_seconds"][-4:]) / statistics.mean(r["epoch_seconds"][1:3])
            for r in rs
        ]
        sub = median(r["subnormal"] for r in rs)
        lines.append(
            f"| {title} | {median(first):.3f} | {median(last):.3f} | {spread(ratios)} "
            f"| {median(warm):.2f} | {sub:.0f} of {rs[0]['entries']:,} |"
        )
    return [*lines, ""]


def accuracy_report(results: dict, systems: list[str]) -> list[str]:
    lines = [
        f"**Time to {runs.TARGET_ACCURACY:.1%} test accuracy**: the `fast` recipe (784-256-10, "
        "Adam with a cosine decay from 3e-3 to 0, batch 128, 5 epochs) in barenet and the same "
        "recipe in PyTorch (`runs.py`); the clock stops while the test set is scored after each "
        "epoch.",
        "",
        "| system | time to target, median (min–max) | epoch reached | final test acc. "
        "| 5 epochs, s |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in systems:
        rs = results[s]
        reached = [runs.time_to_target(r["marks"]) for r in rs]
        hits = [x for x in reached if x is not None]
        when = spread([x[0] for x in hits]) + " s" if hits else "not reached"
        if hits and len(hits) < len(rs):
            when += f" ({len(hits)} of {len(rs)} runs)"
        epochs = ", ".join(str(x[1]) for x in hits) or "–"
        final = median(r["marks"][-1][1] for r in rs)
        total = median(r["marks"][-1][0] for r in rs)
        lines.append(f"| {NAMES[s]} | {when} | {epochs} | {final:.2%} | {total:.2f} |")
    return [*lines, ""]


def report(results: dict, workloads: list[str], systems: list[str], load: str = "") -> str:
    lines = [
        f"Run of {datetime.date.today().isoformat()} on: {_machine.describe()}; "
        f"{_machine.torch_blas()}; scikit-learn {_version('sklearn')}; "
        f"{THREADS} threads for every system. {load}",
        "",
    ]
    train = [w for w in workloads if w in TRAINING]
    if train:
        lines += training_report(results, train, [s for s in systems if s in TRAIN_SYSTEMS])
    if "w5" in workloads:
        lines += inference_report(results["w5"], [s for s in systems if s in INFER_SYSTEMS])
    if "slowdown" in workloads:
        lines += slowdown_report(results)
    if "accuracy" in workloads:
        have = [s for s in ("barenet", "torch") if s in systems]
        lines += accuracy_report(results["accuracy"], have)
    return "\n".join(lines).rstrip()


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except ImportError:
        return "not installed"


def plan(workloads: list[str], systems: list[str]) -> list[tuple[str, list[str]]]:
    """(workload key, the systems that run it), in order."""
    out = []
    for w in workloads:
        if w in TRAINING:
            out.append((w, [s for s in systems if s in TRAIN_SYSTEMS]))
        elif w == "w5":
            out.append((w, [s for s in systems if s in INFER_SYSTEMS]))
        elif w == "slowdown":
            out += [(f"slowdown-{k}", ["barenet"]) for k in runs.SLOWDOWN]
        elif w == "accuracy":
            out.append((w, [s for s in ("barenet", "torch") if s in systems]))
        else:
            raise SystemExit(f"unknown workload {w!r}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("SYSTEM", "WORKLOAD", "SEED"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workloads", default="w1,w2,w3,w4,w5,slowdown,accuracy")
    parser.add_argument("--systems", default=",".join(TRAIN_SYSTEMS))
    parser.add_argument("--write", metavar="FILE", help="replace the speed section of FILE")
    args = parser.parse_args()
    if args.worker:
        system, workload, seed = args.worker
        print(json.dumps(worker(system, workload, int(seed))))
        return 0
    workloads, systems = args.workloads.split(","), args.systems.split(",")
    unknown = sorted(set(systems) - set(peers.SYSTEMS))
    if unknown:
        raise SystemExit(f"unknown systems {unknown}; expected some of {sorted(peers.SYSTEMS)}")
    steps = plan(workloads, systems)
    load_before = os.getloadavg()[0]
    results: dict = {w: {s: [] for s in ss} for w, ss in steps}
    for r in range(args.runs):
        for w, ss in steps:
            order = ss[r % len(ss) :] + ss[: r % len(ss)]
            for s in order:
                results[w][s].append(run(s, w, seed=r))
                print(f"run {r} {w} {s}: {results[w][s][-1]}", file=sys.stderr, flush=True)
    flat = {w: (v["barenet"] if w.startswith("slowdown-") else v) for w, v in results.items()}
    # NOTE: other processes skew every figure, two-thread BLAS calls most of all: say how busy
    load = (
        f"Load average (1 minute) {load_before:.2f} before the run, "
        f"{os.getloadavg()[0]:.2f} after it."
    )
    text = report(flat, workloads, systems, load)
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
