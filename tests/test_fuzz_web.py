"""Fuzzing POST /api/predict: whatever the body, the answer is 200 or a 4xx/503 JSON error.

Bodies are raw bytes, JSON values of any shape, and mutations (flipped, inserted, deleted
bytes) of valid requests: a pixels list and a canvas PNG, so the PNG decoder sees damaged
images too. Never a 500, never a Python object repr or a message over 500 characters.
The number of examples is the session's hypothesis profile (tests/conftest.py: about a
hundred, or 20,000 with BARENET_FUZZ=long). Bodies that once broke the server are kept as
examples.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # what Starlette's TestClient drives
pytest.importorskip("PIL")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from barenet import DeepNeuralNetwork, Layer  # noqa: E402
from barenet.web import create_app  # noqa: E402

# NOTE: the profile's settings, and one more health check: PNG bodies are large examples
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ALLOWED = {200, 400, 413, 503}


def canvas_png() -> bytes:
    """A small black-on-white drawing, as the page's canvas sends it (smaller, to fuzz fast)."""
    from PIL import Image

    a = np.full((56, 56), 255, dtype=np.uint8)
    a[10:46, 24:32] = 0  # a "1"
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


PNG = canvas_png()
PIXELS = np.zeros((28, 28))
PIXELS[6:22, 12:16] = 1.0
VALID = [
    json.dumps({"pixels": PIXELS.reshape(-1).round(3).tolist()}).encode(),
    json.dumps({"image": "data:image/png;base64," + base64.b64encode(PNG).decode()}).encode(),
]


@pytest.fixture(scope="module")
def client():
    net = DeepNeuralNetwork([Layer(784), Layer(8, "relu"), Layer(10, "softmax")], seed=0)
    with TestClient(create_app(net), base_url="http://localhost") as c:
        yield c


def check(client, body: bytes) -> None:
    response = client.post("/api/predict", content=body)
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    if response.status_code == 200:
        assert set(answer) == {"label", "probabilities", "input", "hidden", "too_small"}
        return
    message = answer["error"]
    assert isinstance(message, str) and 0 < len(message) <= 500
    assert " at 0x" not in message and "Traceback" not in message, message


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["pixels", "image", "data:image/png;base64,"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(["pixels", "image", "x"]) | st.text(max_size=5), inner)
    ),
    max_leaves=30,
)


@st.composite
def mutated(draw, valid: bytes) -> bytes:
    """valid with a few bytes flipped, inserted or deleted, or cut short."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and where < len(data):
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 8))]
        else:
            del data[where:]
    return bytes(data)


@st.composite
def damaged_png_body(draw) -> bytes:
    """A well-formed JSON body around a damaged PNG: the decoder's turn."""
    png = draw(mutated(PNG))
    prefix = draw(st.sampled_from(["", "data:image/png;base64,"]))
    return json.dumps({"image": prefix + base64.b64encode(png).decode()}).encode()


@FUZZ
@given(st.binary(max_size=2048))
@example(b"[" * 100_000)  # once a RecursionError: 500
@example(b'{"pixels": [' + b"7" * 6000 + b"]}")  # once Python's int-limit ValueError: 500
@example(b'"\\"' * 10_000)  # quadratic for a regular expression that finds strings
@example(b'{"image": "R0lGODlhYnV0IG5vdCByZWFsbHk="}')  # Pillow's message held a BytesIO repr
@example(b"\xef\xbb\xbf{}")
def test_any_bytes(client, body):
    check(client, body)


@FUZZ
@given(json_values)
def test_any_json_value(client, value):
    check(client, json.dumps(value).encode())


@FUZZ
@given(st.one_of(mutated(VALID[0]), mutated(VALID[1]), damaged_png_body()))
def test_mutations_of_valid_requests(client, body):
    check(client, body)


def test_the_valid_requests_are_answered(client):
    for body in VALID:
        assert client.post("/api/predict", content=body).status_code == 200
