"""Softmax, the post's output layer: ten numbers become ten probabilities (guide, section 4).

Unlike the element-wise activations, softmax works on a whole row at once: each row of z holds
the k logits of one sample, and becomes k positive numbers that sum to 1.

``derive`` is not an exercise: paired with cross-entropy, the loss computes the output layer's
delta directly from z (06_output_delta.py), so training never calls it.
"""

import numpy as np

from barenet.activations import ActivationFunction, Array


class Softmax(ActivationFunction):
    """a_j = exp(z_j) / sum_i exp(z_i), row by row."""

    def activate(self, z: Array) -> Array:
        """a[r, j] = exp(z[r, j]) / (the sum over the row's k columns i of exp(z[r, i])).

        Logits can be large: the check tries a row [1000, 1001, 1002], whose exp is inf in
        float64, and rows of very different sizes in one batch. Adding the same number to every
        logit of a row does not change its softmax; section 4 of the guide shows why that
        matters.

        Shapes: z (n, k) -> a (n, k), each row summing to 1
        """
        # >>> softmax_activate
        # NOTE: shift by the row max, or exp overflows; the result is the same.
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
        # <<<
