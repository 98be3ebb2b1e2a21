"""The draw-a-digit page: a small web server around one trained model.

``barenet serve MODEL`` calls ``serve(path)``: it loads the model once, then answers

- ``GET /`` the page (static HTML, JS and CSS from ``static/``; nothing from the internet),
- ``GET /api/model`` the architecture: layers (size, activation, parameters), dtype, training
  (as recorded, and as the (name, text) rows that ``barenet info`` prints),
- ``POST /api/predict`` with ``{"pixels": [784 numbers in 0..1]}`` (an MNIST row, used as it is)
  or ``{"image": "<base64 PNG, data-URL prefix allowed>"}`` (prepared by ``images.read_digit``,
  the same code as ``barenet predict``) -> ``{"label", "probabilities", "input", "hidden",
  "too_small"}``; ``too_small`` is why the ink is too small or too sparse to be a digit (the
  page then asks for a bigger drawing), or null (see ``images.too_small``).

Limits, each answered with ``{"error": "..."}`` and a 4xx or 503 status (never 500, whatever
the body):

- a body over 1 MiB: 413 (by Content-Length, and while streaming a chunked body);
- JSON: UTF-8 only, nested at most ``MAX_JSON_DEPTH`` deep, numbers of at most
  ``MAX_NUMBER_CHARS`` characters, no duplicate keys, no NaN/Infinity: else 400;
- an image over ``MAX_IMAGE_SIDE`` pixels on a side or ``MAX_IMAGE_PIXELS`` in all: 413, read
  from its header before anything is decoded; anything else malformed: 400;
- at most ``DECODE_SLOTS`` images are decoded at once and ``DECODE_QUEUE`` more wait for a
  slot (up to ``DECODE_WAIT`` seconds); beyond that, or after the wait, 503 with Retry-After.
  A ``pixels`` request needs no decode and is answered while images wait;
- at most ``MAX_PENDING`` prediction requests at once (their bodies are in memory): beyond,
  503 with Retry-After at once, before the body is read.

The model is fixed at start-up; bound to loopback, requests naming a non-local Host are refused
(DNS-rebinding protection). Error messages never show Python object reprs.

Starlette and uvicorn are the optional extra ``barenet[web]``, imported only here.
Left out: TLS, authentication, more than one model, batching requests.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import json
import math
import re
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from ..images import Digit
    from ..network import DeepNeuralNetwork

__all__ = ["MAX_BODY", "create_app", "listen", "serve"]

T = TypeVar("T")

MAX_BODY = 2**20  # 1 MiB: a 280x280 canvas PNG is a few kilobytes
# NOTE: a small PNG can claim a huge canvas; both are read from its header, before decoding.
# Preparing an image takes about 40 bytes per pixel at its peak (float32 RGBA copies).
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 2**22  # 4.2 megapixels (2048x2048): about 170 MiB to prepare
DECODE_SLOTS = 2  # images prepared at once...
DECODE_QUEUE = 8  # ...and waiting for a slot; more get 503 at once
DECODE_WAIT = 10.0  # seconds a request waits for a slot before it gets 503
MAX_PENDING = 32  # prediction requests in progress at once; more get 503 before their body
RETRY_AFTER = 1  # seconds, in the Retry-After header of a 503
MAX_JSON_DEPTH = 16  # a request body is 2 deep: {"pixels": [...]}
MAX_NUMBER_CHARS = 40  # a double needs at most 24 characters in JSON
MAX_MESSAGE = 500  # characters of an error message
SIDE = 28
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
LOOPBACK_BINDS = frozenset({"localhost", "127.0.0.1", "::1"})
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
_HEADERS = {
    # NOTE: no default-src 'self' policy: it would block the eval that browser-test tools
    # (Playwright's wait_for_function) run in the page; the tests check no asset is external
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class BadRequest(ValueError):
    """A request the API refuses; ``status`` is the HTTP status to answer with, and
    ``retry_after`` (seconds) when trying again later may work (503)."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Slots:
    """At most ``running`` holders at once; up to ``waiting`` more wait for a slot (``wait``
    seconds at most); anyone beyond gets BadRequest 503 with Retry-After.

    Thread-safe: requests take slots in the threads that run their work.
    """

    def __init__(self, running: int, waiting: int, wait: float, what: str) -> None:
        self._free = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._waiting = 0
        self._pool: ThreadPoolExecutor | None = None
        self.running, self.waiting, self.wait, self.what = running, waiting, wait, what

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            with self._lock:
                queued = self._waiting < self.waiting
                self._waiting += queued
            if not queued or not self._acquire_waiting():
                raise BadRequest(
                    f"the server is busy with {self.running} {self.what}; try again shortly",
                    503,
                    retry_after=RETRY_AFTER,
                )
        try:
            yield
        finally:
            self._free.release()

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a slot, on one of ``running`` threads of the slots' own.

        NOTE: glibc's malloc keeps memory that a thread freed in that thread's arena; run on the
        server's dozens of worker threads, two decodes of 2048x2048 at a time peaked at 900 MiB
        of resident memory, on two threads of their own at about 400 MiB.
        """
        with self.slot():
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.running, thread_name_prefix=self.what)
            return self._pool.submit(fn, *args).result()

    def _acquire_waiting(self) -> bool:
        try:
            return self._free.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1


def _require_starlette() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the web page needs Starlette and uvicorn, which are not installed ({exc}); "
            "install them with: pip install 'barenet[web]'"
        ) from exc


# ----------------------------------------------------------------------------------- the model


def describe(model: DeepNeuralNetwork) -> dict[str, Any]:
    """The JSON-able architecture that GET /api/model returns."""
    from ..reports import training_rows

    layers: list[dict[str, Any]] = [
        {"index": 0, "kind": "input", "size": model.layers[0].size, "parameters": 0}
    ]
    for l, layer in enumerate(model.layers[1:], start=1):
        layers.append(
            {
                "index": l,
                "kind": "output" if l == model.n_layers else "hidden",
                "size": layer.size,
                "activation": layer.activation_function.name,
                "dropout": layer.dropout,
                "parameters": int(model.params[f"W{l}"].size + model.params[f"b{l}"].size),
            }
        )
    return {
        "layers": layers,
        "parameters": int(sum(p.size for p in model.params.values())),
        "dtype": model.dtype.name,
        "loss": model.loss_function.name,
        "task": model.task,
        "training": _jsonable(model.training_summary or {}),
        "training_rows": training_rows(model.training_summary or {}),  # as `barenet info` says it
        "summary": model.summary(),
    }


def _jsonable(value: Any) -> Any:
    """``value`` with NaN/inf as None and unknown objects as strings (strict JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, str, int)) or value is None:
        return value
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return str(value)


def predict(
    model: DeepNeuralNetwork, x: np.ndarray, too_small: str | None = None
) -> dict[str, Any]:
    """Label, probabilities, the input and each hidden layer's activations for one MNIST row,
    and ``too_small``: why it is no digit to read (from ``images.read_digit``), or None.

    Shapes: x (784,) -> label int, probabilities (k,), input (784,), hidden [(h_l,) per layer]
    """
    a, cache = model._forward(np.ascontiguousarray(x[None, :], dtype=model.dtype))
    probabilities = a[0]
    return {
        "label": int(np.argmax(probabilities)),
        "probabilities": [float(p) for p in probabilities],
        "input": np.round(x.astype(np.float64), 4).tolist(),
        "hidden": [np.round(step.a[0].astype(np.float64), 4).tolist() for step in cache[:-1]],
        "too_small": too_small,
    }


# -------------------------------------------------------------------------------- the requests


def _reject_constant(name: str) -> float:
    raise BadRequest(f"{name} is not a number allowed in JSON; send finite numbers in [0, 1]")


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadRequest(
            f"the body holds a number of {len(text)} characters ({text[:20]}...); "
            f"at most {MAX_NUMBER_CHARS} are read"
        )
    return text


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key that appears twice (json.loads keeps the last one)."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise BadRequest(f"the body repeats the key {json.dumps(key)[:60]}; send each once")
        obj[key] = value
    return obj


def _nesting(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest: brackets counted outside strings.

    Linear time, vectorized (a regular expression for strings backtracks quadratically on
    bodies like '"\\"\\"...'). A quote delimits a string unless an odd run of backslashes
    precedes it; in the valid prefix that a parser reads, that is exact.
    """
    b = np.frombuffer(body, dtype=np.uint8)
    quote = b == ord('"')
    backslash = b == ord("\\")
    if backslash.any():  # NOTE: base64 and numbers have none; escapes are rare
        i = np.arange(len(b))
        last_other = np.maximum.accumulate(np.where(backslash, -1, i))
        run = np.concatenate([[0], i[:-1] - last_other[:-1]])  # backslashes just before
        quote &= run % 2 == 0
    outside = np.cumsum(quote) % 2 == 0
    opens = outside & ((b == ord("[")) | (b == ord("{")))
    closes = outside & ((b == ord("]")) | (b == ord("}")))
    return int(np.cumsum(opens.astype(np.int64) - closes).max(initial=0))


def loads(body: bytes) -> Any:
    """The JSON value of a request body, within limits, or BadRequest (400) saying why not.

    UTF-8 only; nested at most MAX_JSON_DEPTH deep (checked before parsing, so deep nesting
    never reaches the recursive parser); numbers of at most MAX_NUMBER_CHARS characters (a
    6,000-digit integer is refused, not parsed); no duplicate keys; no NaN or Infinity.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(
            f"the body is not valid JSON: byte {err.start} is not UTF-8 ({err.reason})"
        ) from None
    depth = _nesting(body)
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(f"the body nests {depth} levels deep; at most {MAX_JSON_DEPTH} are read")
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=lambda t: int(_number(t)),
            parse_float=lambda t: float(_number(t)),
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as err:
        raise BadRequest(f"the body is not valid JSON ({err})") from None


def parse_body(body: bytes, decodes: Slots | None = None) -> Digit:
    """The MNIST row a request body asks about: its ``pixels`` as sent, or its ``image`` prepared
    (in one of the ``decodes`` slots, when given), with ``images.too_small``'s verdict on it.

    Raises BadRequest (400, 413 or 503) saying what is wrong.
    Shapes: -> Digit(x (784,) float32 in [0, 1], reason or None)
    """
    from ..images import Digit, too_small

    data = loads(body)
    if not isinstance(data, dict):
        raise BadRequest(
            'expected a JSON object {"pixels": [784 numbers]} or {"image": "<base64 PNG>"}, '
            f"got a JSON {type(data).__name__}"
        )
    keys = sorted(data)
    if keys == ["pixels"]:
        x = _parse_pixels(data["pixels"])
        return Digit(x, too_small(x))
    if keys == ["image"]:
        return _parse_image(data["image"], decodes)
    shown = json.dumps(keys[:5])[:200] + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    raise BadRequest(f'expected exactly one key, "pixels" or "image"; got keys {shown}')


def _parse_pixels(pixels: Any) -> np.ndarray:
    n = SIDE * SIDE
    if not isinstance(pixels, list):
        raise BadRequest(f'"pixels" must be a list of {n} numbers, got {type(pixels).__name__}')
    if len(pixels) != n:
        raise BadRequest(f'"pixels" must hold {n} numbers (28x28), got {len(pixels)}')
    for i, p in enumerate(pixels):
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise BadRequest(f'"pixels"[{i}] must be a number, got {json.dumps(p)[:40]}')
    x = np.array(pixels, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(x) | (x < 0) | (x > 1))
    if bad.size:
        i = int(bad[0])
        raise BadRequest(f'"pixels"[{i}] is {pixels[i]}; every pixel must be in [0, 1]')
    if x.max() - x.min() < 0.1:
        raise BadRequest('"pixels" is blank: no digit to read')
    return x.astype(np.float32)


def _parse_image(image: Any, decodes: Slots | None = None) -> Digit:
    from PIL import Image

    from ..images import read_digit

    if not isinstance(image, str):
        raise BadRequest(f'"image" must be a base64 PNG string, got {type(image).__name__}')
    if image.startswith("data:"):
        header, sep, image = image.partition(",")
        if not sep or not header.endswith(";base64"):
            raise BadRequest('"image" is a data URL without ";base64,"; send a base64 PNG')
    try:
        data = base64.b64decode(image, validate=True)
    except (binascii.Error, ValueError) as err:
        raise BadRequest(f'"image" is not valid base64 ({err})') from None
    if not data:
        raise BadRequest('"image" is empty; send a base64 PNG of the drawing')
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            width, height = img.size
    except Image.UnidentifiedImageError:
        raise BadRequest(
            '"image" is not a readable image (an unknown format); send a PNG'
        ) from None
    except Exception as err:  # NOTE: Pillow raises many types for a bad header
        raise BadRequest(f'"image" is not a readable image ({err}); send a PNG') from None
    if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        side = math.isqrt(MAX_IMAGE_PIXELS)
        raise BadRequest(
            f'"image" is {width}x{height} pixels; at most {MAX_IMAGE_SIDE} on a side and '
            f"{MAX_IMAGE_PIXELS} in all are read ({side}x{side}); send it smaller",
            413,
        )
    try:
        return read_digit(data) if decodes is None else decodes.run(read_digit, data)
    except (BadRequest, MemoryError):
        raise
    except Exception as err:  # NOTE: ImageError, or whatever Pillow raises on corrupt data
        raise BadRequest(f'"image" could not be read: {err}') from None


async def _read_body(request: Request) -> bytes:
    """The request body, refusing more than MAX_BODY bytes whether or not Content-Length says so."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(f"bad Content-Length {declared[:40]!r}")
        if int(declared) > MAX_BODY:
            raise BadRequest(f"the body is {declared} bytes; at most {MAX_BODY} are read", 413)
    body = bytearray()
    async for chunk in request.stream():  # NOTE: a chunked body has no Content-Length to check
        body += chunk
        if len(body) > MAX_BODY:
            raise BadRequest(f"the body is over {MAX_BODY} bytes; at most {MAX_BODY} are read", 413)
    return bytes(body)


_REPR = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>")  # e.g. <_io.BytesIO object at 0x7f3a...>


def clean_message(message: str) -> str:
    """An error message fit for a client: no Python object reprs, at most MAX_MESSAGE long."""
    message = _REPR.sub("the data", " ".join(message.split()))
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _error(message: str, status: int, retry_after: int | None = None) -> Response:
    from starlette.responses import JSONResponse

    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"error": clean_message(message)}, status_code=status, headers=headers)


class LocalHostOnly:
    """ASGI middleware: refuse requests whose Host header is not this machine's own name.

    A page on another site can make a browser send requests to 127.0.0.1 under a hostname that
    the attacker re-points there (DNS rebinding); its Host header still names the attacker's host.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not is_local_host(host):
                response = _error(
                    f"Host {host[:80]!r} refused: this server answers only to "
                    "localhost, 127.0.0.1 or [::1]",
                    421,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def is_local_host(host: str) -> bool:
    """Whether a Host header names the loopback: localhost, 127.0.0.1 or [::1], any port."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name, port = name + "]", rest.removeprefix(":")
        if rest and not rest.startswith(":"):
            return False
    else:
        name, _, port = host.partition(":")
    return name in LOCAL_HOSTS and (port == "" or port.isdigit())


# ------------------------------------------------------------------------------------- the app


def create_app(model: DeepNeuralNetwork, *, local_only: bool = True) -> Starlette:
    """The Starlette app serving the page and the API for ``model``, fixed for its lifetime.

    ``local_only`` refuses requests whose Host header is not localhost/127.0.0.1/[::1]; turn it
    off only when serving on another interface on purpose.
    """
    _require_starlette()
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    if model.layers[0].size != SIDE * SIDE:
        raise ValueError(
            f"the draw-a-digit page needs a model reading 28x28 = 784 pixels; this one reads "
            f"{model.layers[0].size} features"
        )
    info = describe(model)
    files = resources.files(__package__).joinpath("static")
    pages = {
        route: (files.joinpath(name).read_bytes(), kind) for route, (name, kind) in _STATIC.items()
    }

    async def page(request: Request) -> Response:
        content, kind = pages[request.url.path]
        return Response(content, media_type=kind, headers=_HEADERS)

    async def model_info(request: Request) -> Response:
        return JSONResponse(info)

    decodes = Slots(DECODE_SLOTS, DECODE_QUEUE, DECODE_WAIT, "images")
    pending = Slots(MAX_PENDING, 0, 0.0, "requests")

    async def predict_endpoint(request: Request) -> Response:
        try:
            with pending.slot():
                body = await _read_body(request)
                result = await run_in_threadpool(lambda: predict(model, *parse_body(body, decodes)))
        except BadRequest as err:
            return _error(str(err), err.status, err.retry_after)
        return JSONResponse(result)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return _error(str(getattr(exc, "detail", "error")), status)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(f"internal error ({type(exc).__name__}); the server keeps running", 500)

    routes = [Route(path, page) for path in _STATIC]
    routes += [
        Route("/api/model", model_info),
        Route("/api/predict", predict_endpoint, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(LocalHostOnly)] if local_only else [],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or an OSError in one line saying why not (port in use)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be a whole number in 0..65535; received {port!r}")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise OSError(
                f"port {port} on {host} is already in use (by another server?); "
                f"choose another with --port, e.g. --port {port + 1 if port < 65535 else 8000}"
            ) from None
        raise OSError(f"cannot listen on {host} port {port}: {err.strerror or err}") from None
    except UnicodeError as err:  # NOTE: a host name that IDNA cannot encode
        sock.close()
        raise OSError(f"cannot listen on {host!r}: {err}") from None
    return sock


def serve(model_path: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Load the model at ``model_path`` once and serve the page on http://host:port/ until ^C.

    Bound to loopback (the default), only requests naming localhost/127.0.0.1/[::1] are answered.
    The port is bound before anything is printed: a port in use is an OSError saying so.
    """
    _require_starlette()
    import uvicorn

    from ..saving import load

    model = load(model_path)
    app = create_app(model, local_only=host in LOOPBACK_BINDS)
    sock = listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    port = sock.getsockname()[1]  # the one the system chose, for port 0
    print(f"serving {model_path} ({model}) on http://{shown}:{port}/ - press Ctrl+C to stop")
    config = uvicorn.Config(app, log_level="warning", server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
