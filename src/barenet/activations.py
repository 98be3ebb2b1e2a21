"""Activation functions: what a layer does to its pre-activation z.

Each activation is a small class with two methods, each derivative next to its forward step:

- ``activate(z) -> a``: the forward step, applied row by row;
- ``derive(da, z, a) -> dz``: the backward step. It turns dL/da into dL/dz, a vector-Jacobian
  product: for element-wise functions ``da * f'(z)``, for softmax its full Jacobian.

Shapes: z, a, da, dz all (n, h): rows are samples.

Unlike the post's ``derive(da, z, labels)``, no activation ever sees the labels. The loss owns
the output layer's shortcut (see ``losses.py``), so any activation pairs with any loss.
To add an activation, subclass ``ActivationFunction``; registering it is optional (only needed
to refer to it by name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._config import Configurable

Array = NDArray[np.floating[Any]]


class ActivationFunction(Configurable):
    """Base class: subclass it and implement ``activate`` and ``derive``."""

    name: str = ""
    #: the initializer used for this layer's weights when nothing else is asked for
    default_init: str = "glorot_uniform"

    def activate(self, z: Array) -> Array:
        """a = f(z).  Shapes: z (n, h) -> a (n, h)."""
        raise NotImplementedError

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        """dL/dz from dL/da; ``a`` is ``activate(z)``, passed in so it is not recomputed.

        Shapes: da, z, a (n, h) -> dz (n, h)
        """
        raise NotImplementedError


class Identity(ActivationFunction):
    """a = z;  da/dz = 1. The output of a regression network."""

    name = "identity"

    def activate(self, z: Array) -> Array:
        return z

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return da


class ReLU(ActivationFunction):
    """a = max(z, 0);  da/dz = 1 where z > 0, else 0 (the subgradient at 0 is taken as 0)."""

    name = "relu"
    default_init = "he_normal"

    def activate(self, z: Array) -> Array:
        return np.maximum(z, 0)

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return da * (z > 0)


class LeakyReLU(ActivationFunction):
    """a = z where z > 0, else alpha * z;  da/dz = 1 where z > 0, else alpha."""

    name = "leaky_relu"
    default_init = "he_normal"

    def __init__(self, alpha: float = 0.01) -> None:
        if not 0.0 <= float(alpha) < 1.0:
            raise ValueError(f"LeakyReLU alpha must be in [0, 1); received {alpha!r}")
        self.alpha = float(alpha)

    def activate(self, z: Array) -> Array:
        return np.where(z > 0, z, self.alpha * z)

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return np.where(z > 0, da, self.alpha * da)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Sigmoid(ActivationFunction):
    """a = 1 / (1 + exp(-z));  da/dz = a * (1 - a).

    Paired with binary cross-entropy, the loss computes the output delta from z directly.
    """

    name = "sigmoid"

    def activate(self, z: Array) -> Array:
        # NOTE: exp(-z) overflows for very negative z; exp(-|z|) never does. Then
        # sigmoid(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0, with e = exp(-|z|).
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return da * a * (1.0 - a)


class Tanh(ActivationFunction):
    """a = tanh(z);  da/dz = 1 - a**2."""

    name = "tanh"

    def activate(self, z: Array) -> Array:
        return np.tanh(z)

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return da * (1.0 - a * a)


class Softmax(ActivationFunction):
    """a_j = exp(z_j) / sum_i exp(z_i), per row.

    Its Jacobian is da_j/dz_i = a_j * (delta_ij - a_i), so the vector-Jacobian product is
    dz = a * (da - sum_j(da_j * a_j)). Paired with cross-entropy, the loss computes the output
    delta from z directly instead.
    """

    name = "softmax"

    def activate(self, z: Array) -> Array:
        # NOTE: shift by the row max, or exp overflows; the result is the same.
        e = np.exp(z - _row_max(z))
        e /= e @ np.ones((z.shape[1], 1), z.dtype)  # the row sums, as a matrix product
        return e

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return a * (da - (da * a).sum(axis=1, keepdims=True))


def _row_max(z: Array) -> Array:
    """z.max(axis=1, keepdims=True).  Shapes: z (n, k) -> (n, 1)

    NOTE: NumPy reduces a C-ordered array row by row, which is slow for short rows (10 classes:
    a reduction of 10 numbers per call); from a column-major copy it takes the maximum of the k
    columns, each a long vector operation, several times faster while k is small.
    """
    if z.shape[1] <= 32:
        return np.asfortranarray(z).max(axis=1, keepdims=True)
    return z.max(axis=1, keepdims=True)


ACTIVATIONS: dict[str, type[ActivationFunction]] = {
    cls.name: cls for cls in (Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax)
}


def get(identifier: str | ActivationFunction | None) -> ActivationFunction:
    """An activation from a name (``"relu"``), an instance (returned as is) or None (identity)."""
    if isinstance(identifier, ActivationFunction):
        return identifier
    if identifier is None:
        return Identity()
    if isinstance(identifier, type) and issubclass(identifier, ActivationFunction):
        return identifier()
    try:
        return ACTIVATIONS[identifier]()
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {identifier!r}; expected one of {sorted(ACTIVATIONS)} "
            "or an ActivationFunction instance"
        ) from None
