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

Hardening: a body over 1 MiB is refused with 413 (by Content-Length and while streaming it);
anything malformed gets 400 and ``{"error": "..."}``; the model is fixed at start-up; bound to
loopback, requests naming a non-local Host are refused (DNS-rebinding protection).

Starlette and uvicorn are the optional extra ``barenet[web]``, imported only here.
Left out: TLS, authentication, more than one model, batching requests.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from ..images import Digit
    from ..network import DeepNeuralNetwork

__all__ = ["MAX_BODY", "create_app", "serve"]

MAX_BODY = 2**20  # 1 MiB: a 280x280 canvas PNG is a few kilobytes
MAX_IMAGE_SIDE = 4096  # NOTE: a small PNG can claim a huge canvas; refuse it before decoding
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
    """A request the API refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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


def parse_body(body: bytes) -> Digit:
    """The MNIST row a request body asks about: its ``pixels`` as sent, or its ``image`` prepared,
    with ``images.too_small``'s verdict on it.

    Raises BadRequest (400) saying what is wrong. Shapes: -> Digit(x (784,) float32 in [0, 1], str)
    """
    from ..images import Digit, too_small

    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadRequest(f"the body is not valid JSON ({err})") from None
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
        return _parse_image(data["image"])
    raise BadRequest(f'expected exactly one key, "pixels" or "image"; got keys {keys}')


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


def _parse_image(image: Any) -> Digit:
    from PIL import Image

    from ..images import ImageError, read_digit

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
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception as err:  # NOTE: Pillow raises many types for a bad header
        raise BadRequest(f'"image" is not a readable image ({err}); send a PNG') from None
    if max(width, height) > MAX_IMAGE_SIDE:
        raise BadRequest(
            f'"image" is {width}x{height} pixels; at most {MAX_IMAGE_SIDE} on a side is read'
        )
    try:
        return read_digit(data)
    except ImageError as err:
        raise BadRequest(str(err)) from None


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


def _error(message: str, status: int) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


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

    async def predict_endpoint(request: Request) -> Response:
        try:
            body = await _read_body(request)
            result = await run_in_threadpool(lambda: predict(model, *parse_body(body)))
        except BadRequest as err:
            return _error(str(err), err.status)
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


def serve(model_path: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Load the model at ``model_path`` once and serve the page on http://host:port/ until ^C.

    Bound to loopback (the default), only requests naming localhost/127.0.0.1/[::1] are answered.
    """
    _require_starlette()
    import uvicorn

    from ..saving import load

    model = load(model_path)
    app = create_app(model, local_only=host in LOOPBACK_BINDS)
    shown = f"[{host}]" if ":" in host else host
    print(f"serving {model_path} ({model}) on http://{shown}:{port}/ - press Ctrl+C to stop")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
