"""barenet's own description of a network, in an ONNX file's ``metadata_props``.

The graph holds what a runtime computes; what only training needs (the loss, each layer's
dropout and initializer, the learning rate, the training summary) and the exact activation
parameters (an ONNX float attribute is float32) travel as the model file's architecture JSON
(``saving.architecture``) under the key "barenet_architecture", beside "barenet_version".
``onnx_export`` writes them, ``onnx_import`` reads them back through ``restore``, with registry
lookups only, and only when they describe the layers the graph holds.
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations, losses
from ..exceptions import DataWarning

if TYPE_CHECKING:
    from ..layers import Layer
    from ..network import DeepNeuralNetwork

ARCHITECTURE, VERSION = "barenet_architecture", "barenet_version"


def props(model: DeepNeuralNetwork) -> dict[str, str]:
    """The metadata_props of ``model``'s ONNX file."""
    from .. import __version__
    from ..saving import architecture

    return {ARCHITECTURE: json.dumps(architecture(model)), VERSION: __version__}


def _same(a: activations.ActivationFunction, b: activations.ActivationFunction) -> bool:
    """The same activation, its parameters equal as float32 (the precision of an attribute)."""
    config = b.get_config()
    return type(a) is type(b) and all(
        np.float32(value) == np.float32(config[key]) for key, value in a.get_config().items()
    )


def restore(path: str, proto: Any, layers: list[Layer]) -> dict[str, Any] | None:
    """What the metadata of ``proto`` adds to the graph's ``layers``: {layers (with their exact
    activations, dropout and initializers), loss, learning_rate, training}; None when it has no
    barenet metadata, and a DataWarning too when the metadata does not describe these layers."""
    from ..initializers import INITIALIZERS
    from ..layers import Layer

    found = {p.key: p.value for p in proto.metadata_props}
    if ARCHITECTURE not in found:
        return None
    try:
        meta = json.loads(found[ARCHITECTURE])
        specs = meta["layers"]
        if [spec["size"] for spec in specs] != [layer.size for layer in layers]:
            raise ValueError("its layer sizes differ from the graph's")
        restored = [layers[0]]
        for spec, layer in zip(specs[1:], layers[1:], strict=True):
            act = activations.ACTIVATIONS[spec["activation"]](**spec["activation_config"])
            if not _same(act, layer.activation_function):
                raise ValueError(
                    f"it says {act!r}, the graph computes {layer.activation_function!r}"
                )
            init = spec.get("init") if spec.get("init") in INITIALIZERS else None
            restored.append(Layer(layer.size, act, init=init, dropout=spec["dropout"]))
        return {
            "layers": restored,
            "loss": losses.LOSSES[meta["loss"]](**meta["loss_config"]),
            "learning_rate": float(meta["learning_rate"]),
            "training": dict(meta.get("training") or {}),
        }
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as err:
        warnings.warn(
            f"{path}: barenet's metadata in this file does not describe its graph "
            f"({type(err).__name__}: {err}); the graph's layers are used, with the default loss "
            "and no training summary",
            DataWarning,
            stacklevel=4,  # from_onnx's caller
        )
        return None
