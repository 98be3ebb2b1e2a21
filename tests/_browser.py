"""Headless Chromium for the web pages' tests: Debian's `chromium`, driven by Playwright.

Browser downloads are impossible on these machines (never run `playwright install`): Playwright
launches Debian's /usr/bin/chromium instead, installed here with apt-get when we are root.
A missing browser skips the tests, unless BARENET_REQUIRE_BROWSER=1 (CI) makes it a failure.
conftest.py's `browser` fixture launches it once per test module (`launch`), and `tab` opens one
page in it for the module's tests (`Tab`).

`pen` draws strokes on the draw-a-digit page with Playwright's mouse or, ten times faster, by
dispatching the same pointer events in the page (test_web_browser.py checks that both draw the
same pixels); `replay` draws an MNIST digit with it, stroke by stroke.
"""

from __future__ import annotations

import base64
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

import numpy as np
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
    # NOTE: the pages scroll panels into view smoothly, and Playwright waits for a button that
    # moves to stop, in back-offs of up to 0.5 s; the tests look at where things end up
    "--disable-smooth-scrolling",
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


@contextmanager
def launch() -> Iterator:
    """Headless Debian Chromium, launched by Playwright (which never downloads a browser here).

    NOTE: while Playwright's sync API runs, the thread's asyncio loop counts as running
    (asyncio.run() fails there): hence one browser per test module, not one per session.
    """
    executable = ensure_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright is not installed ({exc}); install it with: pip install playwright")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class Tab:
    """One browser page that a module's tests share, each loading its own URL afresh (a new page
    costs ~0.2 s more: a renderer process starts). `errors` holds the JavaScript errors since
    the last `open`."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def open(self, url: str, width: int, height: int):
        self.errors.clear()
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.goto(url)
        return self.page


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def web_server(model_path: Path, log_path: Path, timeout: float = 60.0) -> Iterator[str]:
    """`barenet.web.serve(model_path)` in a subprocess; yields its base URL once GET /api/model
    answers, and stops the process (and waits for it) on the way out."""
    code = (
        "import sys; from barenet.web import serve; "
        "serve(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]))"
    )
    port = free_port()
    argv = [sys.executable, "-c", code, str(model_path), str(port)]
    with server_process(argv, port, "/api/model", log_path, timeout) as url:
        yield url


@contextmanager
def server_process(
    argv: list[str], port: int, probe: str, log_path: Path, timeout: float = 60.0
) -> Iterator[str]:
    """``argv``, a server on 127.0.0.1:``port``, in a subprocess logging to ``log_path``;
    yields its base URL once GET ``probe`` answers 200, and stops the process (and waits for
    it) on the way out."""
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the server exited with {proc.returncode}:\n{_tail(log_path)}")
                try:
                    with urllib.request.urlopen(f"{url}{probe}", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"GET {url}{probe}: no answer in {timeout:.0f} s:\n{_tail(log_path)}"
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


# ------------------------------------------------------------------ drawing on the digit page

# A pen stroke: the points it passes through (page pixels), and the mouse moves per segment.
Stroke = tuple[list[tuple[float, float]], int]


def pen(page, drawn: list[Stroke], *, mouse: bool = False) -> None:
    """Draw `drawn` as Playwright's mouse does it (move to the first point, press, move along each
    segment in its steps, release): with the mouse itself, or with the very pointer events it
    sends, dispatched in one call (`DISPATCH`). test_web_browser.py checks that both draw the
    same pixels."""
    if mouse:
        for points, steps in drawn:
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y, steps=steps)
            page.mouse.up()
    else:
        page.evaluate(DISPATCH, pointer_events(drawn))


def pointer_events(drawn: list[Stroke]) -> list[tuple[str, float, float, int]]:
    """The pointer events Playwright's mouse sends for `drawn`, as (type, x, y, buttons). It
    splits a move from a to b in n steps into the points a + (b - a) * (i / n), i = 1..n."""
    events = []
    for points, steps in drawn:
        (x, y), *rest = points
        events += [("pointermove", x, y, 0), ("pointerdown", x, y, 1)]
        for x1, y1 in rest:
            for i in range(1, steps + 1):
                events.append(
                    ("pointermove", x + (x1 - x) * (i / steps), y + (y1 - y) * (i / steps), 1)
                )
            x, y = x1, y1
        events.append(("pointerup", x, y, 0))
    return events


# Each event goes to the element under its point, as the mouse's would (the canvas: the strokes
# never leave it). NOTE: one call for all the strokes; each mouse move is a round trip to the
# browser that waits for the next frame (~16 ms), and an MNIST digit takes a hundred or more
DISPATCH = """(events) => {
    for (const [type, x, y, buttons] of events) {
        const target = document.elementFromPoint(x, y);
        if (target === null) throw new Error(`no element at (${x}, ${y})`);
        target.dispatchEvent(new PointerEvent(type, {
            pointerId: 1, pointerType: "mouse", isPrimary: true, clientX: x, clientY: y,
            button: type === "pointermove" ? -1 : 0, buttons,
            bubbles: true, cancelable: true, composed: true,
        }));
    }
}"""


def strokes(digit: np.ndarray, box: dict, threshold: float = 0.5) -> list[Stroke]:
    """The pen strokes that draw an MNIST digit on a canvas at `box` (its bounding box in the
    page): one horizontal stroke per run of ink pixels (above `threshold`) in each row, the
    digit's box stretched to 90% of the canvas, one mouse move per pixel.

    The page's pen is 1/14 of the canvas wide; with the box (about 20 pixels) filling the canvas,
    that is about 1.5 MNIST pixels: each row's strokes overlap the next a little, and the stroke
    stays about as thick as the digit's own.
    Shapes: digit (784,) in [0, 1], white ink on black
    """
    ink = digit.reshape(28, 28) > threshold
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    cell = 0.9 * min(box["width"], box["height"]) / extent
    # the centre of the digit's box at the centre of the canvas
    x_origin = box["x"] + box["width"] / 2 - (cols[0] + cols[-1] + 1) / 2 * cell
    y_origin = box["y"] + box["height"] / 2 - (rows[0] + rows[-1] + 1) / 2 * cell
    out = []
    for r, row in enumerate(ink):
        # runs of True: where the row switches on, and one past where it switches off
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
        y = float(y_origin + (r + 0.5) * cell)
        for c0, c1 in zip(edges[::2], edges[1::2] - 1, strict=True):
            # from the centre of the first pixel to the centre of the last; the page draws a
            # dot on pointerdown, so a one-pixel run needs no move
            x0, x1 = float(x_origin + (c0 + 0.5) * cell), float(x_origin + (c1 + 0.5) * cell)
            out.append(([(x0, y), (x1, y)], int(c1 - c0) + 1))
    return out


def replay(page, digit: np.ndarray, *, mouse: bool = False, threshold: float = 0.5) -> int:
    """Draw an MNIST digit on the page's #canvas with `strokes`, by `pen`. Returns the number of
    strokes. Shapes: digit (784,) in [0, 1], white ink on black"""
    drawn = strokes(digit, page.locator("#canvas").bounding_box(), threshold)
    pen(page, drawn, mouse=mouse)
    return len(drawn)


def settled(page, timeout_ms: float = 15_000) -> None:
    """Wait until the draw-a-digit page shows the answer to its newest request, after which no
    other answer changes what it shows (app.js drops older ones): its `shown` is its `sequence`
    number."""
    page.wait_for_function("() => shown === sequence", timeout=timeout_ms)


def canvas_png(page, selector: str = "#canvas") -> bytes:
    """The canvas's pixels, as the PNG its toDataURL makes."""
    url = page.locator(selector).evaluate("(c) => c.toDataURL('image/png')")
    return base64.b64decode(url.partition(",")[2])
