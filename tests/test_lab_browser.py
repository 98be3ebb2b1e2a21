"""The training lab's page in a real browser: headless Chromium (Debian's) driven by Playwright.

`barenet lab` runs in a subprocess on a free port; the tests press the buttons as a learner
would and read what the page shows, the heat map's pixels included. Chromium is installed
with apt-get when missing and we are root; otherwise the tests skip, or fail when
BARENET_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

from _browser import free_port, server_process

pytest.importorskip("starlette")

SCREENSHOT = "/tmp/barenet-lab.png"  # a copy for people to look at; the test's own is in tmp_path
TIMEOUT_MS = 15_000
READY = "() => !document.getElementById('train').disabled && snapshot !== null"

# Every 8th pixel of the canvas, each way, as RGB. Shapes: -> {rows, cols, rgb: (rows * cols * 3,)},
# as JSON text (NOTE: Playwright takes ~0.3 s to pass these 10,800 numbers as a value)
READ_CANVAS = """(el) => {
    const {width, height} = el;
    const d = el.getContext("2d").getImageData(0, 0, width, height).data;
    const rgb = [];
    let rows = 0;
    for (let y = 0; y < height; y += 8, rows++) {
        for (let x = 0; x < width; x += 8) {
            const i = 4 * (y * width + x);
            rgb.push(d[i], d[i + 1], d[i + 2]);
        }
    }
    return JSON.stringify({rows, cols: Math.ceil(width / 8), rgb});
}"""


def read_canvas(page, selector: str) -> np.ndarray:
    """Shapes: -> (rows, cols, 3) in 0..255"""
    out = json.loads(page.locator(selector).evaluate(READ_CANVAS))
    return np.asarray(out["rgb"], dtype=np.float64).reshape(out["rows"], out["cols"], 3)


@pytest.fixture(scope="module")
def lab_url(browser, tmp_path_factory):
    """`barenet lab --port P` in a subprocess, until the module's tests are done."""
    port = free_port()
    argv = [sys.executable, "-m", "barenet", "lab", "--port", str(port)]
    log_path = tmp_path_factory.mktemp("lab") / "lab.log"
    with server_process(argv, port, "/api/lab", log_path) as url:
        yield url


def open_lab(tab, url, width, height):
    page = tab.open(url, width, height)
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    return page


def text(page, testid: str) -> str:
    return page.locator(f'[data-testid="{testid}"]').inner_text()


def wait_for_step(page, condition: str) -> None:
    """Wait until the step shown, as a number s, makes ``condition`` true (e.g. "s >= 50")."""
    page.wait_for_function(
        f"() => {{ const s = Number(document.querySelector('[data-testid=step]').textContent);"
        f" return {condition}; }}",
        timeout=TIMEOUT_MS,
    )


def test_train_pause_step_reset_as_the_heat_map_moves(tab, lab_url, tmp_path):
    from playwright.sync_api import expect

    page = open_lab(tab, lab_url, 1280, 900)
    assert text(page, "step") == "0"
    first_loss, first_map = text(page, "loss"), read_canvas(page, "#boundary")
    page.select_option("#speed", "1000")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    wait_for_step(page, "s >= 150")
    moved = np.abs(read_canvas(page, "#boundary") - first_map).max(axis=2) > 30
    assert moved.mean() > 0.05, f"only {moved.mean():.1%} of the heat map changed"

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Train")).to_be_visible()
    # the server's event after the pause: the trainer stops under the run's lock, so it shows
    # the last step
    page.wait_for_function("() => snapshot.state.status === 'paused'", timeout=TIMEOUT_MS)
    paused = int(text(page, "step"))
    page.wait_for_timeout(400)
    assert int(text(page, "step")) == paused, "the step count moved while paused"
    assert float(text(page, "loss")) < float(first_loss)
    assert text(page, "accuracy").endswith("%")

    page.get_by_role("button", name="Step").click()
    wait_for_step(page, f"s === {paused + 1}")

    page.get_by_role("button", name="Reset").click()
    wait_for_step(page, "s === 0")
    expect(page.get_by_test_id("loss")).to_have_text(first_loss)

    # one sample's trace, then the code
    box = page.locator("#boundary").bounding_box()
    fx, fy = page.evaluate(
        """() => { const c = document.getElementById('boundary');
            const [x, y] = toPixel(c, data.extent, data.X[0][0], data.X[0][1]);
            return [x / c.width, y / c.height]; }"""
    )
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    expect(page.locator("#trace")).to_contain_text("dW1 = a0.T @ delta1")
    expect(page.locator("#trace-title")).to_contain_text("training sample #0")
    page.get_by_role("button", name="Show the code").click()
    expect(page.locator("#code")).to_contain_text("run.train_step(*next(stream))")

    shot = tmp_path / "lab.png"
    page.screenshot(path=shot, full_page=True)
    shutil.copy(shot, SCREENSHOT)
    assert not tab.errors, f"JavaScript errors on the page: {tab.errors}"


def test_a_phone_sized_viewport_has_no_horizontal_scroll(tab, lab_url):
    from playwright.sync_api import expect

    page = open_lab(tab, lab_url, 360, 740)
    wide = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(wide), "the page scrolls sideways at 360 px"
    page.get_by_role("button", name="Train").click()
    wait_for_step(page, "s > 0")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Train")).to_be_visible()
    page.get_by_role("button", name="Show the code").click()
    expect(page.locator("#code")).to_contain_text("TrainingRun")
    for selector in ("#boundary", "#loss-curve", "#train", "[data-testid=accuracy]"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    assert page.evaluate(wide), "the page scrolls sideways at 360 px with the code shown"
    assert not tab.errors, f"JavaScript errors on the page: {tab.errors}"
