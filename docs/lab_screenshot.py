"""Take README's screenshot of the lab (docs/img/lab.png): spiral, trained for 1,500 updates.

    .venv/bin/python docs/lab_screenshot.py [OUT.png]

Needs barenet[web], Playwright and Debian's /usr/bin/chromium (see tests/_browser.py); the
server runs in this process, on a free loopback port. About ten seconds.
"""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import sync_playwright

from barenet.web.lab import create_lab_app

OUT = Path(__file__).parent / "img" / "lab.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


def main(out: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_lab_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("() => !document.getElementById('train').disabled")
            page.select_option("#speed", "1000")
            page.get_by_role("button", name="Train").click()
            page.wait_for_function(
                "() => Number(document.querySelector('[data-testid=step]').textContent) >= 1500",
                timeout=60_000,
            )
            page.get_by_role("button", name="Pause").click()
            page.wait_for_timeout(600)
            png = page.screenshot()
            browser.close()
    finally:
        server.should_exit = True
    # NOTE: a 256-colour palette keeps the file small; the page has few colours
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, dither=Image.Dither.NONE)
    image.save(out, optimize=True)
    print(f"{out}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
