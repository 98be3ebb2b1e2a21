"""The forward pass: the layers, one after the other (guide, sections 2 and 6).

The network's parameters are one dict, ``params``, with the post's keys W1, b1, W2, b2, ...
For layer l = 1..L, ``params["W{l}"]`` has shape (h_{l-1}, h_l) and ``params["b{l}"]`` shape
(h_l,), where h_0 = d is the number of input features and h_L = k the number of outputs.
Rows are samples: the post stores samples as columns, so its W is our W.T and its W @ A is
our A @ W. For the post's network, d = 784, h_1 = 10 (ReLU) and k = 10 (softmax).
"""

from typing import NamedTuple

import numpy as np  # noqa: F401 (the learner's code may need it)

from barenet.activations import ActivationFunction, Array


class Step(NamedTuple):
    """What one layer's forward step keeps for the backward pass (07_backward.py)."""

    x: Array  # the layer's input: X for layer 1, else the previous layer's output
    z: Array  # the layer's pre-activation
    a: Array  # the layer's output: its activation of z


def forward(
    X: Array, params: dict[str, Array], activations: list[ActivationFunction]
) -> tuple[Array, list[Step]]:
    """Run X through the layers; return the last layer's output and one Step per layer.

    There are L = len(activations) layers. Layer l (1..L) takes its input x (X for layer 1,
    else the previous layer's output), computes its pre-activation z from x, W{l} and b{l}
    (one matrix product and the bias), then its output a = activations[l - 1].activate(z).
    Keep Step(x, z, a) for every layer, in order. Do not change params.

    Shapes: X (n, d) -> output (n, k); cache[l - 1].x (n, h_{l-1}), .z and .a (n, h_l)
    """
    # >>> forward
    cache: list[Step] = []
    x = X
    for l, activation in enumerate(activations, start=1):
        z = x @ params[f"W{l}"] + params[f"b{l}"]
        a = activation.activate(z)
        cache.append(Step(x, z, a))
        x = a
    return x, cache
    # <<<
