"""An ONNX file of dense layers as a barenet network: ``barenet.from_onnx(path)``.

What it reads: one chain from the graph's one input to its one output, of

    Gemm(x, B, C) (transA=0; transB 0 or 1; alpha, beta)   or   MatMul(x, W) then Add(., b)
    -> Relu | LeakyRelu(alpha) | PRelu(one slope) | Sigmoid | Tanh | Softmax(last axis) | nothing
with Identity, Flatten(axis=1) and Reshape to (-1 or 0, width) passing the tensor on unchanged.
That is what barenet's own ``to_onnx`` writes and what both of PyTorch's exporters
(``torch.onnx.export`` with ``dynamo=False`` and ``dynamo=True``) write for an ``nn.Sequential``
of ``Linear``, ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``Flatten``, ``Dropout`` (gone in
eval mode) and a final ``Softmax`` or nothing. Weights are initializers, graph inputs with an
initializer (``keep_initializers_as_inputs``) or ``Constant`` nodes, float32 or float64 like the
input. A barenet export's metadata brings back the loss, dropout, initializers, learning rate and
training summary; it is read as strictly as a model file's (``onnx_metadata``), and metadata that
fails those checks or does not describe the layers the graph holds is ignored with a DataWarning.

Tensors kept in a file beside the model (``external_data``: what the dynamo exporter writes by
default, ``NAME.onnx.data``) are read from the model file's own directory only, each range
checked against the tensor's declared size and the file before anything is allocated (see
``onnx_external``).

Reading never runs code: the file passes the bounded reader (regular file, at most MAX_BYTES),
protobuf parses the bytes, and only the operators above, in the standard domain, are
interpreted by this module. Local functions, other domains, sparse tensors, tensors whose
declared size differs from their bytes and tensors with a zero dimension are refused before
any array is made; each attribute must be of its operator's type (a FLOAT alpha or beta, an INT
axis, transA, transB, allowzero, these last three 0 or 1), a float one finite. The network is
built without drawing random weights (``interop.build_network``), from weights checked to be
finite, alpha and beta applied.
Everything else is refused with ``ModelFileError`` naming the file, the first node that cannot
be read and why. Needs the extra ``barenet[onnx]``.
"""

from __future__ import annotations

import os
from math import prod
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from .. import activations
from .._files import read_bounded
from ..saving import ModelFileError
from . import build_network, onnx_metadata, require_onnx, set_params
from .onnx_external import ExternalData

if TYPE_CHECKING:
    from ..network import DeepNeuralNetwork

MAX_BYTES = 256 * 2**20  # 64 million float32 parameters, far more than any dense network here
MAX_EXTERNAL_BYTES = MAX_BYTES  # each external data file, and all the tensors read from them
MIN_OPSET = 7  # Gemm's C broadcasts from 7; Softmax before 13 is the same on (batch, width)
_FLOAT, _INT64, _DOUBLE = 1, 7, 11  # TensorProto.DataType values
_DTYPES: dict[int, np.dtype[Any]] = {
    _FLOAT: np.dtype("<f4"),
    _DOUBLE: np.dtype("<f8"),
    _INT64: np.dtype("<i8"),
}
_FIELDS = {_FLOAT: "float_data", _DOUBLE: "double_data", _INT64: "int64_data"}


def _type_name(code: int) -> str:
    """An ONNX TensorProto data type by name ("bool" for 9), or by number if it has none."""
    from onnx import TensorProto

    try:
        return f"data type {TensorProto.DataType.Name(code).lower()}"
    except ValueError:
        return f"data type {code}"


_ACTIVATIONS = {"Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Softmax"}
_FLOAT_ATTR, _INT_ATTR, _TENSOR_ATTR = 1, 2, 4  # AttributeProto.AttributeType values
_ATTRIBUTE_TYPES = {_FLOAT_ATTR: "FLOAT", _INT_ATTR: "INT", _TENSOR_ATTR: "TENSOR"}
# the operators read, each with the attributes it may carry and their types
_ATTRIBUTES: dict[str, dict[str, int]] = {
    "Gemm": {"alpha": _FLOAT_ATTR, "beta": _FLOAT_ATTR, "transA": _INT_ATTR, "transB": _INT_ATTR},
    "MatMul": {},
    "Add": {},
    "LeakyRelu": {"alpha": _FLOAT_ATTR},
    "Softmax": {"axis": _INT_ATTR},
    "Flatten": {"axis": _INT_ATTR},
    "Reshape": {"allowzero": _INT_ATTR},
    "Constant": {"value": _TENSOR_ATTR},
    **{op: {} for op in ("Relu", "PRelu", "Sigmoid", "Tanh", "Identity")},
}
_FLAGS = {"transA", "transB", "allowzero"}  # INT attributes whose only values are 0 and 1


def from_onnx(path: str | os.PathLike[str]) -> DeepNeuralNetwork:
    """The network an ONNX file of dense layers computes (see the module docstring).

    Tensors kept in external data files (``NAME.onnx.data``) are read from the model file's own
    directory. Raises ``ModelFileError`` for a file it cannot read that way (an external data file
    missing or not a plain file beside it included); OSError when the model file cannot be opened
    at all; a DataWarning when barenet's metadata in it is ignored (the graph wins).
    Shapes: the graph's input (batch, d) -> output (batch, k) as in the network.
    """
    require_onnx()
    data = read_bounded(path, MAX_BYTES, ModelFileError, "ONNX model file")
    shown = os.fspath(path)
    with ExternalData(shown, MAX_EXTERNAL_BYTES, ModelFileError) as external:
        return _Reader(shown, _parse(shown, data), external).network()


def _parse(path: str, data: bytes) -> Any:
    from onnx import ModelProto

    proto = ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception as err:  # NOTE: protobuf's backends raise DecodeError, ValueError, ...
        raise ModelFileError(f"{path}: not an ONNX file (protobuf: {err})") from None
    if not proto.HasField("graph"):
        raise ModelFileError(f"{path}: not an ONNX model (no graph in {len(data)} bytes)")
    return proto


class _Reader:
    """One pass over one graph: constants first, then the chain of nodes from the input."""

    def __init__(self, path: str, proto: Any, external: ExternalData) -> None:
        self.path = path
        self.proto = proto
        self.external = external
        self.graph = proto.graph
        self.opset = self._opset()
        if len(proto.functions):
            self.refuse(f"it defines {len(proto.functions)} local functions; only plain graphs")
        if len(self.graph.sparse_initializer):
            self.refuse("it holds sparse initializers; only dense tensors are read")
        self._check_operators()  # NOTE: first, so that a Conv is named before its weights' shape
        self.constants = {
            t.name: self.array(t, f"initializer {t.name!r}") for t in self.graph.initializer
        }

    def _check_operators(self) -> None:
        """The first node whose operator barenet does not read, if any, is refused by name."""
        for i, node in enumerate(self.graph.node):
            where = f"node {i} ({node.op_type} {node.name!r})"
            if node.domain not in ("", "ai.onnx"):
                self.refuse(f"{where}: operator domain {node.domain!r}; only standard operators")
            if node.op_type not in _ATTRIBUTES:
                self.refuse(
                    f"{where}: unsupported operator {node.op_type}; barenet reads "
                    f"{sorted(_ATTRIBUTES)}"
                )

    def refuse(self, why: str) -> NoReturn:
        raise ModelFileError(f"{self.path}: {why}")

    def _opset(self) -> int:
        from onnx.defs import onnx_opset_version

        versions = {o.domain: o.version for o in self.proto.opset_import}
        version = versions.get("", versions.get("ai.onnx"))
        if version is None or not MIN_OPSET <= version <= onnx_opset_version():
            self.refuse(
                f"standard opset {version}; barenet reads opsets {MIN_OPSET} to "
                f"{onnx_opset_version()}"
            )
        return int(version)

    # ------------------------------------------------------------------------------- tensors

    def array(self, t: Any, what: str) -> np.ndarray:
        """A TensorProto's values, its size checked against its bytes before anything is made."""
        where = f"{what} {list(t.dims)}"
        if (t.data_location == 1) != bool(len(t.external_data)):
            self.refuse(
                f"{where}: data_location {t.data_location} with {len(t.external_data)} "
                "external data entries; expected 1 (EXTERNAL) with entries, or 0 without"
            )
        if t.HasField("segment"):
            self.refuse(f"{where} is a segment of a tensor; only whole tensors are read")
        if t.data_type not in _DTYPES:
            self.refuse(f"{where}: {_type_name(t.data_type)}; expected float32, float64 or int64")
        dims = list(t.dims)
        if len(dims) > 2 or any(d < 0 for d in dims):
            self.refuse(f"{where}: expected a scalar, vector or matrix")
        if 0 in dims:
            self.refuse(f"{where}: a tensor without values; a layer has at least one unit")
        dtype, n = _DTYPES[t.data_type], prod(dims)
        if t.data_location == 1:
            return self.external.read(t, dtype, where)
        if t.raw_data:
            if len(t.raw_data) != n * dtype.itemsize:
                self.refuse(
                    f"{where}: {n} {dtype.name} values need {n * dtype.itemsize} bytes, "
                    f"the file holds {len(t.raw_data)}"
                )
            return np.frombuffer(t.raw_data, dtype=dtype).reshape(dims).copy()
        values = getattr(t, _FIELDS[t.data_type])
        if len(values) != n:
            self.refuse(f"{where}: {n} values declared, {len(values)} present")
        return np.array(values, dtype=dtype).reshape(dims)

    def constant(self, name: str, where: str) -> np.ndarray:
        if name not in self.constants:
            self.refuse(f"{where} reads {name!r}, which is neither the layer chain nor a constant")
        return self.constants[name]

    # ------------------------------------------------------------------------------ the graph

    def _input(self) -> tuple[str, Any, int | None]:
        """The graph's one real input: its name, dtype and width (None when not declared)."""
        inputs = [v for v in self.graph.input if v.name not in self.constants]
        if len(inputs) != 1:
            self.refuse(
                f"expected one input, found {[v.name for v in inputs]} "
                "(weights must be initializers or constants: export with export_params=True)"
            )
        v = inputs[0]
        tensor = v.type.tensor_type
        if v.type.WhichOneof("value") != "tensor_type" or tensor.elem_type not in (_FLOAT, _DOUBLE):
            self.refuse(f"input {v.name!r} is not a float32 or float64 tensor")
        dims = tensor.shape.dim
        if tensor.HasField("shape") and len(dims) != 2:
            self.refuse(f"input {v.name!r} has {len(dims)} dimensions; expected (batch, features)")
        width = dims[1].dim_value if tensor.HasField("shape") and dims[1].dim_value > 0 else None
        return v.name, _DTYPES[tensor.elem_type], width

    def _attributes(self, node: Any, where: str) -> dict[str, Any]:
        """The node's attributes by name, each of the one type its operator gives it."""
        allowed = _ATTRIBUTES[node.op_type]
        out: dict[str, Any] = {}
        for attr in node.attribute:
            name, kind = attr.name, attr.type
            if name not in allowed:
                self.refuse(f"{where}: attribute {name!r} is not supported")
            if kind != allowed[name]:
                self.refuse(
                    f"{where}: attribute {name!r} of type {kind} "
                    f"({_ATTRIBUTE_TYPES.get(kind, 'not read here')}); expected type "
                    f"{allowed[name]} ({_ATTRIBUTE_TYPES[allowed[name]]})"
                )
            if name in out:
                self.refuse(f"{where}: attribute {name!r} is given twice")
            value = attr.f if kind == _FLOAT_ATTR else attr.i if kind == _INT_ATTR else attr.t
            if kind == _FLOAT_ATTR and not np.isfinite(value):
                self.refuse(f"{where}: attribute {name!r} is {value}; expected a finite number")
            if name in _FLAGS and value not in (0, 1):
                self.refuse(f"{where}: attribute {name!r} is {value}; expected 0 or 1")
            out[name] = value
        return out

    def layers(self) -> tuple[np.dtype[Any], int, list[tuple[np.ndarray, np.ndarray, Any]]]:
        """(dtype, input width, [(W, b, activation) per layer]), walking the chain once."""
        x, dtype, width = self._input()
        first_width = width
        dense: list[tuple[np.ndarray, np.ndarray, Any]] = []
        pending: list[Any] | None = None  # [W, b] of a dense layer whose activation is unread
        for i, node in enumerate(self.graph.node):
            op = node.op_type
            where = f"node {i} ({op} {node.name!r})"  # its operator is known: _check_operators
            attrs = self._attributes(node, where)
            if len(node.output) != 1:
                self.refuse(f"{where}: {len(node.output)} outputs; expected one")
            if op == "Constant":
                if "value" not in attrs:
                    self.refuse(f"{where}: only a Constant with a tensor 'value' is read")
                self.constants[node.output[0]] = self.array(attrs["value"], where)
                continue
            inputs = [name for name in node.input if name]
            if x not in inputs or inputs.count(x) != 1:
                self.refuse(f"{where} does not read {x!r}, the previous layer's output, once")
            others = [self.constant(name, where) for name in inputs if name != x]
            if op in ("Gemm", "MatMul"):
                if pending is not None:
                    dense.append((*pending, activations.Identity()))
                if inputs[0] != x:
                    self.refuse(f"{where}: the layer's input must be its first operand")
                W, b = self._dense(op, attrs, others, width, dtype, where)
                width, pending = W.shape[1], [W, b]
                first_width = first_width or W.shape[0]
            elif op == "Add":
                if pending is None or len(others) != 1:
                    self.refuse(f"{where}: an Add must add one bias after a MatMul or Gemm")
                with np.errstate(over="ignore"):  # NOTE: build_network refuses an inf
                    pending[1] = pending[1] + self._bias(others[0], width, dtype, where)
            elif op in _ACTIVATIONS:
                if pending is None:
                    self.refuse(f"{where}: an activation must follow a MatMul or Gemm")
                dense.append((*pending, self._activation(op, attrs, others, where)))
                pending = None
            else:
                self._pass_through(op, attrs, others, width, where)
            x = node.output[0]
        if pending is not None:
            dense.append((*pending, activations.Identity()))
        outputs = [v.name for v in self.graph.output]
        if outputs != [x]:
            self.refuse(f"the graph's outputs {outputs} are not the chain's end {x!r}")
        if not dense or first_width is None:
            self.refuse("no dense layer (Gemm or MatMul) from the input to the output")
        return dtype, int(first_width), dense

    def _dense(
        self,
        op: str,
        attrs: dict[str, Any],
        others: list[np.ndarray],
        width: int | None,
        dtype: np.dtype[Any],
        where: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """W (h_{l-1}, h_l) and b (h_l,): MatMul is ``x @ B``, Gemm ``alpha x @ B' + beta C``."""
        if not others or others[0].ndim != 2 or len(others) > (2 if op == "Gemm" else 1):
            self.refuse(f"{where}: expected a weight matrix{' and a bias' * (op == 'Gemm')}")
        W = others[0].T if attrs.get("transB", 0) else others[0]
        if attrs.get("transA", 0):
            self.refuse(f"{where}: transA=1 is not a dense layer of rows")
        if W.dtype != dtype:
            self.refuse(f"{where}: weights are {W.dtype}, the input is {dtype}")
        if width is not None and W.shape[0] != width:
            self.refuse(f"{where}: weights of shape {list(W.shape)} for an input of width {width}")
        with np.errstate(over="ignore"):  # NOTE: build_network refuses what overflows to inf
            W = W * W.dtype.type(attrs.get("alpha", 1.0))
            if len(others) == 1:
                return W, np.zeros(W.shape[1], dtype=dtype)
            b = self._bias(others[1], W.shape[1], dtype, where)
            return W, b * b.dtype.type(attrs.get("beta", 1.0))

    def _bias(
        self, c: np.ndarray, width: int | None, dtype: np.dtype[Any], where: str
    ) -> np.ndarray:
        if c.dtype != dtype or c.shape not in ((width,), (1, width)):
            self.refuse(f"{where}: a bias of {c.dtype} {list(c.shape)}; expected {dtype} [{width}]")
        return c.reshape(-1)

    def _activation(
        self, op: str, attrs: dict[str, Any], others: list[np.ndarray], where: str
    ) -> Any:
        if op == "Softmax":
            axis = attrs.get("axis", -1 if self.opset >= 13 else 1)
            if axis not in (-1, 1):
                self.refuse(f"{where}: softmax over axis {axis}; barenet's is over the last")
            return activations.Softmax()
        if op in ("LeakyRelu", "PRelu"):
            if op == "PRelu" and (len(others) != 1 or others[0].size != 1):
                self.refuse(f"{where}: a PRelu with one slope per unit; barenet's has one alpha")
            alpha = float(others[0].reshape(-1)[0]) if op == "PRelu" else attrs.get("alpha", 0.01)
            try:
                return activations.LeakyReLU(alpha)
            except ValueError as err:
                self.refuse(f"{where}: {err}")
        if others:
            self.refuse(f"{where}: {op} reads {len(others) + 1} tensors; expected one")
        return {"Relu": activations.ReLU, "Sigmoid": activations.Sigmoid, "Tanh": activations.Tanh}[
            op
        ]()

    def _pass_through(
        self,
        op: str,
        attrs: dict[str, Any],
        others: list[np.ndarray],
        width: int | None,
        where: str,
    ) -> None:
        """Identity, Flatten(axis=1) and Reshape(-1 or 0, width) leave (batch, width) as it is."""
        if op == "Identity" and not others:
            return
        if op == "Flatten" and not others and attrs.get("axis", 1) in (1, -1):
            return
        if op == "Reshape" and len(others) == 1 and width is not None:
            shape = others[0]
            lead = (-1,) if attrs.get("allowzero", 0) else (-1, 0)
            if shape.dtype == np.int64 and shape.shape == (2,) and shape[0] in lead:
                if shape[1] == width:
                    return
        self.refuse(f"{where}: changes the shape of the (batch, {width}) tensor; not a dense layer")

    # ---------------------------------------------------------------------------- the network

    def network(self) -> DeepNeuralNetwork:
        from ..layers import Layer

        dtype, d, dense = self.layers()
        layers = [Layer(d)] + [Layer(W.shape[1], act) for W, _, act in dense]
        weights = [(W, b) for W, b, _ in dense]
        described = onnx_metadata.restore(self.path, self.proto, layers, dtype)
        if described is None:
            return build_network(layers, weights, ModelFileError, self.path, dtype=dtype)
        set_params(described, weights, ModelFileError, self.path)  # its layers, loss, history
        return described
