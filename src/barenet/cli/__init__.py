"""The ``barenet`` command: train, evaluate, predict, explain, info, serve, data and exercises.

    barenet train [--post] [--layers 784,256:relu,10:softmax] [--epochs N] ... [--out FILE]
    barenet evaluate MODEL [--data DIR]
    barenet predict MODEL IMAGE... | MODEL --csv test.csv [--out submission.csv]
    barenet explain MODEL IMAGE
    barenet info MODEL
    barenet serve MODEL [--host 127.0.0.1] [--port 8000]
    barenet lab [--host 127.0.0.1] [--port 8001]
    barenet export MODEL --onnx out.onnx | --html digits.html
    barenet data fetch|info|path
    barenet exercises DIR [--check | --solutions] [--force]

Arguments are checked before any data is read: a bad one is a usage error (exit 2). Errors print
one line, ``error: <command>: <why>``, and exit 1, whatever fails: an unexpected exception is
named with its type and the advice to run with ``--debug`` (before or after the command), which
shows the traceback instead. Ctrl-C exits 130, after saying where the last checkpoint is. A
reader that goes away (``barenet info MODEL | head``) ends the command quietly.

This package is the only place that prints (besides fit's progress reporters). This module is the
parser and the error handling; each command is in a module of its own, with its arguments:

    arguments.py   the argument types (``parse_layers``, ...), ``CommandError``, the MNIST sizes
    train.py       train, its progress bar and checkpoints
    models.py      evaluate, predict, explain, info: the commands that use a model file
    delegated.py   serve, lab, export: arguments and one call into barenet.web / barenet.interop
    data.py        data fetch|info|path, and MNIST (fetched if missing) for train and evaluate
    exercises.py   exercises: write, grade and train with the workbook of ``barenet.exercises``
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__
from . import data, delegated, exercises, models, train
from .arguments import (
    MNIST_CLASSES,
    MNIST_PIXELS,
    CommandError,
    dropout_rate,
    one_line,
    parse_layers,
    port_number,
    positive_float,
    positive_int,
    seed_int,
)
from .data import cmd_data, fetch_mnist_verbosely
from .delegated import cmd_lab, cmd_serve
from .models import SUBMISSION, cmd_evaluate, cmd_explain, cmd_info, cmd_predict
from .train import CHECKPOINT_NAME, TrainingProgress, cmd_train

__all__ = [
    "CHECKPOINT_NAME",
    "MNIST_CLASSES",
    "MNIST_PIXELS",
    "SUBMISSION",
    "CommandError",
    "HelpFormatter",
    "Parser",
    "TrainingProgress",
    "build_parser",
    "cmd_data",
    "cmd_evaluate",
    "cmd_explain",
    "cmd_info",
    "cmd_lab",
    "cmd_predict",
    "cmd_serve",
    "cmd_train",
    "dropout_rate",
    "fetch_mnist_verbosely",
    "main",
    "parse_layers",
    "port_number",
    "positive_float",
    "positive_int",
    "seed_int",
]

_EXPECTED = (ValueError, OSError, ImportError, FloatingPointError)  # reported as their message


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" to an option's help unless the help already says its default, or
    there is none to say (None, a flag that is off)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        # NOTE: `is`, not `in (None, False)`: a default of 0 == False is still worth saying
        if "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        return super()._get_help_string(action) or text


class Parser(argparse.ArgumentParser):
    """The parser of barenet and of each command: defaults in --help, and --debug after the
    command's name as well as before it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        # NOTE: SUPPRESS, or each command's default (False) would overwrite `barenet --debug X`
        self.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="on an error, show the traceback instead of one line",
        )


def build_parser() -> argparse.ArgumentParser:
    """The parser; each command is one ``commands.add_parser`` (a ``Parser``: --debug and the
    defaults in --help come with it) and a ``func`` to run, added by its module's
    ``add_commands``, in the order --help lists them."""
    parser = Parser(prog="barenet", description="Neural networks from scratch.")
    parser.set_defaults(debug=False)
    parser.add_argument("--version", action="version", version=f"barenet {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    train.add_commands(commands)
    models.add_commands(commands)
    delegated.add_commands(commands)
    data.add_commands(commands)
    exercises.add_commands(commands)
    return parser


def _quiet_stdout() -> None:
    """The reader of our output has gone (``| head``): point stdout and stderr at /dev/null, so
    that Python's final flush has nowhere to fail (the Python documentation's recipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):  # NOTE: not a real file (tests capture it): nothing to do
            pass
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        try:
            return _run(argv)
        finally:  # NOTE: also after --help (a SystemExit): a closed pipe shows up at this flush
            if sys.stdout is not None:  # None: started with stdout closed (`barenet ... >&-`)
                sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return 1


def _run(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    command = "barenet"
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        debug, command = args.debug, args.command
        if getattr(args, "usage_check", None) is not None:
            args.usage_check(args)
        return int(args.func(args))
    except KeyboardInterrupt:
        if debug:
            raise
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except (CommandError, *_EXPECTED) as err:
        if debug:
            raise
        print(f"error: {command}: {one_line(err)}", file=sys.stderr)
        return 1
    except Exception as err:  # NOTE: whatever fails, one line without --debug
        if debug:
            raise
        why = one_line(err)[:500] or "(no message)"
        print(
            f"error: {command}: unexpected {type(err).__name__}: {why} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
