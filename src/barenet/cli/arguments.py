"""What the commands share: the argument types, the MNIST sizes, and the one-line error.

An argument type turns the text of one option into its value, or raises
``argparse.ArgumentTypeError`` saying what was allowed and what was received (argparse makes that
a usage error, exit 2). ``CommandError`` is a failure found while the command runs, reported by
``barenet.cli.main`` as one line (exit 1). The commands themselves live in the modules beside this
one; the parser and the error handling in ``barenet.cli``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from .. import layers
from ..layers import Layer

MNIST_PIXELS, MNIST_CLASSES = 784, 10
MODEL_HELP = "a model file written by `barenet train` (.safetensors)"
DATA_HELP = "directory holding MNIST (default: $BARENET_DATA, then the cache, fetched if missing)"


class CommandError(Exception):
    """A failure to report as one line and exit 1."""


def one_line(err: BaseException) -> str:
    """An error's message on one line, its white space folded."""
    return " ".join(str(err).split())


def parse_layers(spec: str) -> list[Layer]:
    """``--layers 784,256:relu,10:softmax`` -> layers (``barenet.layers.parse_layers``); a bad
    spec is a usage error saying which entry is wrong."""
    try:
        return layers.parse_layers(spec, name="--layers")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _number(text: str, kind: type, allowed: str, ok: Any) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not ok(value):
        raise argparse.ArgumentTypeError(f"must be {allowed}; received {text!r}")
    return value


def positive_int(text: str) -> int:
    return int(_number(text, int, "a whole number >= 1", lambda v: v >= 1))


def seed_int(text: str) -> int:
    return int(_number(text, int, "a whole number >= 0", lambda v: v >= 0))


def positive_float(text: str) -> float:
    return float(_number(text, float, "a number > 0", lambda v: v > 0))


def dropout_rate(text: str) -> float:
    return float(_number(text, float, "a fraction in [0, 1)", lambda v: 0 <= v < 1))


def port_number(text: str) -> int:
    return int(_number(text, int, "a port number in 1..65535", lambda v: 1 <= v <= 65535))
