"""The post's network, trained by nothing but the learner's code.

Once every exercise passes, ``train`` builds the post's network (d inputs, 10 ReLU units,
10 softmax outputs) from the learner's workbook and runs full-batch gradient descent, the post's
training, one line per step:

    params = he_normal(...) for every W, zeros for every b       (exercise 14)
    a, cache = forward(X, params, [ReLU(), Softmax()])           (exercises 1, 7, 8)
    dz = softmax_cross_entropy_delta(cache[-1].z, a, Y)          (exercise 9)
    grads = backward(dz, cache, params, activations)             (exercises 2, 10)
    sgd_step(params, grads, learning_rate)                       (exercise 11)

barenet itself only loads the data, reports the loss (its ``CrossEntropy.from_logits``) and
counts the right answers. Sigmoid, Tanh, momentum and Adam are checked but not used: the post's
network has no place for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from ..activations import Array
from ..losses import CrossEntropy
from .kit import Fail, Workbook, describe_exception
from .workbook import DEFAULT_ITERATIONS


class WorkbookError(ValueError):
    """The learner's code failed, or diverged, while it trained the network."""


@dataclass
class TrainResult:
    """What training with the learner's code gave."""

    accuracy: float  # on the test set
    losses: list[float] = field(default_factory=list)  # the training loss at each report


def train(
    directory: str | os.PathLike[str],
    X: Array,
    y: Any,
    X_test: Array,
    y_test: Any,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    learning_rate: float = 0.1,
    hidden: int = 10,
    seed: int = 0,
    every: int = 50,
    report: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train the post's network with the learner's code and return its test accuracy.

    ``report(updates, loss)`` gives the training loss after 0, every, 2 * every, ... updates
    and after the last; ``losses`` keeps the same numbers.
    Shapes: X (n, d) float32, y (n,) labels 0..k-1; X_test (m, d), y_test (m,)
    Raises WorkbookError when the learner's code raises or the loss is not finite.
    """
    workbook = Workbook(os.fspath(directory))
    k = int(max(np.max(y), np.max(y_test))) + 1
    Y = np.eye(k, dtype=np.float32)[np.asarray(y)]
    losses: list[float] = []
    step = "building the network"
    try:
        relu = workbook.get("01_relu.py", "ReLU")()
        softmax = workbook.get("04_softmax.py", "Softmax")()
        forward = workbook.get("05_forward.py", "forward")
        delta = workbook.get("06_output_delta.py", "softmax_cross_entropy_delta")
        backward = workbook.get("07_backward.py", "backward")
        sgd_step = workbook.get("08_gradient_descent.py", "sgd_step")
        he_normal = workbook.get("10_he_normal.py", "he_normal")
        rng = np.random.default_rng(seed)
        params: dict[str, Array] = {}
        for l, (fan_in, fan_out) in enumerate(pairwise((X.shape[1], hidden, k)), start=1):
            params[f"W{l}"] = np.asarray(he_normal(fan_in, fan_out, rng), dtype=np.float32)
            params[f"b{l}"] = np.zeros(fan_out, dtype=np.float32)
        activations = [relu, softmax]

        def loss_of(z: Array, updates: int) -> None:
            loss = CrossEntropy().from_logits(np.asarray(z, dtype=np.float64), Y)
            if not np.isfinite(loss):
                raise WorkbookError(f"the loss became {loss} after {updates} updates: it diverged")
            losses.append(loss)
            if report is not None:
                report(updates, loss)

        for i in range(iterations):
            step = f"iteration {i + 1}"
            a, cache = forward(X, params, activations)
            if i % every == 0:
                loss_of(cache[-1].z, i)
            grads = backward(delta(cache[-1].z, a, Y), cache, params, activations)
            sgd_step(params, grads, learning_rate)
        step = "computing the final loss"
        loss_of(forward(X, params, activations)[1][-1].z, iterations)
        step = "predicting the test set"
        probabilities, _ = forward(X_test, params, activations)
    except WorkbookError:
        raise
    except Fail as fail:
        raise WorkbookError(f"while {step}: {fail}") from None
    except Exception as err:
        why = describe_exception(err, workbook.directory, {})
        raise WorkbookError(f"while {step}: {why}") from err
    accuracy = float((np.argmax(probabilities, axis=1) == np.asarray(y_test)).mean())
    return TrainResult(accuracy, losses)
