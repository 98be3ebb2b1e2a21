"""Gradient descent, plain and with momentum (guide, section 7).

``params`` and ``grads`` are dicts with the same keys (W1, b1, W2, ...); grads[key] has the
shape of params[key]. A step changes the arrays in ``params`` (or replaces its entries) and
returns nothing: the network reads its parameters from that same dict.
"""

import numpy as np  # noqa: F401 (the learner's code may need it)

from barenet.activations import Array


def sgd_step(params: dict[str, Array], grads: dict[str, Array], learning_rate: float) -> None:
    """One step of plain gradient descent, the post's update: move every parameter a step of
    learning_rate times its gradient, downhill (the gradient points uphill).

    Shapes: params[key] and grads[key] alike, for every key
    """
    # >>> sgd_step
    for key, p in params.items():
        p -= learning_rate * grads[key]
    # <<<


def momentum_step(
    params: dict[str, Array],
    grads: dict[str, Array],
    velocity: dict[str, Array],
    learning_rate: float,
    momentum: float,
) -> None:
    """One step of gradient descent with momentum (PyTorch's form).

    Every parameter has a velocity v: a running sum of its gradients g that fades by the
    factor momentum at every step, v = momentum * v + g. The parameter then moves a step of
    learning_rate times v, downhill. velocity holds v for every key (zeros before the first
    step); keep the new v in it for the next step.

    Shapes: params[key], grads[key] and velocity[key] alike, for every key
    """
    # >>> momentum_step
    for key, p in params.items():
        v = velocity[key]
        v *= momentum
        v += grads[key]
        p -= learning_rate * v
    # <<<
