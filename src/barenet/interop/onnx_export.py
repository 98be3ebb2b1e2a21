"""A barenet network as an ONNX graph, for onnxruntime and every other ONNX runtime.

Per layer l, the forward pass of ``network.py`` in ONNX operators:

    z{l} = Gemm(x, W{l}, b{l})        z = x @ W + b  (W is (h_{l-1}, h_l): no transpose)
    a{l} = f(z{l})                    Relu, LeakyRelu(alpha), Sigmoid, Tanh, Softmax(axis=-1);
                                      identity writes no node
The graph has one input, "input" (batch, d) with a dynamic batch, and one output,
"probabilities" ("output" for a regression network), both of the network's float dtype.
The architecture (as in a model file) and the barenet version are in ``metadata_props``.
Dropout is a training-time operation and leaves no trace in the graph.

NOTE: an ONNX float attribute is float32, so for a float64 network a LeakyReLU alpha that is not
a float32 number (0.01 is not) is written as PRelu with a float64 slope instead: the same
function, ``z if z >= 0 else slope * z``, to the last bit.

Built with onnx's helper API; needs the extra ``barenet[onnx]``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations
from .._files import atomic_write
from . import onnx_metadata, require_onnx, supported_activation

if TYPE_CHECKING:
    from ..network import DeepNeuralNetwork

OPSET = 17  # Softmax on one axis from 13, the opset most runtimes of 2022 and later read
#: the activations ONNX operators compute (``_activation``): the built-in ones
SUPPORTED = activations.BUILTIN
_OPERATORS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}  # no attributes


def _activation(
    act: Any, name: str, l: int, z: str, a: str, dtype: np.dtype[Any]
) -> tuple[list[Any], list[Any]]:
    """The nodes computing a = f(z) for layer l (none for identity), and the constants they read."""
    from onnx import helper, numpy_helper

    where = f"layer{l}/{name}"
    if name == "identity":
        return [], []
    if name == "softmax":
        return [helper.make_node("Softmax", [z], [a], axis=-1, name=where)], []
    if name == "leaky_relu":
        alpha = act.get_config()["alpha"]
        if dtype == np.float32 or float(np.float32(alpha)) == alpha:
            return [helper.make_node("LeakyRelu", [z], [a], alpha=alpha, name=where)], []
        slope = numpy_helper.from_array(np.array([alpha], dtype=dtype), f"slope{l}")
        return [helper.make_node("PRelu", [z, f"slope{l}"], [a], name=where)], [slope]
    return [helper.make_node(_OPERATORS[name], [z], [a], name=where)], []


def build_onnx(model: DeepNeuralNetwork) -> Any:
    """The ``onnx.ModelProto`` of ``model``, checked by ``onnx.checker``."""
    onnx = require_onnx()
    from onnx import helper, numpy_helper

    from .. import __version__

    elem = helper.np_dtype_to_tensor_dtype(model.dtype)
    output = "output" if model.task == "regression" else "probabilities"
    nodes, tensors = [], []
    x = "input"
    for l, layer in enumerate(model.layers[1:], start=1):
        act = layer.activation_function
        name = supported_activation(act, l, "ONNX", SUPPORTED)
        a = output if l == model.n_layers else f"a{l}"
        z = a if name == "identity" else f"z{l}"
        tensors += [
            numpy_helper.from_array(model.params[f"W{l}"], f"W{l}"),
            numpy_helper.from_array(model.params[f"b{l}"], f"b{l}"),
        ]
        # z = x @ W + b
        nodes.append(helper.make_node("Gemm", [x, f"W{l}", f"b{l}"], [z], name=f"layer{l}/gemm"))
        # a = f(z)
        more_nodes, more_tensors = _activation(act, name, l, z, a, model.dtype)
        nodes += more_nodes
        tensors += more_tensors
        x = a
    graph = helper.make_graph(
        nodes,
        "barenet",
        [helper.make_tensor_value_info("input", elem, ["batch", model.layers[0].size])],
        [helper.make_tensor_value_info(output, elem, ["batch", model.layers[-1].size])],
        initializer=tensors,
    )
    opset = [helper.make_opsetid("", OPSET)]
    proto = helper.make_model(
        graph,
        opset_imports=opset,
        ir_version=helper.find_min_ir_version_for(opset),  # readable by older runtimes too
        producer_name="barenet",
        producer_version=__version__,
        doc_string=f"{model!r}, exported by barenet {__version__}",
    )
    helper.set_model_props(proto, onnx_metadata.props(model))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def to_onnx(model: DeepNeuralNetwork, path: str | os.PathLike[str]) -> int:
    """Write ``model`` to ``path`` as an ONNX file, atomically (see the module docstring);
    returns the number of bytes written."""
    data = build_onnx(model).SerializeToString()
    with atomic_write(path) as f:
        f.write(data)
    return len(data)
