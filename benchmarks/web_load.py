"""Load test of the draw-a-digit server: latency and throughput of POST /api/predict on loopback.

Usage:
    python benchmarks/web_load.py [MODEL] [--requests 400] [--threads 4]

Starts `barenet.web.serve` (uvicorn) in a subprocess on a free loopback port, with MODEL or a
784-128-10 network trained for 1 epoch on MNIST, then sends the requests from this process:
`--threads` threads, each with one keep-alive http.client connection, a bounded number each.
Half the requests send a canvas-like PNG (an MNIST test digit inverted to black on white and
scaled to 280x280, as the page sends it), half the 784 pixels. A failure is any answer other
than 200 with the label that `model.predict(preprocess(...))` gives in this process.
Prints a Markdown table (latency percentiles, requests/s) for BENCHMARKS.md.

With `--large N`, then, for each side in `--sides` (default 4096 and 2048), a fresh server gets
N concurrent requests each carrying a SIDExSIDE PNG (black on white RGBA, compressible, so it
fits the 1 MiB body cap) while a probe thread keeps sending pixel lists and GET /api/model;
it prints the answers by status, the probe's latencies and the server's peak resident memory
(VmHWM from /proc/PID/status, Linux only) against its resident memory before the burst.
Needs `pip install -e ".[web]"`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _machine
import numpy as np

import barenet
from barenet.datasets import load_mnist
from barenet.images import preprocess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def canvas_png(x: np.ndarray) -> bytes:
    """An MNIST row as the page's canvas would send it: black on white, 280x280 RGBA PNG."""
    from PIL import Image

    gray = np.rint(255 * (1 - x.reshape(28, 28))).astype(np.uint8)
    img = Image.fromarray(gray).resize((280, 280), Image.BILINEAR).convert("RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def payloads(model: barenet.DeepNeuralNetwork, X: np.ndarray, n: int) -> list[tuple]:
    """(kind, body, expected label) for n requests, alternating image and pixels."""
    out = []
    for i in range(n):
        x = X[i % len(X)]
        if i % 2 == 0:
            png = canvas_png(x)
            body = {"image": "data:image/png;base64," + base64.b64encode(png).decode()}
            expected = int(model.predict(preprocess(png)[None])[0])
            out.append(("image", json.dumps(body).encode(), expected))
        else:
            expected = int(model.predict(x[None])[0])
            out.append(("pixels", json.dumps({"pixels": x.tolist()}).encode(), expected))
    return out


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/model")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port} within {timeout} s")


def worker(port: int, jobs: list[tuple], results: list[tuple]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    for kind, body, expected in jobs:
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/predict", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            ok = response.status == 200 and json.loads(data)["label"] == expected
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        results.append((kind, time.perf_counter() - start, ok))
    conn.close()


def large_png(side: int) -> bytes:
    """A SIDExSIDE RGBA canvas, white with a thick black "1": a few kB of PNG, side**2 pixels."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    w = side // 12
    ImageDraw.Draw(img).rectangle(
        [side // 2 - w, side // 5, side // 2 + w, side - side // 5], fill=(0, 0, 0, 255)
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if line.startswith(("VmRSS", "VmHWM")))
    return {k: int(v.split()[0]) for k, v in fields.items()}


def start_server(path: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    code = f"from barenet.web import serve; serve({path!r}, port={port})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
    except RuntimeError:
        proc.terminate()
        raise
    return proc, port


def burst(path: str, model: barenet.DeepNeuralNetwork, side: int, n: int, probe_x) -> dict:
    """n concurrent SIDExSIDE PNG requests to a fresh server, with a probe of small requests."""
    png = large_png(side)
    body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()})
    statuses: list[int] = []
    probe: list[float] = []
    probe_ok: list[bool] = []
    proc, port = start_server(path)
    try:
        before = memory_kib(proc.pid)["VmRSS"]
        go = threading.Event()
        done = threading.Event()

        def send() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            go.wait()
            try:
                conn.request("POST", "/api/predict", body=body.encode(), headers=JSON)
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
            except (OSError, http.client.HTTPException):
                statuses.append(0)
            finally:
                conn.close()

        def small() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            pixels = json.dumps({"pixels": probe_x.tolist()}).encode()
            go.wait()
            while not done.is_set():
                for method, url, data in (
                    ("POST", "/api/predict", pixels),
                    ("GET", "/api/model", None),
                ):
                    start = time.perf_counter()
                    conn.request(method, url, body=data, headers=JSON)
                    response = conn.getresponse()
                    response.read()
                    probe.append(time.perf_counter() - start)
                    probe_ok.append(response.status == 200)
            conn.close()

        senders = [threading.Thread(target=send) for _ in range(n)]
        prober = threading.Thread(target=small)
        for t in [*senders, prober]:
            t.start()
        start = time.perf_counter()
        go.set()
        for t in senders:
            t.join()
        seconds = time.perf_counter() - start
        done.set()
        prober.join()
        memory = memory_kib(proc.pid)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ms = np.array(probe) * 1000
    return {
        "side": side,
        "png_kib": len(png) / 1024,
        "statuses": {code: statuses.count(code) for code in sorted(set(statuses))},
        "seconds": seconds,
        "probe": (len(probe), sum(not ok for ok in probe_ok), *np.percentile(ms, [50, 99])),
        "rss_before_mib": before / 1024,
        "peak_mib": memory["VmHWM"] / 1024,
        "alive": alive,
    }


JSON = {"Content-Type": "application/json"}


def row(name: str, results: list[tuple], seconds: float | None) -> str:
    ms = np.array([r[1] for r in results]) * 1000
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    failures = sum(not r[2] for r in results)
    rate = f"{len(results) / seconds:.0f}" if seconds else "–"
    return f"| {name} | {len(results)} | {failures} | {p50:.1f} | {p90:.1f} | {p99:.1f} | {rate} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="a model file (default: train one, 1 epoch)")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--large", type=int, default=0, help="concurrent large PNGs (0: skip)")
    parser.add_argument("--sides", default="4096,2048", help="sides of the large PNGs")
    args = parser.parse_args()

    X_train, y_train, X_test, _ = load_mnist()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model
        if path is None:
            net = barenet.DeepNeuralNetwork(
                [barenet.Layer(784), barenet.Layer(128, "relu"), barenet.Layer(10, "softmax")],
                seed=0,
            )
            net.fit(X_train, y_train, epochs=1, batch_size=128, optimizer="adam", verbose=0)
            path = str(Path(tmp) / "model.safetensors")
            net.save(path)
        model = barenet.load(path)
        jobs = payloads(model, X_test, args.requests)
        proc, port = start_server(path)
        try:
            results: list[tuple] = []
            threads = [
                threading.Thread(target=worker, args=(port, jobs[i :: args.threads], results))
                for i in range(args.threads)
            ]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - start
            alive = proc.poll() is None
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        sides = [int(side) for side in args.sides.split(",")] if args.large else []
        bursts = [burst(path, model, side, args.large, X_test[0]) for side in sides]

    print(f"Machine: {_machine.describe()}")
    print(f"Model: {model}; {args.threads} client threads, keep-alive, loopback\n")
    print("| requests | n | failures | p50 ms | p90 ms | p99 ms | requests/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ("image", "pixels"):
        print(row(kind, [r for r in results if r[0] == kind], None))
    print(row("all", results, seconds))
    failures = sum(not r[2] for r in results)
    print(f"\nserver still running after the test: {alive}")
    if bursts:
        print(f"\n{args.large} concurrent large PNGs, each to a fresh server, with a probe\n")
        print(
            "| PNG | body | answers | burst s | probe requests | probe failures "
            "| probe p50 ms | probe p99 ms | RSS before | peak RSS (VmHWM) |"
        )
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for b in bursts:
        answers = ", ".join(f"{n}x {code}" for code, n in b["statuses"].items())
        count, bad, p50, p99 = b["probe"]
        print(
            f"| {b['side']}x{b['side']} | {b['png_kib']:.0f} KiB | {answers} | {b['seconds']:.1f} "
            f"| {count} | {bad} | {p50:.1f} | {p99:.1f} | {b['rss_before_mib']:.0f} MiB "
            f"| {b['peak_mib']:.0f} MiB |"
        )
        alive = alive and b["alive"]
        failures += bad + b["statuses"].get(0, 0) + b["statuses"].get(500, 0)
    return 1 if failures or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
