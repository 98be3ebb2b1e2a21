"""Losses: how wrong the network's output is, and the output layer's error signal.

A loss measures the output activations ``a`` against the targets ``Y`` and returns the mean
over samples, so its size does not depend on the batch size. It also decides where
backpropagation starts (the post's "currently broken" loss, fixed):

- softmax + cross-entropy and sigmoid + binary cross-entropy have a fused form: the gradient
  with respect to the logits z is simply ``(a - Y) / N``, and the loss itself is computed from z
  with log-sum-exp or softplus, so it stays finite for any logits;
- every other pairing goes the long way: ``activation.derive(loss.grad(a, Y), z, a)``.

Shapes: a, z, Y all (n, k); N is n for cross-entropy (a sum over classes, mean over samples)
and n * k for the element-wise losses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._config import Configurable
from .activations import ActivationFunction, Array, Sigmoid, Softmax


def _tiny(a: Array) -> Any:
    """The smallest positive normal number of a's dtype: log(tiny) is finite."""
    return np.finfo(a.dtype).tiny


class Loss(Configurable):
    """Base class: ``__call__`` (mean loss), ``grad`` (dL/da), and optionally a fused form."""

    name: str = ""
    #: the output activation this loss has a fused, stable form with (None: no fused form)
    fused_activation: type[ActivationFunction] | None = None

    def __call__(self, a: Array, Y: Array) -> float:
        """The mean loss of outputs a against targets Y.  Shapes: a, Y (n, k) -> float."""
        raise NotImplementedError

    def grad(self, a: Array, Y: Array) -> Array:
        """dL/da.  Shapes: a, Y (n, k) -> (n, k)."""
        raise NotImplementedError

    def fuses_with(self, activation: ActivationFunction) -> bool:
        """True when the output delta and the loss can be computed from the logits."""
        return self.fused_activation is not None and isinstance(activation, self.fused_activation)

    def from_logits(self, z: Array, Y: Array) -> float:
        """The mean loss computed from the output layer's logits z (fused pairings only)."""
        raise NotImplementedError(f"{type(self).__name__} has no fused form")

    def delta(self, z: Array, a: Array, Y: Array) -> Array:
        """dL/dz for the fused pairing: (a - Y) / N.  Shapes: z, a, Y (n, k) -> (n, k)."""
        raise NotImplementedError(f"{type(self).__name__} has no fused form")

    def check_targets(self, Y: Array) -> None:
        """Raise ValueError when Y holds values this loss cannot take."""


def _check_unit_interval(loss: Loss, Y: Array) -> None:
    bad = (Y < 0) | (Y > 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{loss.name} needs targets in [0, 1]; found {float(Y[row, col]):g} at row {row}, "
            f"column {col}. Pass class labels (n,) or one-hot / multi-hot rows (n, k)."
        )


class CrossEntropy(Loss):
    """L = -1/n * sum_i sum_j Y_ij * log(a_ij): categorical cross-entropy, mean over samples.

    Fused with softmax: log a = z - logsumexp(z), and dL/dz = (a - Y) / n.
    """

    name = "cross_entropy"
    fused_activation = Softmax

    def __call__(self, a: Array, Y: Array) -> float:
        return float(-(Y * np.log(np.maximum(a, _tiny(a)))).sum() / len(a))

    def grad(self, a: Array, Y: Array) -> Array:
        return -Y / np.maximum(a, _tiny(a)) / len(a)

    def from_logits(self, z: Array, Y: Array) -> float:
        # NOTE: log-sum-exp shifted by the row max: no exp overflows, no log(0).
        shifted = z - z.max(axis=1, keepdims=True)
        log_a = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-(Y * log_a).sum() / len(z))

    def delta(self, z: Array, a: Array, Y: Array) -> Array:
        return (a - Y) / len(z)

    def at_labels(self, a: Array, z: Array, labels: Array) -> float:
        """The mean loss for one-hot targets given as their classes, read from the softmax
        output a: L = -1/n * sum_i log(a[i, labels[i]]). Cheaper than ``from_logits``: n
        logarithms, no pass over every class.

        NOTE: a row whose a[i, labels[i]] is below the smallest normal number (its logit lies
        far below the row's largest, and the probability has rounded off) takes its loss from
        the logits z instead, so the value is ``from_logits``'s, to rounding, for any logits.
        Shapes: a, z (n, k), labels (n,) integers in 0..k-1 -> float
        """
        p = a[np.arange(len(a)), labels]
        small = p < _tiny(a)  # NOTE: False for NaN, which then propagates into the loss
        if not small.any():
            return float(-np.log(p).sum() / len(a))
        rest = -np.log(p[~small]).sum()
        Y_small = np.eye(a.shape[1], dtype=a.dtype)[labels[small]]
        return float((rest + self.from_logits(z[small], Y_small) * len(Y_small)) / len(a))

    def check_targets(self, Y: Array) -> None:
        _check_unit_interval(self, Y)


class BinaryCrossEntropy(Loss):
    """L = -mean(Y * log(a) + (1 - Y) * log(1 - a)) over all n * k elements.

    Fused with sigmoid: L = mean(softplus(z) - Y * z), with the stable
    softplus(z) = max(z, 0) + log1p(exp(-|z|)), and dL/dz = (a - Y) / (n * k).
    """

    name = "binary_cross_entropy"
    fused_activation = Sigmoid

    def __call__(self, a: Array, Y: Array) -> float:
        eps = np.finfo(a.dtype).eps
        a = np.clip(a, _tiny(a), 1 - eps)
        return float(-(Y * np.log(a) + (1 - Y) * np.log1p(-a)).mean())

    def grad(self, a: Array, Y: Array) -> Array:
        eps = np.finfo(a.dtype).eps
        a = np.clip(a, eps, 1 - eps)
        return (a - Y) / (a * (1 - a)) / a.size

    def from_logits(self, z: Array, Y: Array) -> float:
        softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        return float((softplus - Y * z).mean())

    def delta(self, z: Array, a: Array, Y: Array) -> Array:
        return (a - Y) / a.size

    def check_targets(self, Y: Array) -> None:
        _check_unit_interval(self, Y)


class MeanSquaredError(Loss):
    """L = mean((a - Y)**2) over all n * k elements;  dL/da = 2 * (a - Y) / (n * k)."""

    name = "mse"

    def __call__(self, a: Array, Y: Array) -> float:
        return float(np.square(a - Y).mean())

    def grad(self, a: Array, Y: Array) -> Array:
        return 2 * (a - Y) / a.size


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (CrossEntropy, BinaryCrossEntropy, MeanSquaredError)
}


def get(identifier: str | Loss) -> Loss:
    """A loss from a name (``"cross_entropy"``) or an instance (returned as is)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    try:
        return LOSSES[identifier]()
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown loss {identifier!r}; expected one of {sorted(LOSSES)} or a Loss instance"
        ) from None


def default_for(activation: ActivationFunction) -> Loss:
    """The loss that matches an output activation: softmax -> cross-entropy,
    sigmoid -> binary cross-entropy, anything else -> mean squared error."""
    if isinstance(activation, Softmax):
        return CrossEntropy()
    if isinstance(activation, Sigmoid):
        return BinaryCrossEntropy()
    return MeanSquaredError()
