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

Non-finite values never raise here (``fit`` checks each batch's loss and reports divergence):
a NaN in a, z or Y gives a NaN loss, never a finite number; an infinite logit gives its limit
where one exists (a -inf logit with target 0 costs exactly 0, with a target > 0 it costs +inf),
and NaN where none does. Each method's docstring says what it does with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._config import Configurable, find
from .activations import ActivationFunction, Array, Sigmoid, Softmax


def _tiny(a: Array) -> Any:
    """The smallest positive normal number of a's dtype: log(tiny) is finite."""
    return np.finfo(a.dtype).tiny


def _times(w: Array, v: Array) -> Array:
    """w * v, with 0 * inf taken as 0: a term that its target weighs 0 costs nothing.

    NOTE: the plain product gives NaN for 0 * inf, e.g. for a class whose logit is -inf
    (log a = -inf) and whose target is 0; the true contribution is 0.
    """
    return w * np.where(w != 0, v, 0)


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
        """Raise ValueError when Y holds values this loss cannot take (any, by default)."""


def _check_unit_interval(loss: Loss, Y: Array) -> None:
    bad = (Y < 0) | (Y > 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{loss.name} needs targets in [0, 1]; found {float(Y[row, col]):g} at row {row}, "
            f"column {col}. Pass class labels (n,) or one-hot / multi-hot rows (n, k)."
        )


def _check_rows_sum_to_one(loss: Loss, Y: Array) -> None:
    """Each row a probability distribution, within sqrt(eps) of Y's float type: the rounding
    of soft labels made in another precision passes, a row summing to 0 or 2 does not."""
    eps = np.finfo(Y.dtype if Y.dtype.kind == "f" else np.float64).eps
    sums = Y.sum(axis=1, dtype=np.float64)
    bad = np.abs(sums - 1) > np.sqrt(eps)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"{loss.name} needs each target row to sum to 1 (one class, or probabilities); "
            f"row {row} sums to {sums[row]:g}. Pass class labels (n,), or use a sigmoid "
            "output (binary cross-entropy) for several labels per sample."
        )


class CrossEntropy(Loss):
    """L = -1/n * sum_i sum_j Y_ij * log(a_ij): categorical cross-entropy, mean over samples.

    Fused with softmax: log a = z - logsumexp(z), and dL/dz = (a - Y) / n.
    Targets: rows in [0, 1] that sum to 1 (one-hot, or probabilities such as soft labels).
    """

    name = "cross_entropy"
    fused_activation = Softmax

    def __call__(self, a: Array, Y: Array) -> float:
        """a is clipped below at the dtype's tiny, so a = 0 with a target > 0 costs
        -log(tiny) (87.3 in float32, 708 in float64), not inf; a NaN in a or Y gives NaN."""
        return float(-(Y * np.log(np.maximum(a, _tiny(a)))).sum() / len(a))

    def grad(self, a: Array, Y: Array) -> Array:
        """-Y / a / n, with a clipped as in ``__call__``: finite for any a >= 0; NaN stays NaN."""
        return -Y / np.maximum(a, _tiny(a)) / len(a)

    def from_logits(self, z: Array, Y: Array) -> float:
        """Exact for finite z of any size. A -inf logit costs 0 when its target is 0 and +inf
        when it is > 0; a row holding NaN or +inf (or only -inf) gives NaN."""
        # NOTE: log-sum-exp shifted by the row max: no exp overflows, no log(0).
        shifted = z - z.max(axis=1, keepdims=True)
        log_a = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-_times(Y, log_a).sum() / len(z))

    def delta(self, z: Array, a: Array, Y: Array) -> Array:
        """(a - Y) / n: finite wherever softmax's a is, so for -inf logits among finite ones."""
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
        _check_rows_sum_to_one(self, Y)


class BinaryCrossEntropy(Loss):
    """L = -mean(Y * log(a) + (1 - Y) * log(1 - a)) over all n * k elements.

    Fused with sigmoid: since -log(sigmoid(z)) = softplus(-z) and -log(1 - sigmoid(z)) =
    softplus(z), L = mean(Y * softplus(-z) + (1 - Y) * softplus(z)), with the stable
    softplus(z) = max(z, 0) + log1p(exp(-|z|)), and dL/dz = (a - Y) / (n * k).
    Targets: values in [0, 1] (0/1 labels, or probabilities), one column per label.
    """

    name = "binary_cross_entropy"
    fused_activation = Sigmoid

    def __call__(self, a: Array, Y: Array) -> float:
        """a is clipped to [tiny, 1 - eps], so any a, even 0, 1 or +-inf, gives a finite loss
        (each term at most -log(tiny)); a NaN in a or Y gives NaN."""
        eps = np.finfo(a.dtype).eps
        a = np.clip(a, _tiny(a), 1 - eps)
        return float(-(Y * np.log(a) + (1 - Y) * np.log1p(-a)).mean())

    def grad(self, a: Array, Y: Array) -> Array:
        """Finite for any a (clipped to [eps, 1 - eps]); NaN stays NaN."""
        eps = np.finfo(a.dtype).eps
        a = np.clip(a, eps, 1 - eps)
        return (a - Y) / (a * (1 - a)) / a.size

    def from_logits(self, z: Array, Y: Array) -> float:
        """Exact for finite z of any size. An infinite logit costs 0 when it agrees with its
        target (+inf with 1, -inf with 0) and +inf otherwise; a NaN in z or Y gives NaN."""
        tail = np.log1p(np.exp(-np.abs(z)))
        softplus_z = np.maximum(z, 0) + tail  # -log(1 - a)
        softplus_minus_z = np.maximum(-z, 0) + tail  # -log(a)
        # NOTE: _times: an infinite logit with a target of exactly 0 or 1 adds 0, not NaN
        return float((_times(Y, softplus_minus_z) + _times(1 - Y, softplus_z)).mean())

    def delta(self, z: Array, a: Array, Y: Array) -> Array:
        """(a - Y) / (n * k): finite wherever sigmoid's a is, which is for every z but NaN."""
        return (a - Y) / a.size

    def check_targets(self, Y: Array) -> None:
        _check_unit_interval(self, Y)


class MeanSquaredError(Loss):
    """L = mean((a - Y)**2) over all n * k elements;  dL/da = 2 * (a - Y) / (n * k)."""

    name = "mse"

    def __call__(self, a: Array, Y: Array) -> float:
        """+inf for an infinite a (or a finite a far enough off to overflow); NaN stays NaN."""
        return float(np.square(a - Y).mean())

    def grad(self, a: Array, Y: Array) -> Array:
        """+-inf where a is infinite; NaN stays NaN."""
        return 2 * (a - Y) / a.size


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (CrossEntropy, BinaryCrossEntropy, MeanSquaredError)
}


def get(identifier: str | Loss) -> Loss:
    """A loss from a name or an instance (returned as is). Names match in any case, and class
    names too: "cross_entropy", "CrossEntropy", "mse", "MeanSquaredError"."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    cls = find(LOSSES, identifier)
    if cls is None:
        raise ValueError(
            f"unknown loss {identifier!r}; expected one of {sorted(LOSSES)} (any case, or the "
            "class name), a Loss instance, or your own class after barenet.register"
        )
    return cls()


def default_for(activation: ActivationFunction) -> Loss:
    """The loss that matches an output activation: softmax -> cross-entropy,
    sigmoid -> binary cross-entropy, anything else -> mean squared error."""
    if isinstance(activation, Softmax):
        return CrossEntropy()
    if isinstance(activation, Sigmoid):
        return BinaryCrossEntropy()
    return MeanSquaredError()
