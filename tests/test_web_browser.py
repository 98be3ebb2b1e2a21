"""The draw-a-digit page in a real browser: headless Chromium (Debian's) driven by Playwright.

The server runs `barenet.web.serve` in a subprocess on a free port, with a small model trained on
the real MNIST (so marked ``mnist``). The tests draw with mouse events, as a user would, and read
what the page shows. Chromium is installed with apt-get when missing and we are root; otherwise
the tests skip, or fail when BARENET_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from _browser import CHROMIUM_ARGS, ensure_chromium, unavailable, web_server

pytestmark = pytest.mark.mnist

SCREENSHOT = "/tmp/barenet-web.png"  # a copy for people to look at; the test's own is in tmp_path
REPLAY_SCREENSHOT = "/tmp/barenet-web-mnist.png"
TIMEOUT_MS = 15_000

# The canvas as gray levels in [0, 1] (0 = black), transparency composited onto white.
# Shapes: -> {width, height, gray: (height * width,)}
READ_CANVAS = """(el) => {
    const {width, height} = el;
    const d = el.getContext("2d").getImageData(0, 0, width, height).data;
    const gray = new Array(width * height);
    for (let i = 0; i < width * height; i++) {
        const a = d[4 * i + 3] / 255;
        const luma = 0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2];
        gray[i] = (luma * a + 255 * (1 - a)) / 255;
    }
    return {width, height, gray};
}"""


def read_canvas(page, selector: str) -> np.ndarray:
    """The canvas's pixels as gray levels. Shapes: -> (height, width)"""
    out = page.locator(selector).evaluate(READ_CANVAS)
    return np.asarray(out["gray"], dtype=np.float64).reshape(out["height"], out["width"])


# ---------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, launched by Playwright (which never downloads a browser here)."""
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
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="module")
def model_path(mnist, tmp_path_factory):
    """A 784-64-10 network, 2 epochs of Adam on the real MNIST (~96% on the test set, seconds)."""
    from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax

    X_train, y_train, _, _ = mnist
    model = DeepNeuralNetwork([Layer(784, ReLU()), Layer(64, ReLU()), Layer(10, Softmax())], seed=0)
    model.fit(X_train, y_train, epochs=2, batch_size=64, optimizer="adam", verbose=0)
    path = tmp_path_factory.mktemp("web") / "model.safetensors"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def server_url(browser, model_path, tmp_path_factory):
    log = tmp_path_factory.mktemp("web-log") / "server.log"
    with web_server(model_path, log) as url:
        yield url


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server_url)
    page.locator("#canvas").wait_for(state="visible")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# ------------------------------------------------------------------------------------------- tests


def draw(page, points: list[tuple[float, float]]) -> None:
    """One pen stroke through `points`, given as fractions (x, y) of the canvas's size."""
    box = page.locator("#canvas").bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def probabilities(page) -> dict[int, float]:
    bars = page.locator("#probabilities [data-digit]")
    n = bars.count()
    return {
        int(bars.nth(i).get_attribute("data-digit")): float(
            bars.nth(i).get_attribute("data-probability")
        )
        for i in range(n)
    }


def test_drawing_shows_a_prediction_and_the_preview(page, tmp_path):
    from playwright.sync_api import expect

    label = page.locator("#label")
    expect(label).to_have_text("")
    # a 7: the bar, then the slanted stem; a second stroke crosses the stem
    draw(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    draw(page, [(0.45, 0.5), (0.7, 0.5)])
    expect(label).to_have_text(re.compile(r"^\s*[0-9]\s*$"), timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")

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


def replay(page, digit: np.ndarray, threshold: float = 0.5) -> int:
    """Draw an MNIST digit on #canvas with the mouse: one horizontal stroke per run of ink pixels
    (above `threshold`) in each row, the digit's box stretched to 90% of the canvas. Returns
    the number of strokes.

    The page's pen is 1/14 of the canvas wide; with the box (about 20 pixels) filling the canvas,
    that is about 1.5 MNIST pixels: each row's strokes overlap the next a little, and the stroke
    stays about as thick as the digit's own.
    Shapes: digit (784,) in [0, 1], white ink on black
    """
    box = page.locator("#canvas").bounding_box()
    ink = digit.reshape(28, 28) > threshold
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    cell = 0.9 * min(box["width"], box["height"]) / extent
    # the centre of the digit's box at the centre of the canvas
    x_origin = box["x"] + box["width"] / 2 - (cols[0] + cols[-1] + 1) / 2 * cell
    y_origin = box["y"] + box["height"] / 2 - (rows[0] + rows[-1] + 1) / 2 * cell
    strokes = 0
    for r, row in enumerate(ink):
        # runs of True: where the row switches on, and one past where it switches off
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
        y = y_origin + (r + 0.5) * cell
        for c0, c1 in zip(edges[::2], edges[1::2] - 1, strict=True):
            # from the centre of the first pixel to the centre of the last; the page draws a
            # dot on pointerdown, so a one-pixel run needs no move
            page.mouse.move(x_origin + (c0 + 0.5) * cell, y)
            page.mouse.down()
            page.mouse.move(x_origin + (c1 + 0.5) * cell, y, steps=int(c1 - c0) + 1)
            page.mouse.up()
            strokes += 1
    return strokes


@pytest.fixture(scope="module")
def confident_digits(mnist, model_path, tmp_path_factory):
    """Three MNIST test digits of different classes that `barenet predict` reads with confidence
    over 0.99, written as PNGs, and the labels the command prints for them."""
    from barenet import load
    from barenet.images import preprocess, to_png

    _, _, X_test, _ = mnist
    model = load(model_path)
    folder = tmp_path_factory.mktemp("digits")
    chosen: dict[int, int] = {}  # label -> index in the test set
    for i, x in enumerate(X_test[:200]):
        proba = model.predict_proba(preprocess(x.reshape(28, 28))[None, :])[0]
        label = int(np.argmax(proba))
        if proba[label] > 0.99 and label not in chosen:
            chosen[label] = i
        if len(chosen) == 3:
            break
    paths = []
    for i in chosen.values():
        paths.append(folder / f"test-{i}.png")
        to_png(X_test[i], paths[-1])
    done = subprocess.run(
        [sys.executable, "-m", "barenet", "predict", str(model_path), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    # `barenet predict` prints "PATH: LABEL" and then the probabilities, for each image
    labels = {}
    for line in done.stdout.splitlines():
        name, sep, label = line.rpartition(": ")
        if sep and name in map(str, paths):
            labels[name] = int(label)
    assert len(labels) == len(paths), f"could not read the labels from:\n{done.stdout}"
    return [
        (X_test[i], preprocess(p), labels[str(p)])
        for i, p in zip(chosen.values(), paths, strict=True)
    ]


def test_a_replayed_mnist_digit_gets_the_label_of_barenet_predict(
    browser, server_url, confident_digits, tmp_path
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        responses = []
        page.on(
            "response", lambda r: responses.append(r) if r.url.endswith("/api/predict") else None
        )
        for k, (digit, expected_input, expected) in enumerate(confident_digits):
            page.goto(server_url)
            responses.clear()
            replay(page, digit)
            expect(page.locator("#label")).to_have_text(
                re.compile(rf"^\s*{expected}\s*$"), timeout=TIMEOUT_MS
            )
            page.wait_for_load_state("networkidle")
            # the page's 28x28 input must look like the digit, not just happen to get its label
            seen = np.asarray(responses[-1].json()["input"])
            similarity = np.corrcoef(seen, expected_input)[0, 1]
            assert similarity > 0.85, f"digit {k}: the replayed input correlates {similarity:.2f}"
        shot = tmp_path / "web-mnist.png"
        page.screenshot(path=shot, full_page=True)
        shutil.copy(shot, REPLAY_SCREENSHOT)
    finally:
        context.close()


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


def open_page(browser, url, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.locator("#architecture table.layers tbody tr").first.wait_for()
    return context, page, errors


@pytest.mark.parametrize("width", [360, 1440])  # 360: narrower than the 390 px phone reported
def test_the_page_fits_the_screen_and_shows_numbers(browser, wide_server_url, width):
    from playwright.sync_api import expect

    context, page, errors = open_page(browser, wide_server_url, width)
    try:
        draw(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a 7
        expect(page.locator("#top3 li")).to_have_count(3, timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
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
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


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
