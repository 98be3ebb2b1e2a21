"""Backpropagation: every parameter's gradient in one sweep down the layers (guide, section 6).

The conventions of 05_forward.py hold: params["W{l}"] is (h_{l-1}, h_l), params["b{l}"] is
(h_l,), rows are samples, and cache[l - 1] is layer l's Step(x, z, a) from the forward pass.
"""

from typing import Any

import numpy as np  # noqa: F401 (the learner's code may need it)

from barenet.activations import ActivationFunction, Array


def backward(
    dz: Array,
    cache: list[Any],
    params: dict[str, Array],
    activations: list[ActivationFunction],
) -> dict[str, Array]:
    """The gradient of the loss for every parameter, from the output delta dz = dL/dz_L.

    cache is the list of Steps that forward returned (each with .x, .z and .a). Walk the
    layers from the last, L = len(activations), down to the first. At layer l, with dz its
    dL/dz:

    - grads["W{l}"] = dL/dW{l} and grads["b{l}"] = dL/db{l}, each of its parameter's shape.
      dz already holds the 1/n of the mean loss.
    - Then, unless l is 1, pass the delta down: dL/da of the layer below (through W{l}),
      and from it the dL/dz of the layer below (through that layer's activation's derive).

    Only compute: do not change params or cache.

    Shapes: dz (n, k) -> {"W{l}": (h_{l-1}, h_l), "b{l}": (h_l,)} for l = 1..L
    """
    # >>> backward
    grads: dict[str, Array] = {}
    for l in range(len(activations), 0, -1):
        grads[f"W{l}"] = cache[l - 1].x.T @ dz
        grads[f"b{l}"] = dz.sum(axis=0)
        if l > 1:
            below = cache[l - 2]
            da = dz @ params[f"W{l}"].T
            dz = activations[l - 2].derive(da, below.z, below.a)
    return grads
    # <<<
