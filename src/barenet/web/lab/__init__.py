"""The training lab: ``barenet lab`` serves a page where a learner watches a network learn.

The same server stack as ``barenet serve`` (Starlette, uvicorn, the loopback-only Host check,
the bounded body reader, ``{"error": ...}`` answers). The page is static (``static/lab/``);
everything it shows comes from this JSON API, documented in README:

    GET    /api/lab                data sets, optimizers, defaults, limits, is MNIST here
    POST   /api/runs               {"dataset", "layers", "optimizer", "learning_rate",
                                    "batch_size", "seed", "n", "noise"} -> 201 {"id", "state"}
    GET    /api/runs/{id}          the state {"step", "epoch", "loss", "accuracy", "status", ...}
    PATCH  /api/runs/{id}          {"learning_rate"} and/or {"speed"}, even while training
    DELETE /api/runs/{id}          forget it
    POST   /api/runs/{id}/step     {"updates": N} -> the state after N more updates (fewer
                                   when STEP_SECONDS pass first), and "updates": how many
    POST   /api/runs/{id}/train    {"speed": updates per second}: trains in the background
    POST   /api/runs/{id}/pause    stops that
    POST   /api/runs/{id}/reset    the initial weights and rng again
    GET    /api/runs/{id}/events   server-sent events: state, curves, boundary, units, gradients
    GET    /api/runs/{id}/boundary?size=S, /trace?index=i&split=train|test, /data, /code

Each run is a ``run.LabRun``, trained by ``TrainingRun.train_step``: the step ``fit`` uses.
Bounded: at most MAX_RUNS runs (runs.py) and MAX_STREAMS streams at once, the limits of config.py,
runs forgotten after IDLE_SECONDS without a request or a stream, background training paused
when nobody has looked for AUTO_PAUSE_SECONDS.
Left out: sharing runs between people, and keeping them across restarts.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..http import _HEADERS, LOOPBACK_BINDS, listen, make_app, run_server
from ..http import _require_starlette as require_starlette
from ..requests import BadRequest, _read_body, is_ascii_digits, loads
from . import views
from .config import (
    DATASETS,
    DEFAULT_LAYERS,
    DEFAULT_N,
    DEFAULT_NOISE,
    DEFAULTS,
    FIELDS,
    MAX_LAYERS,
    MAX_N,
    MAX_PARAMETERS,
    MAX_WIDTH,
    check_learning_rate,
    mnist_present,
    parse_config,
)
from .run import DEFAULT_SPEED, MAX_UPDATES, LabRun
from .runs import (
    IDLE_SECONDS,
    MAX_RUNS,
    Runs,
    finished,
    pause_training,
    set_controls,
    start_training,
)
from .script import script
from .trace import trace as trace_of
from .views import MAX_BOUNDARY

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

__all__ = ["create_lab_app", "serve_lab"]

MAX_STREAMS = 8
STEP_SECONDS = 1.0  # a step request trains at most this long (it holds the run's lock)
MAX_BODY = 4096  # a run's settings are a few hundred bytes
MAX_SPEED = 10_000  # updates per second
EVENT_SECONDS = 0.25  # the streams' tick: at most four events a second
STREAM_SECONDS = 600.0  # a stream ends after this; EventSource reconnects by itself
KEEPALIVE_SECONDS = 15.0
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/lab.js": ("lab.js", "text/javascript; charset=utf-8"),
    "/lab.css": ("lab.css", "text/css; charset=utf-8"),
}


# ------------------------------------------------------------------------------- the requests


async def _json_object(request: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body as a JSON object with keys among ``allowed``; an empty body is {}."""
    body = await _read_body(request, MAX_BODY)
    if not body.strip():
        return {}
    data = loads(body)  # the draw-a-digit API's strict JSON: depth, numbers, keys, no NaN
    if not isinstance(data, dict):
        raise BadRequest(f"expected a JSON object, got a JSON {type(data).__name__}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown keys {unknown}; expected keys among {list(allowed)}")
    return data


def _query_int(request: Request, name: str, default: int | None, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        if default is None:
            raise BadRequest(f"?{name}= is required: a whole number in {low}..{high}")
        return default
    if not is_ascii_digits(text) or len(text) > 9 or not low <= int(text) <= high:
        raise BadRequest(
            f"?{name}= must be a whole number in {low}..{high}; received {text[:20]!r}"
        )
    return int(text)


def _speed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SPEED:
        raise BadRequest(f'"speed" must be a whole number of updates per second in 1..{MAX_SPEED}')
    return value


def lab_info() -> dict[str, Any]:
    """GET /api/lab: what the page offers, and the limits."""
    from ... import optimizers

    return {
        "datasets": list(DATASETS),
        "mnist": mnist_present(),
        "optimizers": sorted(optimizers.OPTIMIZERS),
        "defaults": {**DEFAULTS, "speed": DEFAULT_SPEED},
        "layers": DEFAULT_LAYERS,
        "n": {name: DEFAULT_N.get(name, 300) for name in DATASETS},
        "noise": DEFAULT_NOISE,
        "limits": {
            "runs": MAX_RUNS,
            "n": MAX_N,
            "layers": MAX_LAYERS,
            "width": MAX_WIDTH,
            "parameters": MAX_PARAMETERS,
            "updates": MAX_UPDATES,
            "boundary": MAX_BOUNDARY,
            "speed": MAX_SPEED,
            "idle_seconds": IDLE_SECONDS,
        },
    }


# ------------------------------------------------------------------------------------- the app


def create_lab_app(
    *,
    local_only: bool = True,
    max_runs: int = MAX_RUNS,
    idle_seconds: float = IDLE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The Starlette app of the lab: the page and the JSON API.

    ``local_only`` refuses requests whose Host header is not localhost/127.0.0.1/[::1];
    ``clock`` (seconds) decides when runs are idle, for tests.
    """
    require_starlette()
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    runs = Runs(max_runs, idle_seconds, clock)

    async def get_info(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(lab_info))

    async def create(request: Request) -> Response:
        config = parse_config(await _json_object(request, FIELDS))
        runs.reserve()
        try:
            run = await run_in_threadpool(LabRun, config, clock)
        except BaseException:
            runs.add(None)  # gives the reserved place back
            raise
        key = runs.add(run)
        state = await run_in_threadpool(run.state)
        return JSONResponse({"id": key, "config": config.to_dict(), "state": state}, 201)

    def run_of(request: Request) -> LabRun:
        return runs.get(request.path_params["id"])

    async def one(request: Request) -> Response:
        run = run_of(request)
        if request.method == "DELETE":
            runs.delete(request.path_params["id"])
            return Response(status_code=204)
        if request.method == "PATCH":
            data = await _json_object(request, ("learning_rate", "speed"))
            if not data:
                raise BadRequest('send {"learning_rate": x} and/or {"speed": updates per second}')
            lr = check_learning_rate(data["learning_rate"]) if "learning_rate" in data else None
            speed = _speed(data["speed"]) if "speed" in data else None
            await run_in_threadpool(set_controls, run, lr, speed)
        return JSONResponse(await run_in_threadpool(run.state))

    async def step(request: Request) -> Response:
        run = run_of(request)
        data = await _json_object(request, ("updates",))
        updates = data.get("updates", 1)
        if isinstance(updates, bool) or not isinstance(updates, int):
            raise BadRequest(f'"updates" must be a whole number in 1..{MAX_UPDATES}')
        if not 1 <= updates <= MAX_UPDATES:
            raise BadRequest(
                f'"updates" must be in 1..{MAX_UPDATES} per request; received {updates}'
            )
        if run.status in ("diverged", "done"):
            raise finished(run)
        # NOTE: 5000 updates of 5000 MNIST rows take minutes; past the deadline the state says
        # how many were made, and the client asks again for the rest
        deadline = time.monotonic() + STEP_SECONDS
        done = await run_in_threadpool(run.step, updates, deadline)
        return JSONResponse({**await run_in_threadpool(run.state), "updates": done})

    async def reset(request: Request) -> Response:
        run = run_of(request)
        await _json_object(request, ())
        await run_in_threadpool(run.reset)
        return JSONResponse(await run_in_threadpool(run.state))

    async def train(request: Request) -> Response:
        run = run_of(request)
        data = await _json_object(request, ("speed",))
        speed = _speed(data["speed"]) if "speed" in data else None
        await run_in_threadpool(set_controls, run, None, speed)
        await run_in_threadpool(start_training, run, clock)
        return JSONResponse(await run_in_threadpool(run.state))

    async def pause(request: Request) -> Response:
        run = run_of(request)
        await _json_object(request, ())
        await run_in_threadpool(pause_training, run)
        return JSONResponse(await run_in_threadpool(run.state))

    async def boundary(request: Request) -> Response:
        run = run_of(request)
        size = _query_int(request, "size", 64, 2, MAX_BOUNDARY)
        return JSONResponse(await run_in_threadpool(views.boundary, run, size))

    async def trace(request: Request) -> Response:
        run = run_of(request)
        index = _query_int(request, "index", None, 0, 10**6)
        split = request.query_params.get("split", "train")
        return JSONResponse(await run_in_threadpool(trace_of, run, index, split))

    async def data(request: Request) -> Response:
        run = run_of(request)
        return JSONResponse(await run_in_threadpool(views.data, run))

    async def code(request: Request) -> Response:
        run = run_of(request)
        text = await run_in_threadpool(script, run)
        headers = {**_HEADERS, "Content-Disposition": 'inline; filename="lab_run.py"'}
        return Response(text, media_type="text/x-python; charset=utf-8", headers=headers)

    class EventStream(StreamingResponse):
        """A stream that gives its place back (``runs.close_stream``) however it ends: run to
        its end, the client gone, or never started."""

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            try:
                await super().__call__(scope, receive, send)
            finally:
                runs.close_stream()

    async def events(request: Request) -> Response:
        key = request.path_params["id"]
        run = run_of(request)

        async def stream() -> AsyncIterator[str]:
            yield "retry: 2000\n\n"
            sent, started = -1, time.monotonic()
            quiet = started
            while time.monotonic() - started < STREAM_SECONDS:
                if key not in runs.runs:
                    yield 'event: gone\ndata: {"error": "the run was forgotten"}\n\n'
                    return
                run.touch()
                if run.version != sent:
                    sent = run.version
                    snapshot = await run_in_threadpool(run.snapshot)
                    yield f"id: {sent}\ndata: {json.dumps(snapshot)}\n\n"
                    quiet = time.monotonic()
                elif time.monotonic() - quiet > KEEPALIVE_SECONDS:
                    yield ": keep-alive\n\n"
                    quiet = time.monotonic()
                await asyncio.sleep(EVENT_SECONDS)

        headers = {**_HEADERS, "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        # NOTE: the place is taken here, under the lock, and not when the stream starts: between
        # this check and the first event other requests can come
        runs.open_stream(MAX_STREAMS)
        try:
            return EventStream(stream(), media_type="text/event-stream", headers=headers)
        except BaseException:
            runs.close_stream()
            raise

    prefix = "/api/runs/{id}"
    routes: list[BaseRoute] = [
        Route("/api/lab", get_info),
        Route("/api/runs", create, methods=["POST"]),
        Route(prefix, one, methods=["GET", "PATCH", "DELETE"]),
        Route(f"{prefix}/step", step, methods=["POST"]),
        Route(f"{prefix}/reset", reset, methods=["POST"]),
        Route(f"{prefix}/train", train, methods=["POST"]),
        Route(f"{prefix}/pause", pause, methods=["POST"]),
        Route(f"{prefix}/events", events),
        Route(f"{prefix}/boundary", boundary),
        Route(f"{prefix}/trace", trace),
        Route(f"{prefix}/data", data),
        Route(f"{prefix}/code", code),
    ]
    static = resources.files("barenet.web").joinpath("static").joinpath("lab")
    app = make_app(routes, static, _STATIC, local_only=local_only)
    app.state.runs = runs
    return app


def serve_lab(
    host: str = "127.0.0.1", port: int = 8001, on_ready: Callable[[str], object] | None = None
) -> None:
    """Serve the lab on http://host:port/ until ^C (loopback only, unless host says otherwise).

    The port is bound first (a port in use is an OSError saying so in one line); then
    ``on_ready(url)`` is called, before the first request is answered: ``barenet lab`` prints
    the address there; the library prints nothing.
    """
    require_starlette()
    app = create_lab_app(local_only=host in LOOPBACK_BINDS)
    run_server(app, listen(host, port), on_ready)
