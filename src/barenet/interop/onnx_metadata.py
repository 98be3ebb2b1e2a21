"""barenet's own description of a network, in an ONNX file's ``metadata_props``.

The graph holds what a runtime computes; what only training needs (the loss, each layer's
dropout and initializer, the learning rate, the training summary) and the exact activation
parameters (an ONNX float attribute is float32) travel as the model file's architecture JSON
(``saving.architecture``) under the key "barenet_architecture", beside "barenet_version".
``onnx_export`` writes them (``props``), refusing what a model file would refuse;
``onnx_import`` reads them back (``restore``) through the model file's own reader: strict JSON
(``_json.loads_strict``: no duplicate keys, NaN, oversized numbers or deep nesting), the same
architecture checks and the same builder (``saving._read_meta``, ``_check_architecture``,
``_build``: registry lookups only).

The metadata is optional, so the graph wins: metadata that fails those checks, or that does not
describe the layers the graph holds (someone edited the graph), is ignored with a
``DataWarning`` saying why, and the network is read from the graph alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations
from .._json import shorten
from ..exceptions import DataWarning, warn

if TYPE_CHECKING:
    from ..layers import Layer
    from ..network import DeepNeuralNetwork

ARCHITECTURE, VERSION = "barenet_architecture", "barenet_version"


def props(model: DeepNeuralNetwork) -> dict[str, str]:
    """The metadata_props of ``model``'s ONNX file; ``ModelFileError`` for an architecture a
    model file could not hold either (an unregistered loss, NaN in the learning rate...)."""
    from .. import __version__
    from ..saving import architecture, architecture_text

    text = architecture_text(model, architecture(model), f"cannot export {model!r}")
    return {ARCHITECTURE: text, VERSION: __version__}


def _same(a: activations.ActivationFunction, b: activations.ActivationFunction) -> bool:
    """The same activation, its parameters equal as float32 (the precision of an attribute)."""
    config = b.get_config()
    return type(a) is type(b) and all(
        np.float32(value) == np.float32(config[key]) for key, value in a.get_config().items()
    )


def _described(path: Path, text: str, layers: list[Layer], dtype: np.dtype[Any]) -> Any:
    """The network the metadata ``text`` describes (no parameters), if it describes ``layers``
    of ``dtype``; ``ModelFileError`` saying why not."""
    from ..saving import FORMAT, ModelFileError, _build, _check_architecture, _read_meta

    def differs(why: str) -> ModelFileError:
        return ModelFileError(f"{path}: the barenet metadata does not describe the graph: {why}")

    meta = _read_meta(path, {FORMAT: text})
    sizes = _check_architecture(path, meta)
    graph = [layer.size for layer in layers]
    if sizes != graph:
        raise differs(f"it says layers of {shorten(sizes)} units, the graph has {shorten(graph)}")
    if meta["dtype"] != dtype.name:
        raise differs(f"it says {meta['dtype']}, the graph computes {dtype}")
    model = _build(path, meta)
    for l, (mine, theirs) in enumerate(zip(model.layers[1:], layers[1:], strict=True), start=1):
        if not _same(mine.activation_function, theirs.activation_function):
            raise differs(
                f"layer {l}: it says {mine.activation_function!r}, the graph computes "
                f"{theirs.activation_function!r}"
            )
    return model


def restore(
    path: str, proto: Any, layers: list[Layer], dtype: np.dtype[Any]
) -> DeepNeuralNetwork | None:
    """The network barenet's metadata in ``proto`` describes, without parameters: the graph's
    ``layers`` of ``dtype`` with their exact activations, dropout and initializers, the loss,
    learning rate and training summary. None when there is no barenet metadata, and a
    DataWarning too when it cannot be read or does not describe these layers."""
    from ..saving import ModelFileError

    found = {p.key: p.value for p in proto.metadata_props}
    if ARCHITECTURE not in found:
        return None
    try:
        return _described(Path(path), found[ARCHITECTURE], layers, dtype)
    except ModelFileError as err:
        why = str(err).removeprefix(f"{path}: ").removeprefix(f"{path}, ")
        warn(
            f"{path}: barenet's metadata in this file is ignored ({why[:300]}): the graph's "
            "layers are used, with the default loss and no training summary",
            DataWarning,
        )
        return None
