"""Weight initializers: the post's "dynamic parameter initialization methods".

An initializer is any function ``(fan_in, fan_out, rng) -> array`` of shape (fan_in, fan_out),
where ``rng`` is a ``np.random.Generator``. fan_in is the previous layer's size, fan_out this
layer's. The scaled ones keep the variance of the activations roughly constant from layer to
layer, which is what lets a deep network learn at all (zeros cannot: every unit stays the same):

    he_*      Var(W) = 2 / fan_in                (ReLU family; He et al. 2015)
    glorot_*  Var(W) = 2 / (fan_in + fan_out)    (tanh, sigmoid, softmax; Glorot & Bengio 2010)
    lecun_*   Var(W) = 1 / fan_in                (LeCun et al. 1998)

A ``*_normal`` draws from N(0, Var); a ``*_uniform`` from U(-limit, limit) with
limit = sqrt(3 * Var), which has the same variance. ``normal`` and ``uniform`` use a fixed
scale of 0.05; ``zeros`` gives zeros. Biases always start at zero (the network does that).

Shapes: every initializer returns (fan_in, fan_out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._config import find

Initializer = Callable[[int, int, np.random.Generator], NDArray[Any]]


def _normal(variance: float, fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    return rng.normal(0.0, np.sqrt(variance), size=(fan_in, fan_out))


def _uniform(variance: float, fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    limit = np.sqrt(3.0 * variance)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ N(0, 2 / fan_in)."""
    return _normal(2.0 / fan_in, fan_in, fan_out, rng)


def he_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ U(-sqrt(6 / fan_in), sqrt(6 / fan_in))."""
    return _uniform(2.0 / fan_in, fan_in, fan_out, rng)


def glorot_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ N(0, 2 / (fan_in + fan_out))."""
    return _normal(2.0 / (fan_in + fan_out), fan_in, fan_out, rng)


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ U(-sqrt(6 / (fan_in + fan_out)), sqrt(6 / (fan_in + fan_out)))."""
    return _uniform(2.0 / (fan_in + fan_out), fan_in, fan_out, rng)


def lecun_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ N(0, 1 / fan_in)."""
    return _normal(1.0 / fan_in, fan_in, fan_out, rng)


def lecun_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ U(-sqrt(3 / fan_in), sqrt(3 / fan_in))."""
    return _uniform(1.0 / fan_in, fan_in, fan_out, rng)


def normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ N(0, 0.05**2), whatever the layer's size."""
    return rng.normal(0.0, 0.05, size=(fan_in, fan_out))


def uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W ~ U(-0.05, 0.05), whatever the layer's size."""
    return rng.uniform(-0.05, 0.05, size=(fan_in, fan_out))


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """W = 0: every unit of a layer computes the same thing, so the network cannot learn."""
    return np.zeros((fan_in, fan_out))


INITIALIZERS: dict[str, Initializer] = {
    fn.__name__: fn
    for fn in (
        he_normal,
        he_uniform,
        glorot_normal,
        glorot_uniform,
        lecun_normal,
        lecun_uniform,
        normal,
        uniform,
        zeros,
    )
}


def get(identifier: str | Initializer) -> Initializer:
    """An initializer from a name (``"he_normal"``, in any case) or a callable (returned as is)."""
    if callable(identifier):
        return identifier
    init = find(INITIALIZERS, identifier)
    if init is None:
        raise ValueError(
            f"unknown initializer {identifier!r}; expected one of {sorted(INITIALIZERS)} "
            "(any case) or a callable (fan_in, fan_out, rng) -> array"
        )
    return init


def name_of(initializer: str | Initializer) -> str:
    """The registry name of an initializer, or its function name for a user's own."""
    if isinstance(initializer, str):
        return initializer
    return getattr(initializer, "__name__", type(initializer).__name__)
