"""`barenet export --html`: one self-contained page, checked as a file and run in headless
Chromium (Debian's, driven by Playwright) from file:// with the network off: its JavaScript
forward pass against predict_proba, its preprocessing against images.preprocess, and digits
drawn with the mouse against `barenet predict`."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from _browser import CHROMIUM_ARGS, ensure_chromium, unavailable
from barenet import DeepNeuralNetwork, Layer, LeakyReLU
from barenet.activations import ACTIVATIONS, ActivationFunction
from barenet.interop.html_export import page, to_html

TIMEOUT_MS = 15_000


def digits_model(hidden=256, seed=0):
    return DeepNeuralNetwork([Layer(784), Layer(hidden, "relu"), Layer(10, "softmax")], seed=seed)


class References(HTMLParser):
    """Every src/href attribute of a page, and its <meta http-equiv> policies."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.policies: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.urls += [attrs[k] for k in ("src", "href") if k in attrs]
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.policies.append(attrs["content"])


def embedded(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="barenet-model">(.*?)</script>', html)
    return json.loads(match.group(1))


# ------------------------------------------------------------------------------- the file


def test_784_256_10_is_one_file_under_1_5_mb_that_refers_to_nothing(tmp_path):
    path = tmp_path / "digits.html"
    to_html(digits_model(), path)
    size = path.stat().st_size
    assert size <= 1_500_000, f"{size} bytes"
    html = path.read_text(encoding="utf-8")
    refs = References()
    refs.feed(html)
    assert refs.urls == ["data:,"], refs.urls  # the favicon, inline; no stylesheet, no script
    assert refs.policies == [
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
    ]
    assert refs.tags.count("style") == 1 and refs.tags.count("script") == 3
    assert "runs it in your browser: it works offline" in html


def test_the_weights_are_base64_float32_of_the_parameters():
    model = DeepNeuralNetwork(
        [Layer(784), Layer(5, LeakyReLU(0.3)), Layer(3, "sigmoid")], seed=1, dtype=np.float64
    )
    spec = embedded(page(model))
    assert [(s["size"], s["activation"], s.get("config")) for s in spec["layers"]] == [
        (784, "identity", None),
        (5, "leaky_relu", {"alpha": 0.3}),
        (3, "sigmoid", {}),
    ]
    for key, value in model.params.items():
        tensor = spec["params"][key]
        decoded = np.frombuffer(base64.b64decode(tensor["data"]), "<f4").reshape(tensor["shape"])
        np.testing.assert_array_equal(decoded, value.astype(np.float32))
    assert spec["info"]["layers"][1]["kind"] == "hidden"  # what /api/model says, for the table


def test_nothing_in_the_model_can_end_the_script_element():
    model = digits_model(hidden=4)
    model.training_summary = {"note": "</script><script>alert(1)</script>"}
    html = page(model)
    assert html.count("</script>") == 3
    assert embedded(html)["info"]["training"]["note"] == model.training_summary["note"]


def test_what_the_page_cannot_run_is_refused(tmp_path):
    with pytest.raises(ValueError, match="784 pixels; this one reads 10 features"):
        to_html(DeepNeuralNetwork([Layer(10), Layer(2, "softmax")]), tmp_path / "p.html")

    class Swish(ActivationFunction):
        name = "swish"

    model = DeepNeuralNetwork([Layer(784), Layer(3, Swish()), Layer(2, "softmax")])
    with pytest.raises(ValueError, match=r"layer 1: the activation Swish.*JavaScript"):
        to_html(model, tmp_path / "p.html")
    assert not list(tmp_path.iterdir())


def test_cli_export_html_and_onnx_together(tmp_path):
    pytest.importorskip("safetensors", reason="model files need safetensors")
    pytest.importorskip("onnx", reason="onnx is not installed: pip install 'barenet[onnx]'")
    digits_model(hidden=8).save(tmp_path / "m.safetensors")
    done = subprocess.run(
        [sys.executable, "-m", "barenet", "export", str(tmp_path / "m.safetensors"),
         "--html", str(tmp_path / "p.html"), "--onnx", str(tmp_path / "m.onnx")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "p.html (a page that reads digits offline" in done.stdout
    assert (tmp_path / "p.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "m.onnx").stat().st_size > 784 * 8 * 4


def test_the_guide_quotes_the_pages_forward_pass():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "guide.md").read_text(encoding="utf-8")
    engine = (root / "src" / "barenet" / "web" / "static" / "standalone" / "barenet.js").read_text()
    (block,) = re.findall(r"```js\n(.*?)```", guide, flags=re.S)
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(lines) == 3
    for line in lines:
        assert line in engine, f"the guide quotes {line!r}, which barenet.js no longer has"


# ---------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def chromium():
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


class Offline:
    """A page in an offline context where every request is recorded, and refused unless it is the
    page's own file: the exported page must need nothing else."""

    def __init__(self, browser, path) -> None:
        self.url = path.as_uri()
        self.context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _route(self, route) -> None:
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def open(self):
        self.page.goto(self.url)
        self.page.wait_for_function("() => window.barenet !== undefined")
        return self.page

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"errors on the page: {self.errors}"
        assert set(self.requests) == {self.url}, f"the page asked for more: {self.requests}"


@pytest.fixture
def offline(chromium, tmp_path):
    opened = []

    def make(model):
        path = tmp_path / f"page{len(opened)}.html"
        to_html(model, path)
        opened.append(Offline(chromium, path))
        return opened[-1].open()

    yield make
    for o in opened:
        o.close()


PREDICT = "(X) => X.map((x) => window.barenet.predict(x))"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_equals_predict_proba_for_every_activation(offline, dtype):
    outputs = ["softmax", "sigmoid", "identity", "tanh", "relu", "leaky_relu"]
    X = np.random.default_rng(0).random((5, 784)).astype(dtype)
    X[0] = 0.0
    for hidden, output in zip(sorted(ACTIVATIONS), outputs, strict=True):
        act = LeakyReLU(0.2) if hidden == "leaky_relu" else hidden
        model = DeepNeuralNetwork(
            [Layer(784), Layer(9, act), Layer(7, act), Layer(4, output)], seed=0, dtype=dtype
        )
        for key in model.params:
            model.params[key] += np.asarray(0.05, dtype=dtype)
        got = np.asarray(offline(model).evaluate(PREDICT, X.tolist()))
        # the page computes in float64 from float32 weights: exactly that, up to summation order
        exact = DeepNeuralNetwork(model.layers, dtype=np.float64)
        exact.params = {k: v.astype(np.float32).astype(np.float64) for k, v in model.params.items()}
        where = f"{hidden} hidden, {output} output"
        np.testing.assert_allclose(
            got, exact.predict_proba(X), rtol=1e-12, atol=1e-12, err_msg=where
        )
        # and within float32 rounding of the model's own arithmetic: outputs of size 3 here
        np.testing.assert_allclose(got, model.predict_proba(X), rtol=1e-5, atol=1e-5, err_msg=where)


def test_predict_refuses_what_is_not_784_finite_values(offline):
    page_ = offline(digits_model(hidden=4))
    for bad, error in (
        ("[1, 2]", "expects 784 pixel values"),
        ("new Array(784).fill(NaN)", "finite"),
    ):
        call = f"window.barenet.predict({bad})"
        message = page_.evaluate(f"() => {{ try {{ {call}; }} catch (e) {{ return e.message; }} }}")
        assert error in message


# gray-level pictures as RGBA: what images.preprocess must make of them, and the page the same
def pictures() -> dict[str, np.ndarray]:
    from PIL import Image, ImageDraw

    out = {}
    big = Image.new("RGBA", (280, 240), "white")  # dark ink on paper, shrunk (BOX)
    ImageDraw.Draw(big).line([(60, 40), (200, 50), (110, 210)], fill="black", width=22)
    out["large dark on white"] = np.asarray(big)
    small = Image.new("RGB", (14, 17), (10, 10, 10))  # light ink on black, enlarged (LANCZOS)
    ImageDraw.Draw(small).ellipse([3, 2, 10, 14], outline=(250, 240, 200), width=2)
    out["small light on black"] = np.asarray(small.convert("RGBA"))
    glass = Image.new("RGBA", (90, 120), (0, 0, 0, 0))  # light ink on nothing: onto black
    ImageDraw.Draw(glass).line([(45, 10), (45, 110)], fill=(255, 255, 255, 255), width=9)
    out["light on transparent"] = np.asarray(glass)
    rng = np.random.default_rng(3)
    noisy = np.full((60, 50, 4), 235, dtype=np.uint8)  # blue ink, noisy paper, 20x20-ish
    noisy[..., :3] -= rng.integers(0, 20, (60, 50, 3), dtype=np.uint8)
    noisy[15:45, 20:27, :3] = (30, 40, 160)
    out["blue on noisy paper"] = noisy
    block = np.zeros((70, 60, 4), dtype=np.uint8)  # 40x25 scaled by 0.5: a width of 12.5 -> 12
    block[..., 3] = 255
    block[10:50, 20:45, :3] = 255
    out["a block whose width rounds half to even"] = block
    return out


def test_preprocess_mirrors_images_preprocess(offline):
    pytest.importorskip("PIL", reason="Pillow is not installed: pip install 'barenet[image]'")
    from barenet.images import preprocess

    page_ = offline(digits_model(hidden=4))
    for name, rgba in pictures().items():
        got = page_.evaluate(
            """([w, h, data]) => window.barenet.preprocess(
                new ImageData(new Uint8ClampedArray(data), w, h))""",
            [rgba.shape[1], rgba.shape[0], rgba.reshape(-1).tolist()],
        )
        expected = preprocess(rgba)
        assert np.ptp(expected) > 0.9
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5, err_msg=name)
    blank = page_.evaluate(
        """() => { try { window.barenet.preprocess(new ImageData(9, 9)); }
                   catch (e) { return e.message; } }"""
    )
    assert blank == "no digit found in the picture: it is blank"


# ------------------------------------------------------------------------- on real MNIST


@pytest.fixture(scope="module")
def mnist_model(mnist, tmp_path_factory):
    """A 784-64-10 network, 2 epochs of Adam on the real MNIST (as the server page's tests), its
    model file and its page written by `barenet export --html`."""
    X_train, y_train, _, _ = mnist
    model = DeepNeuralNetwork([Layer(784), Layer(64, "relu"), Layer(10, "softmax")], seed=0)
    model.fit(X_train, y_train, epochs=2, batch_size=64, optimizer="adam", verbose=0)
    folder = tmp_path_factory.mktemp("export")
    model.save(folder / "model.safetensors")
    subprocess.run(
        [sys.executable, "-m", "barenet", "export", str(folder / "model.safetensors"), "--html",
         str(folder / "digits.html")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return model, folder / "model.safetensors", folder / "digits.html"


@pytest.mark.mnist
def test_predict_on_20_mnist_digits_equals_predict_proba(chromium, mnist, mnist_model):
    _, _, X_test, _ = mnist
    model, _, html = mnist_model
    page_ = Offline(chromium, html)
    try:
        got = np.asarray(page_.open().evaluate(PREDICT, X_test[:20].tolist()))
    finally:
        page_.close()
    np.testing.assert_allclose(got, model.predict_proba(X_test[:20]), rtol=0, atol=1e-5)


@pytest.mark.mnist
def test_digits_drawn_offline_get_the_labels_of_barenet_predict(
    chromium, mnist, mnist_model, tmp_path
):
    from playwright.sync_api import expect

    from barenet.images import preprocess, to_png
    from test_web_browser import replay  # the server page's strokes, as a user draws

    _, _, X_test, _ = mnist
    model, model_path, html = mnist_model
    chosen: dict[int, int] = {}  # label -> index: five confident digits of different classes
    for i, x in enumerate(X_test[:300]):
        proba = model.predict_proba(preprocess(x.reshape(28, 28))[None, :])[0]
        if proba.max() > 0.99 and int(proba.argmax()) not in chosen:
            chosen[int(proba.argmax())] = i
        if len(chosen) == 5:
            break
    pngs = [tmp_path / f"test-{i}.png" for i in chosen.values()]
    for i, png in zip(chosen.values(), pngs, strict=True):
        to_png(X_test[i], png)
    done = subprocess.run(
        [sys.executable, "-m", "barenet", "predict", str(model_path), *map(str, pngs)],
        capture_output=True,
        text=True,
        check=True,
    )
    said = {}  # `barenet predict` prints "PATH: LABEL", then the probabilities, per image
    for line in done.stdout.splitlines():
        name, sep, label = line.rpartition(": ")
        if sep and name in map(str, pngs):
            said[name] = int(label)
    labels = [said[str(png)] for png in pngs]

    browser_page = Offline(chromium, html)
    try:
        page_ = browser_page.open()
        for i, expected in zip(chosen.values(), labels, strict=True):
            page_.goto(browser_page.url)
            replay(page_, X_test[i])
            expect(page_.locator("#label")).to_have_text(
                re.compile(rf"^\s*{expected}\s*$"), timeout=TIMEOUT_MS
            )
            # the page's 28x28 input is what images.preprocess makes of the same canvas as a PNG
            seen = page_.evaluate(
                """() => { const c = document.getElementById("canvas");
                           const image = c.getContext("2d").getImageData(0, 0, c.width, c.height);
                           return [window.barenet.preprocess(image), c.toDataURL("image/png")]; }"""
            )
            png = base64.b64decode(seen[1].partition(",")[2])
            np.testing.assert_allclose(seen[0], preprocess(png), rtol=0, atol=1e-5)
            similarity = np.corrcoef(seen[0], preprocess(X_test[i].reshape(28, 28)))[0, 1]
            assert similarity > 0.85, f"test digit {i}: the drawing correlates {similarity:.2f}"
    finally:
        browser_page.close()
