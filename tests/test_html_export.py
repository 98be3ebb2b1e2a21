"""`barenet export --html`: one self-contained page, checked as a file and run in headless
Chromium (Debian's, driven by Playwright) from file:// with the network off: its JavaScript
forward pass against predict_proba, its preprocessing against images.preprocess, and digits
drawn as the mouse draws them (tests/_browser.py's `replay`) against `barenet predict`."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from _browser import replay, settled
from barenet import DeepNeuralNetwork, Layer, LeakyReLU
from barenet.activations import ACTIVATIONS, ActivationFunction
from barenet.interop import html_export
from barenet.interop.html_export import page, to_html


def untrained_digits_model(hidden=256, seed=0):
    """A 784-HIDDEN-10 network as initialized (not conftest's trained `digits_model` fixture)."""
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
    size = to_html(untrained_digits_model(), path)
    assert size == path.stat().st_size
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
    model = untrained_digits_model(hidden=4)
    model.training_summary = {"note": "</script><script>alert(1)</script>"}
    html = page(model)
    assert html.count("</script>") == 3
    assert embedded(html)["info"]["training"]["note"] == model.training_summary["note"]


def test_what_the_page_cannot_run_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="784 pixels; this one reads 10 features"):
        to_html(DeepNeuralNetwork([Layer(10), Layer(2, "softmax")]), tmp_path / "p.html")

    class Swish(ActivationFunction):
        name = "swish"

    model = DeepNeuralNetwork([Layer(784), Layer(3, Swish()), Layer(2, "softmax")])
    with pytest.raises(ValueError, match=r"layer 1: the activation Swish.*JavaScript"):
        to_html(model, tmp_path / "p.html")
    # registered (barenet.register), so a model file can name it, but barenet.js cannot
    monkeypatch.setitem(ACTIVATIONS, "swish", Swish)
    model = DeepNeuralNetwork([Layer(784), Layer(3, "swish"), Layer(2, "softmax")])
    with pytest.raises(
        ValueError,
        match=r"layer 1: the activation Swish \('swish'\) cannot be written in the page's "
        r"JavaScript, which has only barenet's built-in \['identity', 'leaky_relu', ",
    ):
        to_html(model, tmp_path / "p.html")
    assert not list(tmp_path.iterdir())


def test_the_exporter_takes_exactly_the_activations_barenet_js_computes():
    engine = Path(html_export.__file__).parent.parent / "web" / "static" / "standalone"
    text = (engine / "barenet.js").read_text(encoding="utf-8")
    (block,) = re.findall(r"\n  const ACTIVATIONS = \{\n(.*?)\n  \};\n", text, flags=re.S)
    names = re.findall(r"^    (\w+):", block, flags=re.M)
    assert sorted(names) == sorted(html_export.SUPPORTED)
    assert set(html_export.SUPPORTED) <= set(ACTIVATIONS)  # barenet's own, by those names


def test_cli_export_html_and_onnx_together(tmp_path, capsys):
    pytest.importorskip("safetensors", reason="model files need safetensors")
    pytest.importorskip("onnx", reason="onnx is not installed: pip install 'barenet[onnx]'")
    from barenet import cli

    untrained_digits_model(hidden=8).save(tmp_path / "m.safetensors")
    status = cli.main(
        ["export", str(tmp_path / "m.safetensors"),
         "--html", str(tmp_path / "p.html"), "--onnx", str(tmp_path / "m.onnx")]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 0, err
    size = (tmp_path / "p.html").stat().st_size
    assert f"p.html (a page that reads digits offline, {size:,} bytes, <DeepNeuralNetwork" in out
    assert f"m.onnx (ONNX, {(tmp_path / 'm.onnx').stat().st_size:,} bytes" in out
    assert (tmp_path / "p.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "m.onnx").stat().st_size > 784 * 8 * 4


def test_the_guide_quotes_the_pages_forward_pass():
    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "guide.md").read_text(encoding="utf-8")
    engine = (root / "src" / "barenet" / "web" / "static" / "standalone" / "barenet.js").read_text()
    (block,) = re.findall(r"```js\n(.*?)```", guide, flags=re.S)
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(lines) == 3
    for line in lines:
        assert line in engine, f"the guide quotes {line!r}, which barenet.js no longer has"


# ---------------------------------------------------------------------------- the browser


class Offline:
    """One page in an offline context where every request is recorded, and refused unless it is
    for the file of a page opened since the last `check`: an exported page needs nothing else.
    One per module; each test navigates its page (~0.15 s, a new context and page ~0.4 s)."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})
        self.opened: set[str] = set()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _route(self, route) -> None:
        self.requests.append(route.request.url)
        if route.request.url in self.opened:
            route.continue_()
        else:
            route.abort()

    def open(self, path):
        url = path.as_uri()
        self.opened.add(url)
        self.page.goto(url)
        self.page.wait_for_function("() => window.barenet !== undefined")
        return self.page

    def check(self) -> None:
        """No errors on the pages opened since the last check, and no request but their files."""
        errors, requests, opened = self.errors[:], self.requests[:], self.opened.copy()
        self.errors.clear(), self.requests.clear(), self.opened.clear()
        assert not errors, f"errors on the page: {errors}"
        assert set(requests) == opened, f"the page asked for more than {opened}: {requests}"


@pytest.fixture(scope="module")
def offline_context(browser):
    o = Offline(browser)
    yield o
    o.context.close()


@pytest.fixture
def offline(offline_context, tmp_path):
    """Opens a page in `offline_context`: the page `to_html` writes for a model, or a page file;
    after the test, no errors and no request but for the pages' files."""
    written = []

    def open_(model_or_path):
        if isinstance(model_or_path, Path):
            return offline_context.open(model_or_path)
        written.append(tmp_path / f"page{len(written)}.html")
        to_html(model_or_path, written[-1])
        return offline_context.open(written[-1])

    yield open_
    offline_context.check()


def predict(page_, X: np.ndarray) -> np.ndarray:
    """window.barenet.predict on each row of X. Shapes: X (n, 784) -> (n, k)

    NOTE: both ways as JSON text, which keeps every float64 exactly: as values, Playwright takes
    ~25 us a number (0.1 s for 5 rows)."""
    out = page_.evaluate(
        "(X) => JSON.stringify(JSON.parse(X).map((x) => window.barenet.predict(x)))",
        json.dumps(X.tolist()),
    )
    return np.asarray(json.loads(out))


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
        got = predict(offline(model), X)
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
    page_ = offline(untrained_digits_model(hidden=4))
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

    page_ = offline(untrained_digits_model(hidden=4))
    for name, rgba in pictures().items():
        # NOTE: the bytes as base64 text: as a list of numbers they take Playwright ~1 s
        got = page_.evaluate(
            """([w, h, data]) => window.barenet.preprocess(new ImageData(
                Uint8ClampedArray.from(atob(data), (c) => c.charCodeAt(0)), w, h))""",
            [rgba.shape[1], rgba.shape[0], base64.b64encode(rgba.tobytes()).decode()],
        )
        expected = preprocess(rgba)
        assert np.ptp(expected) > 0.9
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5, err_msg=name)
    blank = page_.evaluate(
        """() => { try { window.barenet.preprocess(new ImageData(9, 9)); }
                   catch (e) { return e.message; } }"""
    )
    assert blank == "no digit found in the picture: it is blank"


def test_read_says_what_read_digit_says_of_a_dot_a_speck_and_a_digit(offline):
    """The page's verdict (`too_small`) is images.read_digit's, text and all: a dot is
    "too small", a faint speck spread wide "too sparse", a drawn digit None."""
    pytest.importorskip("PIL", reason="Pillow is not installed: pip install 'barenet[image]'")
    from barenet.images import read_digit

    dot = np.full((280, 280, 4), 255, dtype=np.uint8)
    dot[130:150, 130:150, :3] = 0
    speck = np.full((280, 280, 4), 255, dtype=np.uint8)
    speck[40:43, 40:43, :3] = 0
    speck[230:233, 230:233, :3] = 0
    cases = {"a dot": dot, "two specks far apart": speck, **pictures()}
    page_ = offline(untrained_digits_model(hidden=4))
    verdicts = set()
    for name, rgba in cases.items():
        got = page_.evaluate(
            """([w, h, data]) => window.barenet.read(new ImageData(
                Uint8ClampedArray.from(atob(data), (c) => c.charCodeAt(0)), w, h)).too_small""",
            [rgba.shape[1], rgba.shape[0], base64.b64encode(rgba.tobytes()).decode()],
        )
        assert got == read_digit(rgba).too_small, name
        verdicts.add(None if got is None else got.split(":")[0])
    assert verdicts == {None, "too small", "too sparse"}  # every rule was reached


# ------------------------------------------------------------------------- on real MNIST


@pytest.fixture(scope="module")
def mnist_page(digits_model, tmp_path_factory):
    """The page `barenet export --html` writes for conftest's `digits_model` (784-64-10, 2 epochs
    of Adam on the real MNIST, as the server page's tests)."""
    from barenet import cli

    _, model_path = digits_model
    html = tmp_path_factory.mktemp("export") / "digits.html"
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["export", str(model_path), "--html", str(html)]) == 0, out.getvalue()
    return html


@pytest.mark.mnist
def test_predict_on_20_mnist_digits_equals_predict_proba(offline, mnist, digits_model, mnist_page):
    _, _, X_test, _ = mnist
    model, _ = digits_model
    got = predict(offline(mnist_page), X_test[:20])
    np.testing.assert_allclose(got, model.predict_proba(X_test[:20]), rtol=0, atol=1e-5)


@pytest.mark.mnist
def test_digits_drawn_offline_get_the_labels_of_barenet_predict(
    offline, mnist, mnist_page, confident_digits
):
    """Five test digits drawn on the canvas (the server page's strokes, `replay`: the pointer
    events of the mouse, dispatched in the page) get the labels `barenet predict` gives them
    as PNGs."""
    from barenet.images import preprocess

    _, _, X_test, _ = mnist
    page_ = offline(mnist_page)
    for i, _png, expected in confident_digits:
        page_.locator("#clear").click()
        replay(page_, X_test[i])
        settled(page_)
        label = page_.locator("#label").inner_text()
        assert label.strip() == str(expected), f"test digit {i}: {label!r}, not {expected}"
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
