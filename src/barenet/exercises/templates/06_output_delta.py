"""Where backpropagation starts: the output layer's delta (guide, sections 5 and 6).

The post's network ends in a softmax, and its loss is the mean cross-entropy over the n
samples of a batch:

    L = -1/n * (the sum over samples r and classes j of Y[r, j] * log(a[r, j]))

with a = softmax(z) row by row and Y one-hot rows (a 1 in the column of the right class).
"""

import numpy as np  # noqa: F401 (the learner's code may need it)

from barenet.activations import Array


def softmax_cross_entropy_delta(z: Array, a: Array, Y: Array) -> Array:
    """dL/dz of the output layer: how the loss changes with each logit z[r, j].

    a is softmax(z). Work it out through both the loss and the softmax: the long chain of
    derivatives cancels to something very short. Section 6 of the guide ("_output_delta")
    has it, if you are stuck.

    Shapes: z, a, Y (n, k) -> dz (n, k)
    """
    # >>> output_delta
    return (a - Y) / len(z)
    # <<<
