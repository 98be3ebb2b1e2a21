"""The draw-a-digit server (barenet.web): the API, its refusals, the page, with TestClient."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # what Starlette's TestClient drives
pytest.importorskip("PIL")
pytest.importorskip("safetensors")

from starlette.testclient import TestClient

import barenet
from barenet import DeepNeuralNetwork, Layer
from barenet.images import preprocess, read_digit, to_png
from barenet.web import MAX_BODY, create_app, is_local_host

BASE = "http://localhost"


def seven() -> np.ndarray:
    """An MNIST-like 7: white ink on black. Shapes: -> (28, 28) float32."""
    x = np.zeros((28, 28), dtype=np.float32)
    x[6:9, 7:21] = 1.0
    for r in range(9, 23):
        c = 20 - (r - 9) // 2
        x[r, c - 1 : c + 2] = 1.0
    return x


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    net = DeepNeuralNetwork([Layer(784), Layer(16, "relu"), Layer(10, "softmax")], seed=3)
    path = tmp_path_factory.mktemp("web") / "model.safetensors"
    net.save(path)
    return barenet.load(path)


@pytest.fixture(scope="module")
def client(model):
    with TestClient(create_app(model), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def png(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("png") / "seven.png"
    to_png(seven(), path, scale=4)
    return path.read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def canvas_png(ink: bool = True) -> bytes:
    """A 280x280 RGBA canvas as the page sends it: black ink on white (or blank)."""
    from PIL import Image

    a = np.full((280, 280, 4), 255, dtype=np.uint8)
    if ink:
        big = np.kron(seven(), np.ones((10, 10))) > 0.5
        a[big, :3] = 0
    buf = io.BytesIO()
    Image.fromarray(a, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


def assert_error(response, status: int, pattern: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]
    assert re.search(pattern, message, re.IGNORECASE), message


def check_prediction(body: dict, model, x: np.ndarray) -> None:
    assert set(body) == {"label", "probabilities", "input", "hidden", "too_small"}
    assert body["too_small"] is None  # a digit of a good size
    assert body["label"] == int(model.predict(x[None, :])[0])
    expected = model.predict_proba(x[None, :])[0]
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(body["input"], x, atol=1e-4)
    _, cache = model._forward(x[None, :].astype(model.dtype))
    assert len(body["hidden"]) == 1
    np.testing.assert_allclose(body["hidden"][0], cache[0].a[0], atol=1e-4)


# ------------------------------------------------------------------------------- good requests


def test_pixels_request_gives_the_models_prediction(client, model):
    x = seven().reshape(-1)
    response = client.post("/api/predict", json={"pixels": x.tolist()})
    assert response.status_code == 200, response.text
    check_prediction(response.json(), model, x)


@pytest.mark.parametrize("prefix", ["", "data:image/png;base64,"])
def test_image_request_is_preprocessed_like_barenet_predict(client, model, png, prefix):
    response = client.post("/api/predict", json={"image": prefix + b64(png)})
    assert response.status_code == 200, response.text
    check_prediction(response.json(), model, preprocess(png))


def test_a_canvas_drawing_black_on_white_is_inverted_and_centered(client, model):
    data = canvas_png()
    response = client.post("/api/predict", json={"image": "data:image/png;base64," + b64(data)})
    assert response.status_code == 200, response.text
    x = preprocess(data)
    check_prediction(response.json(), model, x)
    assert x.reshape(28, 28)[0].max() == 0  # light ink on black, with a margin, as in MNIST


def test_a_dot_is_too_small_to_read(client):
    from PIL import Image

    a = np.full((280, 280, 4), 255, dtype=np.uint8)
    rows, cols = np.mgrid[:280, :280]
    a[np.hypot(rows - 90, cols - 200) < 10, :3] = 0  # one dot of the page's pen
    buf = io.BytesIO()
    Image.fromarray(a, "RGBA").save(buf, format="PNG")
    response = client.post("/api/predict", json={"image": b64(buf.getvalue())})
    assert response.status_code == 200, response.text
    assert response.json()["too_small"].startswith("too small: the ink spans 19 of")
    speck = np.zeros(784)
    speck[[100, 101, 128]] = 1.0
    response = client.post("/api/predict", json={"pixels": speck.tolist()})
    assert "draw bigger" in response.json()["too_small"]


def test_model_endpoint_describes_the_architecture(client, model):
    info = client.get("/api/model").json()
    assert [layer["size"] for layer in info["layers"]] == [784, 16, 10]
    assert [layer.get("activation") for layer in info["layers"]] == [None, "relu", "softmax"]
    assert [layer["kind"] for layer in info["layers"]] == ["input", "hidden", "output"]
    assert [layer["parameters"] for layer in info["layers"]] == [0, 784 * 16 + 16, 16 * 10 + 10]
    assert info["parameters"] == sum(p.size for p in model.params.values())
    assert info["dtype"] == "float32"
    assert isinstance(info["training"], dict)


# -------------------------------------------------------------------------------- bad requests

PIXELS = [0.5] * 784


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", "exactly one key"),
        (json.dumps({"pixels": PIXELS, "image": "x"}).encode(), "exactly one key"),
        (json.dumps({"pixel": PIXELS}).encode(), "exactly one key"),
        (json.dumps({"pixels": "0.5"}).encode(), "must be a list"),
        (json.dumps({"pixels": [0.5] * 783}).encode(), "784 numbers.*783"),
        (json.dumps({"pixels": [0.5] * 785}).encode(), "785"),
        (json.dumps({"pixels": ["0.5"] * 784}).encode(), r"\[0\] must be a number"),
        (json.dumps({"pixels": [True] * 784}).encode(), "must be a number"),
        (json.dumps({"pixels": [[0.5]] * 784}).encode(), "must be a number"),
        (json.dumps({"pixels": [None] * 784}).encode(), "must be a number"),
        (json.dumps({"pixels": [*PIXELS[:-1], 1.5]}).encode(), r"\[783\].*\[0, 1\]"),
        (json.dumps({"pixels": [-0.1, *PIXELS[1:]]}).encode(), r"\[0\].*\[0, 1\]"),
        (json.dumps({"pixels": [*PIXELS[:-1], 1e400]}).encode(), "Infinity"),  # dumps writes it
        (b'{"pixels": [NaN' + b", 0.5" * 783 + b"]}", "NaN"),
        (b'{"pixels": [Infinity' + b", 0.5" * 783 + b"]}", "Infinity"),
        (b'{"pixels": [-Infinity' + b", 0.5" * 783 + b"]}", "Infinity"),
        (json.dumps({"pixels": [0.0] * 784}).encode(), "blank"),
        (json.dumps({"image": 42}).encode(), "base64 PNG string"),
        (json.dumps({"image": "not base64!"}).encode(), "not valid base64"),
        (json.dumps({"image": ""}).encode(), "empty"),
        (json.dumps({"image": "data:image/png,abc"}).encode(), "base64"),
        (json.dumps({"image": b64(b"GIF89a but not really")}).encode(), "not a readable image"),
        (json.dumps({"image": b64(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)}).encode(), "readable"),
        (json.dumps({"image": b64(canvas_png(ink=False))}).encode(), "blank"),
    ],
)
def test_bad_requests_get_400_with_a_json_error(client, body, pattern):
    response = client.post(
        "/api/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, pattern)
    assert client.get("/api/model").status_code == 200  # still serving


def test_truncated_png_is_refused(client, png):
    response = client.post("/api/predict", json={"image": b64(png[: len(png) // 2])})
    assert_error(response, 400, "not a readable image")


def test_a_huge_canvas_in_a_small_png_is_refused_before_decoding(client):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (5000, 10), 1).save(buf, format="PNG")
    response = client.post("/api/predict", json={"image": b64(buf.getvalue())})
    assert_error(response, 413, "5000x10 pixels")


def test_a_body_over_1_mib_gets_413(client):
    body = b'{"pixels": [' + b"0.5, " * (MAX_BODY // 5) + b"0.5]}"
    assert_error(client.post("/api/predict", content=body), 413, "at most")


def test_a_chunked_body_without_content_length_is_capped_while_streaming(client):
    def chunks():
        yield b'{"pixels": ['
        for _ in range(300):
            yield b"0.5, " * 1000

    response = client.post("/api/predict", content=chunks())
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error(response, 413, "over")
    assert client.get("/api/model").status_code == 200


def test_a_lying_content_length_is_refused(client):
    response = client.post("/api/predict", content=b"{}", headers={"Content-Length": "abc"})
    assert response.status_code == 400


@pytest.mark.parametrize("declared", [b"\xb2", b"\xb9", b"-1", b" 2", b"+2"])
def test_a_content_length_of_other_than_ascii_digits_is_a_bad_request(declared):
    # NOTE: "\xb2" (superscript two) passes str.isdigit, and int() then raised: a 500. An HTTP
    # client cannot send it through httpx, so the reader is given the ASGI request directly
    import asyncio

    from starlette.requests import Request

    from barenet.web import BadRequest, _read_body

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", declared)]}
    with pytest.raises(BadRequest, match="bad Content-Length") as caught:
        asyncio.run(_read_body(Request(scope, receive)))
    assert caught.value.status == 400


def test_unknown_paths_and_methods_answer_json(client):
    assert_error(client.get("/api/predict"), 405, "not allowed")
    assert_error(client.get("/etc/passwd"), 404, "not found")


def test_both_apps_are_made_by_make_app_pages_and_json_errors_included(tmp_path):
    # the draw-a-digit app and the lab share it: static pages, the Host check, JSON errors
    from starlette.routing import Route

    from barenet.web.http import make_app

    def fails(request):
        return 1 / 0

    (tmp_path / "page.html").write_text("<p>hi</p>")
    app = make_app(
        [Route("/fails", fails)], tmp_path, {"/": ("page.html", "text/html")}, local_only=True
    )
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
        page = c.get("/")
        assert page.text == "<p>hi</p>" and page.headers["x-content-type-options"] == "nosniff"
        assert_error(c.get("/fails"), 500, r"^internal error \(ZeroDivisionError\); the server")
        assert_error(c.post("/"), 405, "method not allowed")
        assert_error(c.get("/nothing"), 404, "not found")
        assert_error(c.get("/", headers={"Host": "evil.example"}), 421, "refused")
    from barenet.web.lab import create_lab_app

    model = DeepNeuralNetwork([Layer(784), Layer(4, "relu"), Layer(10, "softmax")], seed=0)
    for app in (create_app(model), create_lab_app()):  # and both apps are such apps
        with TestClient(app, base_url="http://localhost") as c:
            assert c.get("/").headers["x-content-type-options"] == "nosniff"
            assert_error(c.get("/nothing"), 404, "not found")
            assert_error(c.get("/", headers={"Host": "evil.example"}), 421, "refused")


def test_jsonable_makes_any_value_strict_json():
    from barenet.web.http import jsonable

    value = {1: (np.float32(0.5), float("nan"), -np.inf), "n": [np.int64(3), True, None, "s"]}
    assert jsonable(value) == {"1": [0.5, None, None], "n": [3, True, None, "s"]}
    assert jsonable({"path": Path("/x")}) == {"path": "/x"}  # anything else: its str


def test_the_server_keeps_answering_after_bad_requests(client, model):
    for body in (b"{", b"[]", b'{"pixels": [NaN]}', b"x" * (MAX_BODY + 1)):
        assert client.post("/api/predict", content=body).status_code in (400, 413)
    x = seven().reshape(-1)
    response = client.post("/api/predict", json={"pixels": x.tolist()})
    assert response.status_code == 200
    assert response.json()["label"] == int(model.predict(x[None])[0])


# ------------------------------------------------------------------------------- DNS rebinding


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8000", "127.0.0.1", "127.0.0.1:5", "[::1]", "[::1]:8000", "LOCALHOST"],
)
def test_local_host_headers_are_answered(model, host):
    with TestClient(create_app(model), base_url=BASE) as c:
        assert c.get("/api/model", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "localhost.evil.example",
        "127.0.0.2",
        "[::2]",
        "[::1]x",
        "localhost:80:80",
        "",
        "0.0.0.0",
    ],
)
def test_foreign_host_headers_are_refused(model, host):
    with TestClient(create_app(model), base_url=BASE) as c:
        response = c.post(
            "/api/predict", json={"pixels": seven().reshape(-1).tolist()}, headers={"Host": host}
        )
        assert_error(response, 421, "refused")
        assert c.get("/").status_code == 200  # and keeps serving local requests


def test_is_local_host_matches_only_loopback_names():
    assert is_local_host("127.0.0.1:8000") and is_local_host("[::1]")
    assert not is_local_host("127.0.0.1.nip.io") and not is_local_host("[::1]:80a")
    assert not is_local_host("localhost:\u00b2") and not is_local_host("localhost:\u0663")


def test_without_local_only_any_host_is_answered(model):
    with TestClient(create_app(model, local_only=False), base_url="http://192.0.2.7") as c:
        assert c.get("/api/model").status_code == 200


def test_a_model_not_reading_784_pixels_is_refused():
    net = DeepNeuralNetwork([Layer(4), Layer(3, "softmax")], seed=0)
    with pytest.raises(ValueError, match="784"):
        create_app(net)


# ------------------------------------------------------------------------------------ the page


def test_the_page_has_the_element_ids_and_loads_nothing_from_the_internet(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    html = page.text
    for element in ("canvas", "clear", "preview", "label", "probabilities", "hidden"):
        assert f'id="{element}"' in html
    assert 'id="architecture"' in html
    assets = re.findall(r'(?:src|href)="(?!data:)([^"]+)"', html)
    assert sorted(assets) == ["app.js", "style.css"]
    texts = [html]
    for asset in assets:
        response = client.get("/" + asset)
        assert response.status_code == 200
        texts.append(response.text)
    assert "text/javascript" in client.get("/app.js").headers["content-type"]
    for text in texts:
        assert "http://" not in text and "https://" not in text
        assert "//cdn" not in text and "@import" not in text
    js = texts[assets.index("app.js") + 1]
    for needed in (
        "pointerdown",
        "pointermove",
        "pointerup",
        "api/predict",
        "api/model",
        "toDataURL",
        "data-digit" if "data-digit" in js else "dataset.digit",
    ):
        assert needed in js


# ---------------------------------------------------------------------------- JSON with limits


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (b"[" * 100_000, "nests 100000 levels deep; at most 16"),
        (b'{"pixels": ' + b"[" * 20 + b"0.5" + b"]" * 20 + b"}", "nests 21 levels"),
        (b'{"pixels": [' + b"7" * 6000 + b"]}", "6000-digit number; at most 40"),
        (b'{"pixels": [0.' + b"5" * 100 + b"]}", "102-character number"),
        (b'{"pixels": [1], "pixels": [2]}', "has the key 'pixels' twice"),
        (b'{"image": "", "image": "x"}', "has the key 'image' twice"),
        (b'"\\"' * 300_000, "not valid JSON"),  # quadratic for a regular expression
        (b"\xef\xbb\xbf{}", "not valid JSON"),  # a byte-order mark
        (b'{"pixels": [0.5]}\xc3', r"not UTF-8 text \(byte 17\)"),
        (json.dumps({f"k{i}": i for i in range(10_000)}).encode(), r"and 9995 more"),
    ],
)
def test_bodies_beyond_the_json_limits_get_400(client, body, pattern):
    response = client.post("/api/predict", content=body)
    assert_error(response, 400, pattern)
    assert len(response.json()["error"]) <= 500


def test_brackets_inside_strings_do_not_count_as_nesting():
    from barenet._json import nesting_depth as _nesting
    from barenet.web import loads

    value = {"a": "[" * 40 + '\\"{' + "]" * 3}  # 40 brackets and an escaped quote, in a string
    assert loads(json.dumps(value).encode()) == value
    # [ {"x": "\\"} , [ "\"[" , [ {} ] ] ]: the deepest is the {} at depth 4
    assert _nesting(b'[{"x": "\\\\"}, ["\\"[", [{}]]]') == 4
    assert _nesting(b"") == 0 and _nesting(b"]]]") == 0


def test_the_nesting_count_equals_the_depth_of_any_json():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from barenet._json import nesting_depth as _nesting

    text = st.text(alphabet='[]{}"\\,:ab\n\u00e9\U0001f600', max_size=8)
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=20,
    )

    def depth(v):
        if isinstance(v, dict):
            v = list(v.values())
        return 1 + max(map(depth, v), default=0) if isinstance(v, list) else 0

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(values, st.booleans())
    def check(value, ascii_only):
        assert _nesting(json.dumps(value, ensure_ascii=ascii_only).encode()) == depth(value)

    check()


# -------------------------------------------------------------------- pixels and concurrency


def small_png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (width, height), 255).save(buf, format="PNG")
    return buf.getvalue()


def test_an_image_over_the_pixel_cap_is_refused_from_its_header(client, monkeypatch):
    import barenet.web.requests as web_requests

    monkeypatch.setattr(web_requests, "MAX_IMAGE_PIXELS", 100 * 100)
    opened = []

    def counted(data: bytes) -> barenet.images.Digit:
        opened.append(data)
        return read_digit(canvas_png())

    monkeypatch.setattr(barenet.images, "read_digit", counted)
    response = client.post("/api/predict", json={"image": b64(small_png(101, 100))})
    assert_error(response, 413, "101x100 pixels; at most 4096 on a side and 10000 in all")
    assert opened == []  # refused from the header: never decoded
    response = client.post("/api/predict", json={"image": b64(small_png(100, 100))})
    assert response.status_code == 200 and len(opened) == 1


class HeldDecodes:
    """A stand-in for images.read_digit that blocks until released: decodes that stay busy."""

    def __init__(self) -> None:
        import threading

        self.started = threading.Semaphore(0)
        self.release = threading.Event()

    def __call__(self, data: bytes) -> barenet.images.Digit:
        self.started.release()
        assert self.release.wait(timeout=30)
        return read_digit(canvas_png())


def test_excess_images_get_503_while_pixels_and_the_model_are_answered(model, monkeypatch):
    import threading

    import barenet.web.app as web_app

    monkeypatch.setattr(web_app, "DECODE_SLOTS", 1)
    monkeypatch.setattr(web_app, "DECODE_QUEUE", 0)
    held = HeldDecodes()
    monkeypatch.setattr(barenet.images, "read_digit", held)
    image = {"image": b64(canvas_png())}
    with TestClient(create_app(model), base_url=BASE) as c:
        answers: list = []
        first = threading.Thread(target=lambda: answers.append(c.post("/api/predict", json=image)))
        first.start()
        try:
            assert held.started.acquire(timeout=30)  # the one slot is busy
            busy = c.post("/api/predict", json=image)
            assert_error(busy, 503, "busy with 1 images; try again shortly")
            assert busy.headers["retry-after"] == "1"
            # a pixels request needs no decode: it is answered while the image is held
            x = seven().reshape(-1)
            pixels = c.post("/api/predict", json={"pixels": x.tolist()})
            assert pixels.status_code == 200
            assert c.get("/api/model").status_code == 200
        finally:
            held.release.set()
            first.join(timeout=30)
    assert [r.status_code for r in answers] == [200]


def test_decode_slots_queue_a_few_requests_and_refuse_the_rest():
    import threading

    from barenet.web import BadRequest, Slots

    slots = Slots(1, 1, 30.0, "images")
    got = threading.Event()

    def waiter():
        with slots.slot():
            got.set()

    with slots.slot():
        queued = threading.Thread(target=waiter)
        queued.start()
        while slots._waiting == 0:  # until the waiter is in the queue
            threading.Event().wait(0.005)
        with pytest.raises(BadRequest, match="busy with 1 images") as err:
            with slots.slot():  # the queue of 1 is full: refused at once
                pass
        assert err.value.status == 503 and err.value.retry_after == 1
        assert not got.is_set()
    queued.join(timeout=30)
    assert got.is_set()  # the queued request got the slot once it was free


def test_a_request_waiting_too_long_for_a_decode_gets_503():
    from barenet.web import BadRequest, Slots

    slots = Slots(1, 1, 0.05, "images")
    with slots.slot():
        with pytest.raises(BadRequest, match="busy with 1 images") as err:
            with slots.slot():  # waits 0.05 s in the queue, then gives up
                pass
    assert err.value.status == 503 and err.value.retry_after == 1
    with slots.slot():  # released again
        pass


def test_too_many_requests_at_once_get_503_before_their_body_is_read(model, monkeypatch):
    import barenet.web.app as web_app

    monkeypatch.setattr(web_app, "MAX_PENDING", 0)
    with TestClient(create_app(model), base_url=BASE) as c:
        response = c.post("/api/predict", json={"pixels": seven().reshape(-1).tolist()})
        assert_error(response, 503, "busy with 0 requests")
        assert c.get("/api/model").status_code == 200


# ---------------------------------------------------------------------------- error messages


def test_error_messages_show_no_python_object_reprs(client, monkeypatch):
    from barenet.web import clean_message

    message = "cannot identify image file <_io.BytesIO object at 0x7f3a2b1c9d50>"
    assert clean_message(message) == "cannot identify image file the data"
    assert len(clean_message("x" * 10_000)) == 500

    def pillow_like(data):
        raise OSError("cannot identify image file <_io.BytesIO object at 0x7f3a2b1c9d50>")

    monkeypatch.setattr(barenet.images, "read_digit", pillow_like)
    response = client.post("/api/predict", json={"image": b64(canvas_png())})
    assert_error(response, 400, "could not be read: cannot identify image file the data")
    assert "0x" not in response.text and "<_io" not in response.text


# ------------------------------------------------------------------------- serve: the port


def test_serve_on_a_port_in_use_says_so_in_one_line_before_printing(model, tmp_path):
    import socket
    import subprocess
    import sys

    from barenet.web import listen

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is already in use.*--port"):
            listen("127.0.0.1", port)
        path = tmp_path / "model.safetensors"
        model.save(path)
        result = subprocess.run(
            [sys.executable, "-m", "barenet", "serve", str(path), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stdout == ""  # "serving ..." is printed only once the port is ours
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: serve: port {port} on 127.0.0.1 is already in use")
    assert f"--port {port + 1}" in lines[0]


def test_serve_says_its_address_through_on_ready_and_prints_nothing(model, tmp_path, capsys):
    from barenet.web import serve

    class Ready(Exception):
        pass

    said = []

    def ready(url, served):
        said.append((url, served))
        raise Ready  # instead of serving

    path = tmp_path / "model.safetensors"
    model.save(path)
    with pytest.raises(Ready):
        serve(str(path), port=0, on_ready=ready)  # 0: a port the system chooses
    url, served = said[0]
    assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*/", url), url
    assert served.layers[1].size == model.layers[1].size
    assert capsys.readouterr().out == ""


def test_listen_refuses_a_port_out_of_range():
    from barenet.web import listen

    for bad in (-1, 65536, True, "80"):
        with pytest.raises(ValueError, match=r"port must be a whole number in 0\.\.65535"):
            listen("127.0.0.1", bad)
    with listen("127.0.0.1", 0) as sock:  # 0: the system picks a free port
        assert sock.getsockname()[1] > 0


def test_a_model_whose_output_overflows_answers_422_not_500():
    """Finite weights can still overflow float32 on the way (3e38 * 1 + 3e38 ... = inf, then
    softmax(inf - inf) = NaN): no prediction, a 422 that says why, never a 500 or a NaN."""
    model = DeepNeuralNetwork([Layer(784), Layer(16, "relu"), Layer(10, "softmax")], seed=0)
    model.params["W1"][:] = 3e38
    model.params["W2"][:] = 3e38
    pixels = [0.0] * 784
    pixels[100] = 1.0
    with TestClient(create_app(model), base_url=BASE, raise_server_exceptions=False) as c:
        response = c.post("/api/predict", json={"pixels": pixels})
    assert_error(response, 422, r"output for this input is not finite")
