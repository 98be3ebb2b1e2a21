"""Layer: the post's ``Layer { size, activation_function }``, a small spec with no math in it.

The network reads a list of layers: the first gives the input size (its activation is
ignored), each later one a fully connected layer of ``size`` units with its activation and,
optionally, its own weight initializer.
"""

from __future__ import annotations

from . import activations, initializers
from .activations import ActivationFunction
from .initializers import Initializer


class Layer:
    """A fully connected layer of ``size`` units.

    Parameters
    ----------
    size:
        Number of units (for the first layer: number of input features).
    activation_function:
        An ``ActivationFunction`` instance or a registered name such as ``"relu"``;
        None means identity.
    init:
        The weight initializer for this layer: a name such as ``"he_normal"`` or a callable
        ``(fan_in, fan_out, rng) -> array``. None leaves the choice to the network.
    """

    def __init__(
        self,
        size: int,
        activation_function: str | ActivationFunction | None = None,
        init: str | Initializer | None = None,
    ) -> None:
        if isinstance(size, bool) or not hasattr(size, "__index__") or int(size) < 1:
            raise ValueError(f"a layer's size must be a whole number >= 1; received {size!r}")
        self.size = int(size)
        self.activation_function = activations.get(activation_function)
        if init is not None:
            initializers.get(init)  # fail now, with the list of known names, not at init time
        self.init = init

    def __repr__(self) -> str:
        init = "" if self.init is None else f", init={initializers.name_of(self.init)!r}"
        return f"Layer({self.size}, {self.activation_function!r}{init})"
