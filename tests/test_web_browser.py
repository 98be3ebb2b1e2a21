"""The draw-a-digit page in a real browser: headless Chromium (Debian's) driven by Playwright.

The server runs `barenet.web.serve` in a subprocess on a free port, with a small model trained on
the real MNIST (so marked ``mnist``). The tests draw with Playwright's mouse, as a user would, or
(MNIST digits, stroke by stroke) with the same pointer events dispatched in the page, and read
what the page shows. Chromium is installed with apt-get when missing and we are root; otherwise
the tests skip, or fail when BARENET_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import io
import json
import re
import shutil

import numpy as np
import pytest

from _browser import canvas_png, pen, replay, settled, strokes, web_server

pytestmark = pytest.mark.mnist

SCREENSHOT = "/tmp/barenet-web.png"  # a copy for people to look at; the test's own is in tmp_path
REPLAY_SCREENSHOT = "/tmp/barenet-web-mnist.png"
TIMEOUT_MS = 15_000

# The canvas as gray levels in [0, 1] (0 = black), transparency composited onto white.
# Shapes: -> {width, height, gray: (height * width,)}, as JSON text
# NOTE: as text: Playwright takes ~1 s to pass 78,400 numbers as a value, JSON.parse ~1 ms
READ_CANVAS = """(el) => {
    const {width, height} = el;
    const d = el.getContext("2d").getImageData(0, 0, width, height).data;
    const gray = new Array(width * height);
    for (let i = 0; i < width * height; i++) {
        const a = d[4 * i + 3] / 255;
        const luma = 0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2];
        gray[i] = (luma * a + 255 * (1 - a)) / 255;
    }
    return JSON.stringify({width, height, gray});
}"""


def read_canvas(page, selector: str) -> np.ndarray:
    """The canvas's pixels as gray levels. Shapes: -> (height, width)"""
    out = json.loads(page.locator(selector).evaluate(READ_CANVAS))
    return np.asarray(out["gray"], dtype=np.float64).reshape(out["height"], out["width"])


# ---------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server_url(browser, digits_model, tmp_path_factory):
    log = tmp_path_factory.mktemp("web-log") / "server.log"
    with web_server(digits_model[1], log) as url:
        yield url


@pytest.fixture
def page(tab, server_url):
    page = tab.open(server_url, 1280, 1000)
    page.locator("#canvas").wait_for(state="visible")
    yield page
    assert not tab.errors, f"JavaScript errors on the page: {tab.errors}"


# ------------------------------------------------------------------------------------------- tests


def draw(page, points: list[tuple[float, float]], *, mouse: bool = True) -> None:
    """One pen stroke through `points`, given as fractions (x, y) of the canvas's size, with
    Playwright's mouse, or with the pointer events it sends (`pen`)."""
    box = page.locator("#canvas").bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    pen(page, [(xy, 8)], mouse=mouse)


def canvas_pixels(page) -> np.ndarray:
    """#canvas as RGBA bytes, exactly. Shapes: -> (height, width, 4)"""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(canvas_png(page))))


def assert_same_pixels(by_mouse: np.ndarray, by_events: np.ndarray) -> None:
    differ = np.any(by_mouse != by_events, axis=-1)
    assert not differ.any(), f"the dispatched events drew {differ.sum()} pixels unlike the mouse"


def probabilities(page) -> dict[int, float]:
    """What the bars say: digit -> probability (their data-digit and data-probability)."""
    bars = page.locator("#probabilities [data-digit]").evaluate_all(
        "(bars) => bars.map((b) => [b.dataset.digit, b.dataset.probability])"
    )
    return {int(digit): float(p) for digit, p in bars}


def test_drawing_shows_a_prediction_and_the_preview(page, tmp_path):
    from playwright.sync_api import expect

    label = page.locator("#label")
    expect(label).to_have_text("")
    # a 7: the bar, then the slanted stem; a second stroke crosses the stem
    draw(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    draw(page, [(0.45, 0.5), (0.7, 0.5)])
    expect(label).to_have_text(re.compile(r"^\s*[0-9]\s*$"), timeout=TIMEOUT_MS)
    settled(page)

    by_mouse = canvas_pixels(page)
    preview = read_canvas(page, "#preview")
    assert np.ptp(preview) > 0.5, "the 28x28 preview stayed blank after drawing"
    proba = probabilities(page)
    assert sorted(proba) == list(range(10)), f"expected bars for digits 0..9, found {sorted(proba)}"
    assert sum(proba.values()) == pytest.approx(1.0, abs=0.01)
    assert max(proba, key=proba.get) == int(label.inner_text()), (
        f"#label says {label.inner_text()!r} but the tallest bar is {proba}"
    )

    shot = tmp_path / "web.png"
    page.screenshot(path=shot, full_page=True)
    shutil.copy(shot, SCREENSHOT)

    page.locator("#clear").click()
    assert read_canvas(page, "#canvas").min() > 0.9, "#clear left ink on the canvas"
    # the other tests draw with the mouse's pointer events, dispatched in the page: the same pixels
    draw(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)], mouse=False)
    draw(page, [(0.45, 0.5), (0.7, 0.5)], mouse=False)
    assert_same_pixels(by_mouse, canvas_pixels(page))


def test_a_replayed_mnist_digit_gets_the_label_of_barenet_predict(
    page, mnist, confident_digits, tmp_path
):
    """Three test digits drawn on the canvas get the label `barenet predict` gives them as PNGs:
    one with Playwright's mouse, the others with the same pointer events dispatched in the page
    (`replay`), which must draw the very pixels the mouse drew."""
    from barenet.images import preprocess

    _, _, X_test, _ = mnist
    digits = confident_digits[:3]
    # the mouse draws the one with the fewest moves: each waits for the next frame (~16 ms)
    box = page.locator("#canvas").bounding_box()
    moves = {i: sum(n + 1 for _, n in strokes(X_test[i], box)) for i, _, _ in digits}
    by_mouse = min(moves, key=moves.get)
    requests = []

    def record(request) -> None:
        if request.url.endswith("/api/predict"):
            requests.append(request)

    page.on("request", record)
    try:
        for i, png, expected in digits:
            page.locator("#clear").click()
            requests.clear()
            replay(page, X_test[i], mouse=i == by_mouse)
            settled(page)  # the answer to the last request: for the whole digit
            label = page.locator("#label").inner_text()
            assert label.strip() == str(expected), (
                f"test digit {i}: the page says {label!r}, `barenet predict` {expected}"
            )
            # the page's 28x28 input must look like the digit, not just happen to get its label
            seen = np.asarray(requests[-1].response().json()["input"])
            similarity = np.corrcoef(seen, preprocess(png))[0, 1]
            assert similarity > 0.85, f"test digit {i}: the input correlates {similarity:.2f}"
            if i == by_mouse:
                shot = tmp_path / "web-mnist.png"
                page.screenshot(path=shot, full_page=True)
                shutil.copy(shot, REPLAY_SCREENSHOT)
                drawn = canvas_pixels(page)
                page.locator("#clear").click()
                replay(page, X_test[i])
                assert_same_pixels(drawn, canvas_pixels(page))
    finally:
        page.remove_listener("request", record)


# ------------------------------------------------------------------ layout, numbers, tiny drawings


@pytest.fixture(scope="module")
def wide_server_url(browser, tmp_path_factory):
    """A server for the widest page: a 784-1024-10 network (the `best` recipe's width) with the
    long training summary of a cosine schedule. Untrained: only the layout is looked at."""
    from barenet import DeepNeuralNetwork, Layer, optimizers, recipes

    model = DeepNeuralNetwork([Layer(784), Layer(1024, "relu", dropout=0.3), Layer(10, "softmax")])
    best = recipes.get("best")
    model.training_summary = {
        "epochs": best.epochs,
        "samples": 60000,
        "batch_size": best.batch_size,
        "optimizer": optimizers.serialize(best.fit_kwargs(60000)["optimizer"]),
        "seed": 0,
        "seconds": 312.5,
        "final": {"loss": 0.0123, "accuracy": 0.9961, "val_loss": 0.021, "val_accuracy": 0.9934},
    }
    folder = tmp_path_factory.mktemp("wide")
    model.save(folder / "wide.safetensors")
    with web_server(folder / "wide.safetensors", folder / "server.log") as url:
        yield url


def open_page(tab, url, width):
    page = tab.open(url, width, 900)
    page.locator("#architecture table.layers tbody tr").first.wait_for()
    return page


@pytest.mark.parametrize("width", [360, 1440])  # 360: narrower than the 390 px phone reported
def test_the_page_fits_the_screen_and_shows_numbers(tab, wide_server_url, width):
    from playwright.sync_api import expect

    page = open_page(tab, wide_server_url, width)
    draw(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)], mouse=False)  # a 7
    expect(page.locator("#top3 li")).to_have_count(3, timeout=TIMEOUT_MS)
    settled(page)
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"at {width} px the page is {scroll} px wide"
    inside, box = page.locator("#architecture").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inside <= box, f"at {width} px the architecture is {inside} px wide in {box} px"

    layers = page.locator("#architecture table.layers")
    heads = layers.locator("thead th").all_inner_texts()
    assert heads == ["layer", "kind", "size", "activation", "parameters"]
    rows = [r.locator("td").all_inner_texts() for r in layers.locator("tbody tr").all()]
    assert rows[1][:4] == ["1", "hidden", "1024", "relu + dropout 0.3"]
    assert rows[2][:3] == ["2", "output", "10"]
    training = dict(
        r.locator("th, td").all_inner_texts()
        for r in page.locator("#architecture table.training tr").all()
    )
    assert training["epochs"] == "30" and training["time"] == "312 s"
    assert training["optimizer"].startswith("adam (learning rate cosine_decay (")
    assert "{" not in page.locator("#architecture").inner_text()  # no raw JSON

    # the top three, as percentages, agree with the bars and with the label
    items = page.locator("#top3 li")
    digits = [int(d) for d in (items.nth(i).get_attribute("data-digit") for i in range(3))]
    shown = [items.nth(i).locator(".percent").inner_text() for i in range(3)]
    proba = probabilities(page)
    assert digits == sorted(proba, key=proba.get, reverse=True)[:3]
    assert digits[0] == int(page.locator("#label").inner_text())
    for digit, text in zip(digits, shown, strict=True):
        assert re.fullmatch(r"\d{1,3}\.\d%|<0\.1%", text), text
        if text != "<0.1%":
            assert float(text[:-1]) == pytest.approx(100 * proba[digit], abs=0.051)

    legend = page.locator("#hidden-legend")
    expect(legend).to_be_visible()
    assert "black is 0" in legend.inner_text() and "most active" in legend.inner_text()
    grid = page.locator("#hidden .grid").bounding_box()
    assert grid["x"] + grid["width"] <= inner, "the 1024 units' grid runs off the screen"
    assert not tab.errors, f"JavaScript errors on the page: {tab.errors}"


def test_a_single_dot_asks_to_draw_bigger(page):
    from playwright.sync_api import expect

    box = page.locator("#canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # one dot
    label = page.locator("#label")
    expect(label).to_have_text("draw bigger", timeout=TIMEOUT_MS)
    assert page.locator("#hint").inner_text().startswith("too small: the ink spans ")
    assert page.locator("#top3 li").count() == 0
    assert max(probabilities(page).values()) == 0  # no bar claims a digit
    # a real digit afterwards gets its label and numbers back
    page.locator("#clear").click()
    draw(page, [(0.5, 0.15), (0.5, 0.85)])  # a 1
    expect(label).to_have_text(re.compile(r"^\s*[0-9]\s*$"), timeout=TIMEOUT_MS)
    expect(page.locator("#top3 li")).to_have_count(3)
    assert page.locator("#hint").inner_text() == ""
