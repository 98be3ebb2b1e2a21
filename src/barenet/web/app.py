"""The draw-a-digit app: ``create_app(model)``, the Starlette app of ``barenet serve``.

It answers ``GET /`` (the page in ``static/``), ``GET /api/model`` (``describe``) and
``POST /api/predict`` (``predict`` on what ``requests.parse_body`` read), and keeps the server
answering under load: at most ``DECODE_SLOTS`` images are decoded at once and ``DECODE_QUEUE``
more wait for a slot (up to ``DECODE_WAIT`` seconds), at most ``MAX_PENDING`` prediction requests
are in progress at once; beyond, 503 with Retry-After (``Slots``). These limits are read when
``create_app`` runs: to change one, set it on this module first. Left out: reading the request
(``requests``), the server and its port (``barenet.web.serve``, ``http``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .http import _require_starlette, jsonable, make_app
from .requests import SIDE, BadRequest, _read_body, parse_body

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from ..network import DeepNeuralNetwork

T = TypeVar("T")

DECODE_SLOTS = 2  # images prepared at once...
DECODE_QUEUE = 8  # ...and waiting for a slot; more get 503 at once
DECODE_WAIT = 10.0  # seconds a request waits for a slot before it gets 503
MAX_PENDING = 32  # prediction requests in progress at once; more get 503 before their body
RETRY_AFTER = 1  # seconds, in the Retry-After header of a 503
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


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
        "training": jsonable(model.training_summary or {}),
        "training_rows": training_rows(model.training_summary or {}),  # as `barenet info` says it
        "summary": model.summary(),
    }


def predict(
    model: DeepNeuralNetwork, x: np.ndarray, too_small: str | None = None
) -> dict[str, Any]:
    """Label, probabilities, the input and each hidden layer's activations for one MNIST row,
    and ``too_small``: why it is no digit to read (from ``images.read_digit``), or None.

    Shapes: x (784,) -> label int, probabilities (k,), input (784,), hidden [(h_l,) per layer]
    """
    with np.errstate(all="ignore"):  # NOTE: checked below: a model's weights may overflow
        a, cache = model._forward(np.ascontiguousarray(x[None, :], dtype=model.dtype))
    probabilities = a[0]
    if not all(np.isfinite(step.a).all() for step in cache[:-1]) or not np.isfinite(a).all():
        raise BadRequest(
            "the model's output for this input is not finite (its weights overflow "
            f"{np.dtype(model.dtype).name}): no prediction",
            422,
        )
    return {
        "label": int(np.argmax(probabilities)),
        "probabilities": [float(p) for p in probabilities],
        "input": np.round(x.astype(np.float64), 4).tolist(),
        "hidden": [np.round(step.a[0].astype(np.float64), 4).tolist() for step in cache[:-1]],
        "too_small": too_small,
    }


# ------------------------------------------------------------------------------------- the app


def create_app(model: DeepNeuralNetwork, *, local_only: bool = True) -> Starlette:
    """The Starlette app serving the page and the API for ``model``, fixed for its lifetime.

    ``local_only`` refuses requests whose Host header is not localhost/127.0.0.1/[::1]; turn it
    off only when serving on another interface on purpose.
    """
    _require_starlette()
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    if model.layers[0].size != SIDE * SIDE:
        raise ValueError(
            f"the draw-a-digit page needs a model reading 28x28 = 784 pixels; this one reads "
            f"{model.layers[0].size} features"
        )
    info = describe(model)

    async def model_info(request: Request) -> Response:
        return JSONResponse(info)

    decodes = Slots(DECODE_SLOTS, DECODE_QUEUE, DECODE_WAIT, "images")
    pending = Slots(MAX_PENDING, 0, 0.0, "requests")

    async def predict_endpoint(request: Request) -> Response:
        with pending.slot():  # NOTE: a BadRequest becomes its JSON error in make_app
            body = await _read_body(request)
            result = await run_in_threadpool(lambda: predict(model, *parse_body(body, decodes)))
        return JSONResponse(result)

    routes = [
        Route("/api/model", model_info),
        Route("/api/predict", predict_endpoint, methods=["POST"]),
    ]
    static = resources.files(__package__).joinpath("static")
    return make_app(routes, static, _STATIC, local_only=local_only)
