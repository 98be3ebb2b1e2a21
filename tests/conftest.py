"""Shared fixtures. The real MNIST is used only by tests marked ``mnist``; `make test` fetches it
into the cache first, and CI sets BARENET_REQUIRE_MNIST=1 so a missing data set fails there
instead of skipping.

For test_datasets.py and test_fetch.py: `isolated` (no real cache, mirrors or npm) and a local
HTTP server serving a tiny MNIST (`mirrors`, with its checksums in `sums`). The server speaks
plain http on 127.0.0.1, which barenet uses only with `fetch.ALLOW_HTTP_LOOPBACK_FOR_TESTS`:
`mirrors` sets it.

Hypothesis profiles for the fuzz tests (tests/test_fuzz_readers.py): "barenet" (the default: about
a hundred examples per reader, a few seconds each) and "barenet-long" (BARENET_FUZZ=long: many
thousands, for a fuzzing session).

For the browser tests (test_web_browser.py, test_html_export.py, test_lab_browser.py): `browser`,
headless Chromium, one per module, and `tab`, one page in it; `digits_model`, the 784-64-10
network they read digits with, trained once on the real MNIST; `confident_digits`, test digits
it reads with confidence, and the labels `barenet predict` gives them.

With BARENET_REQUIRE_IMPORTS=1 (CI sets it), a test that would skip because a package could not
be imported fails instead (tests/test_suite_guards.py)."""

import contextlib
import gzip
import http.server
import io
import os
import threading

import pytest

from _helpers import idx_bytes, sha256, tiny_mnist

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the fuzz tests skip themselves
    pass
else:
    _fuzz = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    settings.register_profile("barenet", max_examples=100, **_fuzz)
    settings.register_profile("barenet-long", max_examples=20_000, **_fuzz)
    settings.load_profile("barenet-long" if os.environ.get("BARENET_FUZZ") == "long" else "barenet")


@pytest.fixture(scope="session")
def mnist():
    """(X_train, y_train, X_test, y_test) of the real MNIST, from the cache or $BARENET_DATA."""
    from barenet.datasets import DataError, load_mnist

    try:
        return load_mnist(download=False)
    except DataError as err:
        if os.environ.get("BARENET_REQUIRE_MNIST") == "1":
            pytest.fail(f"MNIST is required (BARENET_REQUIRE_MNIST=1) but missing: {err}")
        pytest.skip(f"MNIST is not in the cache (run `make data`): {err}")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (tests/_browser.py), one per test module."""
    from _browser import launch

    with launch() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def _tab(browser):
    from _browser import Tab

    shared = Tab(browser)
    yield shared
    shared.context.close()


@pytest.fixture
def tab(_tab):
    """One page in `browser` for the module's tests, each of which opens its URL in it; blank
    after each test, so that nothing stays connected to a server that stops (a lab page's
    event stream would hold `barenet lab` up for 10 s)."""
    yield _tab
    _tab.page.goto("about:blank")


@pytest.fixture(scope="session")
def digits_model(mnist, tmp_path_factory):
    """A 784-64-10 network, 2 epochs of Adam on the real MNIST (~96% on the test set, seconds),
    and its model file."""
    from barenet import DeepNeuralNetwork, Layer

    X_train, y_train, _, _ = mnist
    model = DeepNeuralNetwork([Layer(784), Layer(64, "relu"), Layer(10, "softmax")], seed=0)
    model.fit(X_train, y_train, epochs=2, batch_size=64, optimizer="adam", verbose=0)
    path = tmp_path_factory.mktemp("digits-model") / "model.safetensors"
    model.save(path)
    return model, path


@pytest.fixture(scope="session")
def confident_digits(mnist, digits_model, tmp_path_factory):
    """Five MNIST test digits of different classes that `digits_model` reads with confidence over
    0.99, as (index in the test set, the digit as a PNG, the label `barenet predict` prints)."""
    from barenet import cli
    from barenet.images import preprocess, to_png

    _, _, X_test, _ = mnist
    model, model_path = digits_model
    chosen: dict[int, int] = {}  # label -> index in the test set
    for i, x in enumerate(X_test[:300]):
        proba = model.predict_proba(preprocess(x.reshape(28, 28))[None, :])[0]
        if proba.max() > 0.99 and int(proba.argmax()) not in chosen:
            chosen[int(proba.argmax())] = i
        if len(chosen) == 5:
            break
    assert len(chosen) == 5, f"only {len(chosen)} classes read with confidence: {chosen}"
    folder = tmp_path_factory.mktemp("digits")
    pngs = [folder / f"test-{i}.png" for i in chosen.values()]
    for i, png in zip(chosen.values(), pngs, strict=True):
        to_png(X_test[i], png)
    with contextlib.redirect_stdout(io.StringIO()) as out:  # in-process: 0.25 s less
        status = cli.main(["predict", str(model_path), *map(str, pngs)])
    assert status == 0, f"`barenet predict` exited with {status}:\n{out.getvalue()}"
    said = {}  # `barenet predict` prints "PATH: LABEL", then the probabilities, per image
    for line in out.getvalue().splitlines():
        name, sep, label = line.rpartition(": ")
        if sep and name in map(str, pngs):
            said[name] = int(label)
    assert len(said) == len(pngs), f"could not read the labels from:\n{out.getvalue()}"
    return [(i, png, said[str(png)]) for i, png in zip(chosen.values(), pngs, strict=True)]


@pytest.fixture
def isolated(request, monkeypatch, tmp_path):
    """No test sees the real cache, $BARENET_DATA, the real mirrors or a real npm."""
    if request.node.get_closest_marker("mnist"):
        return
    from barenet import fetch

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BARENET_DATA", raising=False)
    monkeypatch.setattr(fetch, "MIRRORS", ())
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.log.append(self.path)  # type: ignore[attr-defined]
        location = self.server.redirects.get(self.path)  # type: ignore[attr-defined]
        if location is not None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.server.files.get(self.path)  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # a path in `short` gets half its body, then the connection closes (HTTP/1.0)
        self.wfile.write(body[: len(body) // 2] if self.path in self.server.short else body)  # type: ignore[attr-defined]

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    """A local HTTP server: `server.files` maps a path to its body, `server.redirects` a path to
    the Location it redirects to, `server.short` lists paths whose body is cut short, and
    `server.log` lists requests."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.files, srv.redirects, srv.short, srv.log = {}, {}, set(), []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def tiny_raw() -> dict[str, bytes]:
    return {name: idx_bytes(arr) for name, arr in tiny_mnist(n_train=40).items()}


@pytest.fixture
def sums(tiny_raw) -> dict[str, str]:
    out = {name: sha256(raw) for name, raw in tiny_raw.items()}
    return out | {f"{n}.gz": sha256(gzip.compress(raw, mtime=0)) for n, raw in tiny_raw.items()}


@pytest.fixture
def mirrors(server, tiny_raw, monkeypatch) -> dict[str, str]:
    """Base URLs: 'good' serves `tiny_raw` gzipped, 'bad' wrong bytes, 'missing' 404s,
    'refused' is a port nothing listens on. Plain http on 127.0.0.1 is allowed meanwhile."""
    from barenet import fetch

    monkeypatch.setattr(fetch, "ALLOW_HTTP_LOOPBACK_FOR_TESTS", True)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.files.clear()
    server.redirects.clear()
    server.short.clear()
    server.log.clear()
    for name, raw in tiny_raw.items():
        server.files[f"/good/{name}.gz"] = gzip.compress(raw, mtime=0)
        server.files[f"/bad/{name}.gz"] = b"these are not the bytes you are looking for"
    return {k: f"{base}/{k}/" for k in ("good", "bad", "missing")} | {
        "refused": "http://127.0.0.1:1/"
    }


def _import_skip(report) -> str | None:
    """With BARENET_REQUIRE_IMPORTS=1 (CI sets it), the message of a skip that came from a
    package that could not be imported (`pytest.importorskip`); otherwise None."""
    if not report.skipped or os.environ.get("BARENET_REQUIRE_IMPORTS") != "1":
        return None
    longrepr = report.longrepr
    message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return message if "could not import" in message else None


def _fail_import_skip(report) -> None:
    message = _import_skip(report)
    if message is not None:
        report.outcome = "failed"
        report.longrepr = (
            f"BARENET_REQUIRE_IMPORTS=1: {message} (`make test` installs every package the "
            "tests import: a skip here means pyproject.toml's test extra lacks one)"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_import_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_import_skip(outcome.get_result())
