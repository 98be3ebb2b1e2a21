"""What the draw-a-digit page and the lab share as web servers: Starlette, headers, Host checks.

``_require_starlette`` raises the ImportError naming ``barenet[web]``; ``LocalHostOnly`` refuses a
request whose Host header is not the loopback (DNS-rebinding protection) for a server bound to
one of ``LOOPBACK_BINDS``; ``_error`` is every error response, ``{"error": "..."}``, and
``jsonable`` makes a value fit for strict JSON; ``make_app`` is the Starlette app of a list of
routes with the static pages, the Host check and JSON errors for everything else; ``listen``
binds the port before anything is printed, or says in one line why it cannot, and
``run_server`` serves an app on that socket with uvicorn. Left out: the routes and what they
answer (``app``, ``lab``), and reading a request (``requests``).
"""

from __future__ import annotations

import errno
import math
import socket
from collections.abc import Callable, Sequence
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

import numpy as np

from .requests import BadRequest, clean_message, is_ascii_digits

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Receive, Scope, Send

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
LOOPBACK_BINDS = frozenset({"localhost", "127.0.0.1", "::1"})
_HEADERS = {
    # NOTE: no default-src 'self' policy: it would block the eval that browser-test tools
    # (Playwright's wait_for_function) run in the page; the tests check no asset is external
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _require_starlette() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the web page needs Starlette and uvicorn, which are not installed ({exc}); "
            "install them with: pip install 'barenet[web]'"
        ) from exc


def _error(message: str, status: int, retry_after: int | None = None) -> Response:
    from starlette.responses import JSONResponse

    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"error": clean_message(message)}, status_code=status, headers=headers)


def jsonable(value: Any) -> Any:
    """``value`` for strict JSON, which has no NaN or infinity: those become None (a diverged
    run's loss, a metric never measured), NumPy scalars Python numbers, tuples lists, and
    anything else its ``str``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, str, int)) or value is None:
        return value
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return str(value)


def make_app(
    routes: Sequence[BaseRoute],
    static: Traversable,
    pages: dict[str, tuple[str, str]],
    *,
    local_only: bool,
) -> Starlette:
    """The Starlette app of ``routes`` and the static ``pages`` (``{path: (file in static,
    content type)}``, read once), refusing other hosts when ``local_only``; every error is
    ``{"error": ...}``: a ``BadRequest`` a handler raises with its status (and Retry-After),
    an unknown path or method with its status (404, 405), anything else that fails a 500 that
    names only the exception's type."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import Response
    from starlette.routing import Route

    content = {
        path: (static.joinpath(name).read_bytes(), kind) for path, (name, kind) in pages.items()
    }

    async def page(request: Request) -> Response:
        body, kind = content[request.url.path]
        return Response(body, media_type=kind, headers=_HEADERS)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return _error(str(getattr(exc, "detail", "error")), status)

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return _error(str(exc), exc.status, exc.retry_after)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(f"internal error ({type(exc).__name__}); the server keeps running", 500)

    return Starlette(
        routes=[*(Route(path, page) for path in pages), *routes],
        middleware=[Middleware(LocalHostOnly)] if local_only else [],
        exception_handlers={
            HTTPException: http_error,
            BadRequest: bad_request,  # what a handler refuses, with its status
            Exception: server_error,
        },
    )


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
    return name in LOCAL_HOSTS and (port == "" or is_ascii_digits(port))


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


def run_server(
    app: Starlette, sock: socket.socket, on_ready: Callable[[str], object] | None
) -> None:
    """Serve ``app`` on the bound ``sock`` with uvicorn until ^C, then close the socket.

    ``on_ready(url)`` is called first, with the address to open (``http://host:port/``, the
    port the system chose for port 0): the CLI prints it; the library prints nothing.
    """
    import uvicorn

    try:
        host, port = sock.getsockname()[:2]
        if on_ready is not None:
            on_ready(f"http://{f'[{host}]' if ':' in host else host}:{port}/")
        config = uvicorn.Config(app, log_level="warning", server_header=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
