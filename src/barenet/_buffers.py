"""Buffers: the arrays a training step reuses from batch to batch through ``out=``.

Training only: ``TrainingRun`` keeps one ``Buffers`` per fit and hands it to the network's
forward and backward pass. Prediction, evaluation and everything a caller receives use new
arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from .activations import Array


class Buffers:
    """Arrays that training reuses from batch to batch through ``out=``: one per name and shape.

    A training step asks for the same names and shapes at every batch, so after the first
    batch (and the last, shorter one) it allocates no large arrays. Whatever lives here is
    overwritten by the next step: nothing handed to a caller may come from a ``Buffers``.
    """

    def __init__(self, dtype: DTypeLike) -> None:
        self.dtype = np.dtype(dtype)
        self._arrays: dict[tuple[str, tuple[int, ...]], Array] = {}

    def get(self, name: str, *shape: int) -> Array:
        """The array for ``name`` of this shape, uninitialized on first use."""
        array = self._arrays.get((name, shape))
        if array is None:
            array = self._arrays[(name, shape)] = np.empty(shape, self.dtype)
        return array


def _buffer(buffers: Buffers | None, name: str, *shape: int) -> Array | None:
    """``buffers.get(name, *shape)``, or None (NumPy allocates a new array) without buffers."""
    return None if buffers is None else buffers.get(name, *shape)
