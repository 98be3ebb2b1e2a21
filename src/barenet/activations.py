"""Activation functions: what a layer does to its pre-activation z.

Each activation is a small class with two methods, each derivative next to its forward step:

- ``activate(z) -> a``: the forward step, applied row by row;
- ``derive(da, z, a) -> dz``: the backward step. It turns dL/da into dL/dz, a vector-Jacobian
  product: for element-wise functions ``da * f'(z)``, for softmax its full Jacobian.

Shapes: z, a, da, dz all (n, h): rows are samples.

Unlike the post's ``derive(da, z, labels)``, no activation ever sees the labels. The loss owns
the output layer's shortcut (see ``losses.py``), so any activation pairs with any loss.
To add an activation, subclass ``ActivationFunction`` and give it a ``name``. Registering it
(``barenet.register``) lets layers name it and model files save and load it.

Non-finite values never raise here (``fit`` checks each batch's loss and the weights instead).
``activate`` maps NaN to NaN and +-inf to the function's limit (relu(-inf) = 0, sigmoid(+-inf)
= 1 or 0, tanh(+-inf) = +-1); ``derive`` multiplies da by the local slope, so a NaN da stays
NaN, an infinite da stays infinite where the slope is not 0 and becomes NaN (0 * inf) where it
is. Each class's docstring adds its own cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._config import Configurable, find

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
    """a = z;  da/dz = 1. The output of a regression network. Non-finite values pass as they are."""

    name = "identity"

    def activate(self, z: Array) -> Array:
        return z

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return da


class ReLU(ActivationFunction):
    """a = max(z, 0);  da/dz = 1 where z > 0, else 0 (the subgradient at 0 is taken as 0).

    Non-finite: relu(NaN) = NaN, relu(inf) = inf, relu(-inf) = 0. ``derive`` reads z only
    through z > 0, so a NaN z counts as inactive (dz = 0 for a finite da).
    """

    name = "relu"
    default_init = "he_normal"

    def activate(self, z: Array) -> Array:
        return np.maximum(z, 0)

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return da * (z > 0)


class LeakyReLU(ActivationFunction):
    """a = z where z > 0, else alpha * z;  da/dz = 1 where z > 0, else alpha.

    Non-finite: NaN stays NaN, +-inf stays +-inf (0 for -inf when alpha is 0). ``derive``
    reads z only through z > 0, so a NaN z takes the slope alpha.
    """

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
    Non-finite: sigmoid(NaN) = NaN, sigmoid(inf) = 1, sigmoid(-inf) = 0, without warnings.
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
    """a = tanh(z);  da/dz = 1 - a**2.  Non-finite: tanh(NaN) = NaN, tanh(+-inf) = +-1."""

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

    Non-finite: a -inf logit among finite ones gets probability exactly 0 (no warning); a row
    holding NaN or +inf, or only -inf, gives a NaN row (NumPy warns of the invalid inf - inf).
    ``derive`` mixes a whole row, so a non-finite da or a makes the row's dz NaN.
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


#: barenet's own activations, by name (the exporters write these and no others)
BUILTIN: dict[str, type[ActivationFunction]] = {
    cls.name: cls for cls in (Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax)
}
#: every activation a name finds: the built-in ones and those ``barenet.register`` adds
ACTIVATIONS: dict[str, type[ActivationFunction]] = dict(BUILTIN)


def get(identifier: str | ActivationFunction | None) -> ActivationFunction:
    """An activation from a name, an instance (returned as is) or None (identity).

    Names match in any case, and class names too: "relu", "ReLU", "leaky_relu", "LeakyReLU".
    """
    if isinstance(identifier, ActivationFunction):
        return identifier
    if identifier is None:
        return Identity()
    if isinstance(identifier, type) and issubclass(identifier, ActivationFunction):
        return identifier()
    cls = find(ACTIVATIONS, identifier)
    if cls is None:
        raise ValueError(
            f"unknown activation {identifier!r}; expected one of {sorted(ACTIVATIONS)} (any "
            "case, or the class name), an ActivationFunction instance, or your own class "
            "after barenet.register"
        )
    return cls()
