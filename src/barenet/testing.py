"""Finite-difference gradient checks: proof that backpropagation computes the true gradient.

For each parameter element p, the central difference

    (L(p + eps) - L(p - eps)) / (2 * eps)

approximates dL/dp with an error of order eps**2. ``gradcheck`` compares it with
``model.gradients`` element by element; ``gradcheck_activation`` does the same for one
activation's ``derive`` against its ``activate``, so users can check their own activations.
Both work in float64 only: in float32 the rounding error of L swamps the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .activations import ActivationFunction, Array
from .network import DeepNeuralNetwork


@dataclass(frozen=True)
class GradcheckResult:
    """The worst element of a gradient check.

    ``error`` is |analytic - numeric| / max(1, |analytic|, |numeric|): relative for large
    gradients, absolute for small ones. ``ok`` is ``error <= tolerance``.
    """

    error: float
    where: str
    analytic: float
    numeric: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"gradcheck {verdict}: worst error {self.error:.3g} at {self.where} "
            f"(analytic {self.analytic:.10g}, numeric {self.numeric:.10g}, "
            f"tolerance {self.tolerance:.3g})"
        )


def _require_float64(dtype: np.dtype, what: str) -> None:
    if dtype != np.float64:
        raise ValueError(
            f"gradcheck needs float64 {what}; received {dtype}. "
            "Build the network with dtype=np.float64."
        )


def _worst(
    analytic: Array,
    numeric: Array,
    name: str,
    tolerance: float,
    previous: GradcheckResult | None,
) -> GradcheckResult:
    errors = np.abs(analytic - numeric) / np.maximum(1.0, np.maximum(abs(analytic), abs(numeric)))
    i = np.unravel_index(int(np.argmax(errors)), errors.shape)
    result = GradcheckResult(
        float(errors[i]),
        f"{name}{list(map(int, i))}",
        float(analytic[i]),
        float(numeric[i]),
        tolerance,
    )
    return result if previous is None or result.error > previous.error else previous


def _numeric_gradient(f: Callable[[], float], x: Array, eps: float) -> Array:
    """Central differences of f() for every element of x, which f reads (changed in place)."""
    numeric = np.empty_like(x)
    flat, out = x.reshape(-1), numeric.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        up = f()
        flat[j] = old - eps
        down = f()
        flat[j] = old
        out[j] = (up - down) / (2 * eps)
    return numeric


def gradcheck(
    model: DeepNeuralNetwork,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    eps: float = 1e-6,
    tolerance: float = 1e-6,
) -> GradcheckResult:
    """Compare ``model.gradients(X, Y)`` with central differences of ``model.loss(X, Y)``.

    Every element of every parameter is perturbed, so keep the network and X small.
    Returns the worst element; ``result.ok`` says whether it is within ``tolerance``.
    """
    _require_float64(model.dtype, "parameters")
    analytic = model.gradients(X, Y)
    result: GradcheckResult | None = None
    for name, param in model.params.items():
        _require_float64(param.dtype, f"parameter {name}")
        numeric = _numeric_gradient(lambda: model.loss(X, Y), param, eps)
        result = _worst(analytic[name], numeric, name, tolerance, result)
    assert result is not None  # a network always has parameters
    return result


def gradcheck_activation(
    activation: ActivationFunction,
    z: ArrayLike,
    *,
    seed: int = 0,
    eps: float = 1e-6,
    tolerance: float = 1e-6,
) -> GradcheckResult:
    """Check ``activation.derive`` against finite differences of ``activation.activate``.

    Uses L = sum(activate(z) * g) for a fixed random g, whose gradient dL/dz is exactly
    ``derive(g, z, activate(z))``. Shapes: z (n, h).
    """
    z = np.array(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"z must be 2-D (n, h); received shape {z.shape}")
    g = np.random.default_rng(seed).normal(size=z.shape)
    analytic = activation.derive(g, z.copy(), activation.activate(z.copy()))
    numeric = _numeric_gradient(lambda: float((activation.activate(z) * g).sum()), z, eps)
    return _worst(np.asarray(analytic), numeric, "z", tolerance, None)
