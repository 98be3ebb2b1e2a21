"""Fuzzing the lab's JSON API: whatever the request, the answer is 2xx or a 4xx JSON error.

Every endpoint is asked: POST /api/runs with bodies of any shape (JSON values, run settings
with values of every type, raw bytes), each request to a live run (step, train, pause, reset,
PATCH, the views, the event stream) with such bodies, hostile query strings for the boundary
and the trace, and run ids that do not exist. Never a 500, never a Python object repr or a
message over 500 characters. The session's hypothesis profile (tests/conftest.py) sets the
number of examples: a few seconds in all, many more with BARENET_FUZZ=long. Requests that
once answered 500 are kept as examples.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

pytest.importorskip("hypothesis")
pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # what Starlette's TestClient drives

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from barenet.web import lab as lab_module
from barenet.web.lab import config as labconfig
from barenet.web.lab import create_lab_app

# NOTE: no max_examples here: the session's profile decides, as for tests/test_fuzz_readers.py
FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
ERRORS = {400, 404, 405, 409, 413, 429}
SMALL = {"dataset": "xor", "layers": "2,4:tanh,2:softmax", "n": 16, "batch_size": 4}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The lab, without MNIST (a 409 at once), with steps cut short (a fuzzed step of 5000
    updates would take a second), and one small run to send requests to."""
    empty = tmp_path_factory.mktemp("no-mnist")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("BARENET_DATA", "XDG_CACHE_HOME", "HOME"):
            patch.setenv(name, str(empty))
        patch.setattr(lab_module, "STEP_SECONDS", 0.01)
        labconfig.mnist_slice.cache_clear()
        app = create_lab_app()
        with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
            response = c.post("/api/runs", json=SMALL)
            assert response.status_code == 201, response.text
            c.run_id = response.json()["id"]  # type: ignore[attr-defined]
            yield c
        labconfig.mnist_slice.cache_clear()


def check(response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    if response.status_code < 400:
        return
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    message = response.json()["error"]
    assert isinstance(message, str) and 0 < len(message) <= 500
    assert " at 0x" not in message and "Traceback" not in message, message


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    # values a run takes, so that some bodies get past the first check
    | st.sampled_from([*labconfig.DATASETS, "adam", "SGD", "RMSprop", "lbfgs", "iris"])
    | st.sampled_from(["2,4:tanh,2:softmax", "2,3:softmax,", "1,4:tanh,1:identity", "2,\u00b2"])
    | st.integers(-2, 40)
    | st.floats(-1, 2)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def bodies(keys: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    """JSON objects with some of ``keys`` (and others), any JSON value, or any bytes."""
    objects = st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), json_values, max_size=6)
    return (
        objects.map(lambda d: json.dumps(d).encode())
        | json_values.map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=300)
    )


def delete_created(client, response) -> None:
    if response.status_code == 201:
        assert client.delete(f"/api/runs/{response.json()['id']}").status_code == 204


# run settings, each field often valid and sometimes anything, so that the checks after the
# first are reached too (layers against the data set, batch size against n, noise for MNIST)
VALID = {
    "dataset": st.sampled_from(["xor", "moons", "sine", "gaussians", "spiral", "mnist"]),
    "layers": st.sampled_from(
        ["2,4:tanh,2:softmax", "2,3,3:softmax", "1,4:tanh,1:identity", "2,4,1:sigmoid"]
    ),
    "optimizer": st.sampled_from(["adam", "SGD", "rmsprop", "AdamW"]),
    "learning_rate": st.floats(1e-4, 10.0),
    "batch_size": st.integers(1, 20),
    "seed": st.integers(0, 2**32 - 1),
    "n": st.integers(8, 40),
    "noise": st.floats(0.0, 5.0) | st.none(),
}
run_settings = st.fixed_dictionaries(
    {}, optional={key: valid | json_values for key, valid in VALID.items()}
).map(lambda d: json.dumps(d).encode())


@FUZZ
@given(run_settings | bodies(labconfig.FIELDS))
@example(b'{"optimizer": {}}')  # once a TypeError (unhashable) in the name check: 500
@example(b'{"optimizer": []}')
@example(b'{"layers": "2,1e3,2:softmax"}')  # once int()'s message
def test_any_run_body(client, body):
    response = client.post("/api/runs", content=body)
    event(f"POST /api/runs: {response.status_code}")
    check(response, {201} | ERRORS)
    delete_created(client, response)


REQUESTS = [
    ("POST", "step"),
    ("POST", "train"),
    ("POST", "pause"),
    ("POST", "reset"),
    ("PATCH", ""),
    ("GET", ""),
    ("GET", "data"),
    ("GET", "code"),
    ("GET", "boundary"),
    ("GET", "trace"),
    ("PUT", "step"),
    ("DELETE", "reset"),
]


@FUZZ
@given(st.sampled_from(REQUESTS), bodies(("updates", "speed", "learning_rate")))
def test_any_request_to_a_run(client, request, body):
    method, path = request
    url = f"/api/runs/{client.run_id}" + (f"/{path}" if path else "")
    response = client.request(method, url, content=body)
    event(f"{method} {path}: {response.status_code}")  # shown by --hypothesis-show-statistics
    check(response, {200} | ERRORS)
    if path == "train":
        client.post(f"/api/runs/{client.run_id}/pause")  # no training in the background


queries = st.one_of(
    # a value for each parameter, from any text
    st.fixed_dictionaries(
        {},
        optional={
            "size": st.text(max_size=12) | st.integers().map(str),
            "index": st.text(max_size=12) | st.integers().map(str),
            "split": st.text(max_size=8) | st.sampled_from(["train", "test"]),
        },
    ).map(lambda q: "&".join(f"{quote(k)}={quote(v)}" for k, v in q.items())),
    # any bytes, percent-encoded (not all of them UTF-8)
    st.binary(max_size=40).map(lambda b: "".join(f"%{x:02X}" for x in b)),
    # a few characters as they are
    st.text(alphabet="size=index&split;%20+\u00b2\u0663-.e9", max_size=20),
)


@FUZZ
@given(st.sampled_from(["boundary", "trace", "data", "code", ""]), queries)
@example("boundary", "size=%C2%B2")  # once a 500: '²'.isdigit() is True, int('²') raises
@example("trace", "index=%C2%B2")
def test_hostile_query_strings(client, path, query):
    url = f"/api/runs/{client.run_id}" + (f"/{path}" if path else "")
    check(client.get(f"{url}?{query}"), {200} | ERRORS)


@FUZZ
@given(
    st.text(min_size=1, max_size=30).filter(lambda key: key not in (".", "..")),
    st.sampled_from(["", "/step", "/train", "/reset", "/events", "/boundary", "/trace", "/code"]),
    st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
)
def test_unknown_run_ids(client, key, path, method):
    response = client.request(method, f"/api/runs/{quote(key, safe='')}{path}", content=b"{}")
    check(response, {404, 405})


def test_the_event_stream_of_a_run_opens_and_of_an_unknown_one_is_a_404(client):
    with client.stream("GET", f"/api/runs/{client.run_id}/events?size=%C2%B2") as stream:
        assert stream.status_code == 200
        assert next(stream.iter_lines()) == "retry: 2000"
    check(client.get("/api/runs/%00%FF/events"), {404})
