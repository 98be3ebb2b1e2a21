"""Sigmoid, the squashing function of the first neural networks (guide, section 3).

It maps any number into (0, 1). The class subclasses barenet's ``ActivationFunction``, like
ReLU in 01_relu.py.
"""

import numpy as np

from barenet.activations import ActivationFunction, Array


class Sigmoid(ActivationFunction):
    """The logistic function: a = 1 / (1 + exp(-z)), element by element."""

    def activate(self, z: Array) -> Array:
        """a = 1 / (1 + exp(-z)) for every element of z.

        It must stay finite, and give the right answer, for any z: the check tries z = -1000
        and z = 1000, where exp of a large positive number is inf in floating point.

        Shapes: z (n, h) -> a (n, h)
        """
        # >>> sigmoid_activate
        # NOTE: exp(-z) overflows for very negative z; exp(-|z|) never does.
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)
        # <<<

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        """dL/dz from da = dL/da; a is activate(z).

        As for ReLU: da times the slope f'(z), element by element. Work out the sigmoid's
        slope; it can be written with a alone, which is why a is passed in.

        Shapes: da, z, a (n, h) -> dz (n, h)
        """
        # >>> sigmoid_derive
        return da * a * (1.0 - a)
        # <<<
