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
        port = free_port()
        code = f"from barenet.web import serve; serve({path!r}, port={port})"
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
        try:
            wait_ready(port, proc)
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

    print(f"Machine: {_machine.describe()}")
    print(f"Model: {model}; {args.threads} client threads, keep-alive, loopback\n")
    print("| requests | n | failures | p50 ms | p90 ms | p99 ms | requests/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ("image", "pixels"):
        print(row(kind, [r for r in results if r[0] == kind], None))
    print(row("all", results, seconds))
    failures = sum(not r[2] for r in results)
    print(f"\nserver still running after the test: {alive}")
    return 1 if failures or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
