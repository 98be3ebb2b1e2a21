"""What the network's math may trust: X and Y checked and converted, and inference in batches.

The math in ``network.py`` assumes its input is right: X an (n, d) C-contiguous array of the
network's dtype, every value finite; Y (n, k) targets the loss accepts. The public methods
(``forward``, ``loss``, ``fit``...) make sure of that here first, and every error says what was
received, what is allowed and, for a bad value, its row and column:

- ``input_array``: X as an (n, d) array, not yet converted (a memmap stays on disk);
- ``rows``: some of its rows converted to the network's dtype, checked finite;
- ``check_Y``: targets as (n, k), class labels (n,) turned into one-hot rows (``one_hot``);
- ``map_batches``: inference over X a batch of rows at a time (``inference_batch`` rows), so
  that a large input is never converted whole.

Left out: the math itself (``network.py``) and the targets' values, which each loss checks
(``Loss.check_targets``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import whole_number
from .activations import Array
from .exceptions import warn

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork

#: Inference (``forward``, ``predict``, ``score``...) runs in batches of rows sized so that one
#: batch's input and activations (x, z and a of every layer) take about this many bytes: enough
#: rows for BLAS to run at full speed (MNIST's 10,000 test images are one batch for 784-256-10;
#: batches of 1,024 rows took 1.6x as long), few enough that memory stays bounded.
INFERENCE_BATCH_BYTES = 64 * 2**20


def input_array(model: DeepNeuralNetwork, X: ArrayLike) -> NDArray[Any]:
    """X as an (n, d) array, not yet converted (a memmap stays on disk), or a ValueError."""
    try:
        A = np.asarray(X)  # NOTE: no copy for arrays and memmaps; lists are converted here
    except (TypeError, ValueError) as err:
        raise ValueError(f"X must be a numeric array; {err}") from None
    if A.dtype.kind == "c":  # NOTE: refused here, before NumPy's ComplexWarning
        raise ValueError(
            f"X is complex ({A.dtype}); barenet takes real numbers: pass X.real or np.abs(X)"
        )
    d = model.layers[0].size
    if A.ndim != 2:
        hint = " (for one sample use X.reshape(1, -1))" if A.ndim == 1 else ""
        raise ValueError(f"X must be 2-D (n, {d}); received shape {A.shape}{hint}")
    if A.shape[1] != d:
        raise ValueError(f"X has {A.shape[1]} features per sample, but the input layer expects {d}")
    return A


def rows(
    model: DeepNeuralNetwork, A: NDArray[Any], start: int = 0, stop: int | None = None
) -> Array:
    """Rows start..stop of an ``input_array`` as a C-contiguous, aligned array of the
    network's dtype, every value finite (an error names the row in the whole of A)."""
    try:
        B: Array = np.ascontiguousarray(A[start:stop], dtype=model.dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(f"X must be a numeric array; {err}") from None
    if not B.flags.aligned:  # NOTE: e.g. arrays sent to a Dask worker; take() crawls on them
        B = B.copy()
    check_finite("X", B, first_row=start)
    return B


def check_X(model: DeepNeuralNetwork, X: ArrayLike) -> Array:
    """X as a C-contiguous array of the network's dtype, or a ValueError saying why not."""
    return rows(model, input_array(model, X))


def check_Y(model: DeepNeuralNetwork, Y: ArrayLike, n: int) -> Array:
    """Targets for n samples as an (n, k) array of the network's dtype, or a ValueError.

    Y may be labels (n,): class indices 0..k-1 when k > 1 (turned into one-hot rows),
    or one value per sample when k == 1. The loss checks the values (``check_targets``).
    """
    k = model.layers[-1].size
    try:
        Y = np.asarray(Y)
    except (TypeError, ValueError) as err:
        raise ValueError(f"Y must be a numeric array; {err}") from None
    if Y.dtype.kind == "c":  # NOTE: refused here, before NumPy's ComplexWarning
        raise ValueError(f"Y is complex ({Y.dtype}); targets must be real numbers")
    try:
        Y_float = Y.astype(model.dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(f"Y must be a numeric array; {err}") from None
    if Y.ndim == 0 or len(Y) != n:
        found = "a scalar" if Y.ndim == 0 else len(Y)
        raise ValueError(f"X has {n} samples but Y has {found}; they must match")
    check_finite("Y", Y_float)
    if Y.ndim == 1 and k == 1:
        Y_float = Y_float.reshape(-1, 1)
    elif Y.ndim == 1:
        Y_float = one_hot(Y_float, k)
        if model.task == "regression":
            _hint_softmax(model)
    elif Y.ndim != 2 or Y.shape[1] != k:
        raise ValueError(
            f"Y must be labels (n,) or (n, {k}) for an output layer of {k} units; "
            f"received shape {Y.shape}"
        )
    model.loss_function.check_targets(Y_float)
    return np.ascontiguousarray(Y_float)


def check_XY(model: DeepNeuralNetwork, X: ArrayLike, Y: ArrayLike) -> tuple[Array, Array]:
    """X checked as in ``check_X``; Y as in ``check_Y``."""
    X = check_X(model, X)
    return X, check_Y(model, Y, len(X))


def inference_batch(model: DeepNeuralNetwork, batch_size: int | None) -> int:
    """Rows per inference batch: ``batch_size``, or for None as many as keep one batch's
    input and activations (x, z and a of every layer) within INFERENCE_BATCH_BYTES."""
    if batch_size is None:
        row = model.layers[0].size + 2 * sum(layer.size for layer in model.layers[1:])
        return max(1, INFERENCE_BATCH_BYTES // (row * model.dtype.itemsize))
    return whole_number("batch_size", batch_size, minimum=1)


def map_batches(
    model: DeepNeuralNetwork,
    X: ArrayLike,
    batch_size: int | None,
    f: Callable[[Array], NDArray[Any]],
) -> NDArray[Any]:
    """``f(output activations)`` of each batch of X's rows, stacked into one array.

    Shapes: X (n, d) -> (n, ...), as f gives for a batch
    """
    A = input_array(model, X)
    size = inference_batch(model, batch_size)
    # NOTE: an empty X gives an empty first batch, which still gives the output's shape
    first = f(model._forward(rows(model, A, 0, size))[0])
    out = np.empty((len(A), *first.shape[1:]), dtype=first.dtype)
    out[: len(first)] = first
    for start in range(size, len(A), size):
        out[start : start + size] = f(model._forward(rows(model, A, start, start + size))[0])
    return out


def check_finite(name: str, A: Array, first_row: int = 0) -> None:
    """A ValueError naming the first non-finite value's row (counted from first_row)."""
    # NOTE: a sum is finite only if every term is (inf and NaN propagate), and it takes one
    # pass with no temporary array; only a non-finite sum (or an overflowing one) looks closer
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(A, axis=None)):
            return
    bad = ~np.isfinite(A)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f"row {first_row + where[0]}" + (f", column {where[1]}" if len(where) > 1 else "")
        raise ValueError(f"{name} holds {A[tuple(where)]} at {at}; every value must be finite")


def one_hot(labels: Array, k: int) -> Array:
    """Class labels (n,) -> one-hot rows (n, k), refusing labels that are not 0..k-1."""
    bad = (labels != np.round(labels)) | (labels < 0) | (labels >= k)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"label {float(labels[i]):g} at row {i} is not a class of this network; "
            f"expected whole numbers 0..{k - 1} for an output layer of {k} units"
        )
    Y = np.zeros((len(labels), k), dtype=labels.dtype)
    Y[np.arange(len(labels)), labels.astype(np.intp)] = 1
    return Y


def _hint_softmax(model: DeepNeuralNetwork) -> None:
    """Class labels for a network whose output layer has no class activation."""
    last = model.layers[-1]
    warn(
        f"class labels (n,) for a regression network: its output layer "
        f"Layer({last.size}, {last.activation_function!r}) fits one-hot rows of them with "
        f"{model.loss_function.name} and predicts {last.size} values per sample, not labels. "
        f'For classes, make it Layer({last.size}, "softmax").'
    )
