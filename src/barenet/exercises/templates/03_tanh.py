"""Tanh, the sigmoid's zero-centred cousin (guide, section 3).

It maps any number into (-1, 1), and tanh(0) = 0. The class subclasses barenet's
``ActivationFunction``, like ReLU in 01_relu.py.
"""

import numpy as np

from barenet.activations import ActivationFunction, Array


class Tanh(ActivationFunction):
    """The hyperbolic tangent: a = tanh(z), element by element."""

    def activate(self, z: Array) -> Array:
        """a = tanh(z) = (exp(z) - exp(-z)) / (exp(z) + exp(-z)) for every element of z.

        It must stay finite, and give the right answer, for any z: the check tries z = -1000
        and z = 1000.

        Shapes: z (n, h) -> a (n, h)
        """
        # >>> tanh_activate
        return np.tanh(z)
        # <<<

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        """dL/dz from da = dL/da; a is activate(z).

        da times the slope f'(z), element by element. Work out the slope of tanh; like the
        sigmoid's, it can be written with a alone.

        Shapes: da, z, a (n, h) -> dz (n, h)
        """
        # >>> tanh_derive
        return da * (1.0 - a * a)
        # <<<
