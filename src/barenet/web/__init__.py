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
- JSON: UTF-8 only, nested at most ``MAX_JSON_DEPTH`` deep, numbers of at most 40
  characters, no duplicate keys, no NaN/Infinity (``_json.loads_strict``): else 400;
- an image over ``MAX_IMAGE_SIDE`` pixels on a side or ``MAX_IMAGE_PIXELS`` in all: 413, read
  from its header before anything is decoded; anything else malformed: 400;
- at most ``DECODE_SLOTS`` images are decoded at once and ``DECODE_QUEUE`` more wait for a
  slot (up to ``DECODE_WAIT`` seconds); beyond that, or after the wait, 503 with Retry-After.
  A ``pixels`` request needs no decode and is answered while images wait;
- at most ``MAX_PENDING`` prediction requests at once (their bodies are in memory): beyond,
  503 with Retry-After at once, before the body is read.

The model is fixed at start-up; bound to loopback, requests naming a non-local Host are refused
(DNS-rebinding protection). Error messages never show Python object reprs.

The package, one concept a module (this one is the public API and ``serve``):

    requests.py   reading a request: the body, strict JSON, pixels and images; BadRequest
    app.py        create_app: the routes, describe and predict, the decode and request slots
    http.py       what the page and the lab share: make_app (static pages, JSON errors), the
                  Host check, headers, jsonable, listen and run_server
    lab/          ``barenet lab``, a second app built from the same pieces

The limits are constants of the module that reads them (``requests`` for the body, JSON and
images; ``app`` for the slots); the names here are copies, for reading.

Starlette and uvicorn are the optional extra ``barenet[web]``, imported only in this package.
Left out: TLS, authentication, more than one model, batching requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

# NOTE: every name barenet.web held before it was split stays importable from here (the lab
# and the tests import them); setting a limit here has no effect: set it on its module
from .app import (  # noqa: F401
    DECODE_QUEUE,
    DECODE_SLOTS,
    DECODE_WAIT,
    MAX_PENDING,
    RETRY_AFTER,
    Slots,
    create_app,
    describe,
    predict,
)
from .http import (  # noqa: F401
    _HEADERS,
    LOCAL_HOSTS,
    LOOPBACK_BINDS,
    LocalHostOnly,
    _error,
    _require_starlette,
    is_local_host,
    listen,
    run_server,
)
from .requests import (  # noqa: F401
    MAX_BODY,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_JSON_DEPTH,
    MAX_MESSAGE,
    SIDE,
    BadRequest,
    _read_body,
    clean_message,
    loads,
    parse_body,
)

if TYPE_CHECKING:
    from ..network import DeepNeuralNetwork

__all__ = ["MAX_BODY", "create_app", "listen", "serve"]


def serve(
    model_path: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str, DeepNeuralNetwork], object] | None = None,
) -> None:
    """Load the model at ``model_path`` once and serve the page on http://host:port/ until ^C.

    Bound to loopback (the default), only requests naming localhost/127.0.0.1/[::1] are answered.
    Once the model is loaded and the port bound (a port in use is an OSError saying so in one
    line), ``on_ready(url, model)`` is called, before the first request is answered:
    ``barenet serve`` prints the address there; the library prints nothing.
    """
    _require_starlette()
    from ..saving import load

    model = load(model_path)
    app = create_app(model, local_only=host in LOOPBACK_BINDS)
    sock = listen(host, port)
    run_server(app, sock, None if on_ready is None else lambda url: on_ready(url, model))
