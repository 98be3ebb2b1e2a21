"""Keras' mnist.npz, read closed and bounded through ``barenet._npz`` (never a pickle)."""

from __future__ import annotations

import os

import numpy as np

from .. import _npz
from .._files import open_bounded
from . import _base
from ._base import DataError, PathLike, mnist_arrays

_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST from Keras' mnist.npz (x_train, y_train, x_test, y_test; x as (n, 28, 28) uint8).

    Raises DataError for anything else: not an .npz, a member that is not a numeric array (or is
    encrypted, or compressed other than by deflate), sizes that do not add up, a missing array.
    Shapes: -> X_train (n, 784), y_train (n,), X_test (m, 784), y_test (m,)
    """
    shown = os.fspath(path)
    try:
        with open_bounded(path, _base.MAX_FILE_BYTES, DataError, "npz file") as (f, size):
            arrays = _npz.read_npz(f, size, DataError, shown, max_bytes=_base.MAX_FILE_BYTES)
    except OSError as exc:
        raise DataError(f"{shown}: cannot read: {exc}") from exc
    missing = [k for k in _KEYS if k not in arrays]
    if missing:
        raise DataError(f"{shown}: missing arrays {missing}; it holds {sorted(arrays)[:20]}")
    out: list[np.ndarray] = []
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        out += mnist_arrays(arrays[x], arrays[y], f"{shown}[{x}]", f"{shown}[{y}]")
    return out[0], out[1], out[2], out[3]
