"""Headless Chromium for the web page's tests: Debian's `chromium`, driven by Playwright.

Browser downloads are impossible on these machines (never run `playwright install`): Playwright
launches Debian's /usr/bin/chromium instead, installed here with apt-get when we are root.
A missing browser skips the tests, unless BARENET_REQUIRE_BROWSER=1 (CI) makes it a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# NOTE: the network is closed; without the background-networking flags Chromium keeps opening
# connections that are refused, and at every start it fails to look up Google's hosts
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable(reason: str) -> None:
    """Skip with `reason`, or fail when BARENET_REQUIRE_BROWSER=1 says the browser must be here."""
    if os.environ.get("BARENET_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser tests are required (BARENET_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def ensure_chromium() -> str:
    """The path of Debian's Chromium, installed with apt-get first if missing and we are root."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        unavailable(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            unavailable(f"`{' '.join(command)}` took more than 10 minutes")
        if done.returncode != 0:
            unavailable(
                f"`{' '.join(command)}` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    if not os.path.exists(CHROMIUM):
        unavailable(f"`apt-get install -y chromium` did not install {CHROMIUM}")
    return CHROMIUM


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def web_server(model_path: Path, log_path: Path, timeout: float = 60.0) -> Iterator[str]:
    """`barenet.web.serve(model_path)` in a subprocess; yields its base URL once GET /api/model
    answers, and stops the process (and waits for it) on the way out."""
    port = free_port()
    code = (
        "import sys; from barenet.web import serve; "
        "serve(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]))"
    )
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(model_path), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the server exited with {proc.returncode}:\n{_tail(log_path)}")
                try:
                    with urllib.request.urlopen(f"{url}/api/model", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"GET {url}/api/model: no answer in {timeout:.0f} s:\n{_tail(log_path)}"
                    )
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _tail(path: Path, n: int = 3000) -> str:
    return path.read_text(errors="replace")[-n:]
