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
    """``"784,256:relu,10:softmax"`` -> layers; the first entry is the input size.

    A hidden layer without an activation gets relu, the output layer softmax.
    """
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(
            f"--layers needs the input size and at least one layer, e.g. 784,256:relu,10:softmax;"
            f" received {spec!r}"
        )
    layers = []
    for i, part in enumerate(parts):
        size, _, activation = part.partition(":")
        default = None if i == 0 else ("softmax" if i == len(parts) - 1 else "relu")
        try:
            layers.append(Layer(int(size), activation or default))
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"--layers entry {part!r}: {err}") from None
    return layers


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
