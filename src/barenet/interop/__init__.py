"""Take a model anywhere: ONNX out and in, scikit-learn's MLPs in, a static web page out.

    model.to_onnx("digits.onnx")            onnx_export.py   (extra barenet[onnx])
    barenet.from_onnx("digits.onnx")        onnx_import.py   (extra barenet[onnx])
      ... its tensors in digits.onnx.data   onnx_external.py (the files beside it, read bounded)
    barenet.from_sklearn(mlp)               sklearn_import.py (a fitted MLPClassifier/Regressor)
    barenet export MODEL --html page.html   html_export.py   (nothing but NumPy)

The exporters return what they wrote; ``barenet export`` (``cli/delegated.py``) prints it.
Every exporter walks the layers once, the way ``saving.architecture`` does: one short loop over
(W{l}, b{l}, activation), refusing an activation it cannot write (``supported_activation``).
Every importer ends in ``build_network``: a plain ``DeepNeuralNetwork`` built without drawing
random weights, its ``params`` the weights read, checked first. Optional packages are imported
only inside the function that needs them.
Left out: convolutions, recurrent layers, anything that is not a stack of dense layers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .._json import shorten
from ..activations import ActivationFunction

if TYPE_CHECKING:
    from ..layers import Layer
    from ..network import DeepNeuralNetwork


def supported_activation(
    act: ActivationFunction, l: int, target: str, supported: Mapping[str, type]
) -> str:
    """The name of layer ``l``'s activation, or a ValueError: an exporter writes the math of a
    fixed set of barenet's built-in activations (``supported``, name -> class) again in the
    target's terms, so it cannot take another class, registered or not (a subclass may change
    the math, so it is not taken for its base)."""
    if supported.get(act.name) is not type(act):
        raise ValueError(
            f"layer {l}: the activation {type(act).__name__} ({shorten(act.name)}) cannot be "
            f"written in {target}, which has only barenet's built-in {sorted(supported)}"
        )
    return act.name


def build_network(
    layers: Sequence[Layer],
    weights: Sequence[tuple[Any, Any]],
    error: type[Exception],
    what: str,
    **options: Any,
) -> DeepNeuralNetwork:
    """The network of ``layers`` whose parameters are ``weights``, [(W1, b1), (W2, b2), ...].

    Built with ``_init=False`` (no random weights drawn, then thrown away); ``options`` are the
    network's own (dtype, loss, learning_rate). Each weight is converted to the network's dtype
    and checked first: W{l} must be (h_{l-1}, h_l) and b{l} (h_l,), with finite values, or
    ``error`` says which, prefixed with ``what`` (the file, or "the estimator").
    Shapes: weights[l-1] = (W{l} (h_{l-1}, h_l), b{l} (h_l,)) for l = 1..L.
    """
    from ..network import DeepNeuralNetwork

    model = DeepNeuralNetwork(layers, **options, _init=False)
    set_params(model, weights, error, what)
    return model


def set_params(
    model: DeepNeuralNetwork, weights: Sequence[tuple[Any, Any]], error: type[Exception], what: str
) -> None:
    """``model.params`` from ``weights``, each converted and checked as ``build_network`` says."""
    layers = model.layers
    if len(weights) != model.n_layers:
        raise error(f"{what}: {len(weights)} weight matrices for {model.n_layers} layers")
    params: dict[str, np.ndarray] = {}
    for l, (W, b) in enumerate(weights, start=1):
        shapes = {f"W{l}": (layers[l - 1].size, layers[l].size), f"b{l}": (layers[l].size,)}
        for (key, shape), value in zip(shapes.items(), (W, b), strict=True):
            with np.errstate(over="ignore"):  # NOTE: float64 -> float32 may overflow: see below
                value = np.ascontiguousarray(value, dtype=model.dtype)
            if value.shape != shape:
                raise error(
                    f"{what}: {key} has shape {list(value.shape)}; layer {l} needs {list(shape)}"
                )
            if not np.isfinite(value).all():
                raise error(
                    f"{what}: {key} (layer {l}) holds NaN or infinite values in {model.dtype}; "
                    "a network computes nothing useful with them"
                )
            params[key] = value
    model.params = params


def require_onnx() -> ModuleType:
    """The ``onnx`` package, or an ImportError naming the extra that installs it."""
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f"ONNX export and import need the onnx package, which is not installed ({exc}); "
            "install it with: pip install 'barenet[onnx]'"
        ) from exc
    return onnx
