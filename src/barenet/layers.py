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
    dropout:
        While training, each of this layer's outputs is zeroed with this probability and the
        rest scaled by 1 / (1 - dropout) ("inverted dropout"), so nothing changes at
        prediction time. On the input layer it drops input features. Not on the output layer.
    """

    def __init__(
        self,
        size: int,
        activation_function: str | ActivationFunction | None = None,
        init: str | Initializer | None = None,
        dropout: float = 0.0,
    ) -> None:
        if isinstance(size, bool) or not hasattr(size, "__index__") or int(size) < 1:
            raise ValueError(f"a layer's size must be a whole number >= 1; received {size!r}")
        self.size = int(size)
        self.activation_function = activations.get(activation_function)
        if init is not None:
            initializers.get(init)  # fail now, with the list of known names, not at init time
        self.init = init
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"a layer's dropout must be in [0, 1); received {dropout!r}")
        self.dropout = float(dropout)

    def __repr__(self) -> str:
        init = "" if self.init is None else f", init={initializers.name_of(self.init)!r}"
        dropout = f", dropout={self.dropout}" if self.dropout else ""
        return f"Layer({self.size}, {self.activation_function!r}{init}{dropout})"
