"""ReLU, the activation of the post's hidden layer (guide, section 3).

An activation is a small class with two methods, each derivative next to its function:
``activate(z)`` is the forward step and ``derive(da, z, a)`` the backward step. Both work on a
whole batch at once: z holds one row per sample and one column per unit, and ReLU treats every
element on its own. The class subclasses barenet's ``ActivationFunction``, so once it passes it
can go into a real network: ``Layer(10, ReLU())``.
"""

import numpy as np

from barenet.activations import ActivationFunction, Array


class ReLU(ActivationFunction):
    """The rectified linear unit: a = max(z, 0), element by element."""

    def activate(self, z: Array) -> Array:
        """a = max(z, 0) for every element of z: z where z is positive, else 0.

        Return a new array: the network keeps z for the backward pass, so leave z as it is.

        Shapes: z (n, h) -> a (n, h)
        """
        # >>> relu_activate
        return np.maximum(z, 0)
        # <<<

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        """dL/dz from da = dL/da, the chain rule's next link; a is activate(z).

        da is the gradient of the loss with respect to this layer's output a; return the
        gradient with respect to its input z. For an element-wise function that is da times
        f'(z), element by element. Work out ReLU's slope f'(z) (take it as 0 at z = 0).

        Shapes: da, z, a (n, h) -> dz (n, h)
        """
        # >>> relu_derive
        return da * (z > 0)
        # <<<
