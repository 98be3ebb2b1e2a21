"""``barenet serve``, ``lab`` and ``export``: commands whose work lives in another package.

Each is its arguments and one call: ``serve`` into ``barenet.web``, ``lab`` into
``barenet.web.lab``, ``export`` into ``barenet.interop``'s exporters (one call per file; they
return what they wrote and this prints it). The web packages (and Starlette) and the exporters
are imported only when their command runs.
"""

from __future__ import annotations

import argparse
from functools import partial

from .arguments import MODEL_HELP, port_number


def cmd_serve(args: argparse.Namespace) -> int:
    # NOTE: the servers call back with their address once the port is theirs; only the CLI prints
    from ..web import serve

    def ready(url: str, model: object) -> None:
        print(f"serving {args.model} ({model}) on {url} - press Ctrl+C to stop", flush=True)

    serve(args.model, host=args.host, port=args.port, on_ready=ready)
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from ..web.lab import serve_lab

    def ready(url: str) -> None:
        print(f"barenet lab on {url} - press Ctrl+C to stop", flush=True)

    serve_lab(args.host, args.port, on_ready=ready)
    return 0


def _add_address(command: argparse.ArgumentParser, port: int) -> None:
    """``--host`` and ``--port``, the same for ``serve`` and ``lab``."""
    command.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on; 127.0.0.1 is this machine only",
    )
    command.add_argument("--port", type=port_number, metavar="N", default=port, help="the TCP port")


def cmd_export(args: argparse.Namespace) -> int:
    """``barenet export MODEL --onnx out.onnx | --html page.html``."""
    from ..interop.html_export import to_html
    from ..interop.onnx_export import to_onnx
    from ..saving import load

    model = load(args.model)
    if args.onnx:
        size = to_onnx(model, args.onnx)
        print(f"wrote {args.onnx} (ONNX, {size:,} bytes, {model})")
    if args.html:
        size = to_html(model, args.html)
        print(f"wrote {args.html} (a page that reads digits offline, {size:,} bytes, {model})")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Adds ``serve``, ``lab`` and ``export`` to barenet's commands."""
    serve = commands.add_parser("serve", help="a web page to draw digits for the model to read")
    serve.add_argument("model", help=MODEL_HELP)
    _add_address(serve, 8000)
    serve.set_defaults(func=cmd_serve)

    lab = commands.add_parser("lab", help="a page to watch a network learn, step by step")
    _add_address(lab, 8001)
    lab.set_defaults(func=cmd_lab)

    export = commands.add_parser("export", help="the model as ONNX, or as a page that runs it")
    export.add_argument("model", help=MODEL_HELP)
    export.add_argument(
        "--onnx", metavar="FILE", help="write an ONNX graph (barenet[onnx]; default: none)"
    )
    export.add_argument(
        "--html", metavar="FILE", help="write a self-contained draw-a-digit page (default: none)"
    )
    export.set_defaults(func=cmd_export, usage_check=partial(_check_export, export))


def _check_export(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What to write, under names of the right kind, before the model is read."""
    if not (args.onnx or args.html):
        parser.error("say what to write: --onnx FILE.onnx and/or --html FILE.html")
    for flag, path, suffixes in (("--onnx", args.onnx, (".onnx",)),
                                 ("--html", args.html, (".html", ".htm"))):  # fmt: skip
        if path and not path.lower().endswith(suffixes):
            parser.error(f"{flag} {path}: expected a file name ending in {' or '.join(suffixes)}")
