"""Layer: the post's ``Layer { size, activation_function }``, a small spec with no math in it.

The network reads a list of layers: the first gives the input size (its activation is
ignored), each later one a fully connected layer of ``size`` units with its activation and,
optionally, its own weight initializer. ``parse_layers`` reads a list of layers written as
text, ``"784,256:relu,10:softmax"``: the syntax of ``barenet train --layers`` and of the lab.
"""

from __future__ import annotations

from . import activations, initializers
from ._config import find
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


LAYERS_EXAMPLE = "784,256:relu,10:softmax"
_MAX_SIZE_DIGITS = 9  # a layer of a billion units is no layer


def parse_layers(spec: str, name: str = "layers") -> list[Layer]:
    """``"784,256:relu,10:softmax"`` -> layers: comma-separated entries ``SIZE[:ACTIVATION]``,
    the first being the input size. A hidden layer without an activation gets relu, the
    output layer softmax; activation names are found in any case, as ``activations.get`` finds
    them.

    Raises ValueError naming the entry, what it held and what is allowed; each message starts
    with ``name``, the way the caller calls the spec (``--layers`` for the CLI).
    """
    if not isinstance(spec, str):
        raise ValueError(f"{name} must be a string such as {LAYERS_EXAMPLE!r}")
    parts = [p.strip() for p in spec.split(",")]
    if len(parts) < 2:
        raise ValueError(
            f"{name} needs the input size and at least one layer, e.g. {LAYERS_EXAMPLE}; "
            f"received {_quoted(spec)}"
        )
    layers = []
    for i, part in enumerate(parts):
        if not part:
            raise ValueError(
                f"{name} entry {i + 1} of {len(parts)} is empty; write SIZE or "
                f"SIZE:ACTIVATION between the commas, e.g. {LAYERS_EXAMPLE}"
            )
        size, colon, activation = (p.strip() for p in part.partition(":"))
        entry = f"{name} entry {_quoted(part)}"
        # NOTE: ASCII digits only: str.isdigit is also true for "²", which int() refuses
        digits = size.isascii() and size.isdigit() and len(size) <= _MAX_SIZE_DIGITS
        if not digits or int(size) < 1:
            raise ValueError(
                f"{entry}: the size must be a whole number >= 1 (at most {_MAX_SIZE_DIGITS} "
                f"digits), e.g. 256; received {_quoted(size)}"
            )
        if colon and find(activations.ACTIVATIONS, activation) is None:
            raise ValueError(
                f"{entry}: unknown activation {_quoted(activation)}; write SIZE or "
                f"SIZE:ACTIVATION with one of {sorted(activations.ACTIVATIONS)} (any case)"
            )
        default = None if i == 0 else ("softmax" if i == len(parts) - 1 else "relu")
        layers.append(Layer(int(size), activation if colon else default))
    return layers


def _quoted(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut short: a spec may be as long as a command line."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."
