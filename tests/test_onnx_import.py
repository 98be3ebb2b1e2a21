"""barenet.from_onnx: barenet's own exports, both of PyTorch's exporters (committed fixtures, and
live when torch is installed), hand-built graphs of every form it reads, refusals, and fuzzing."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import barenet
from barenet import DataWarning, DeepNeuralNetwork, Layer, LeakyReLU, ModelFileError, from_onnx
from barenet.activations import ACTIVATIONS

onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install 'barenet[onnx]'")
ort = pytest.importorskip(
    "onnxruntime", reason="onnxruntime is not installed: pip install 'barenet[test]'"
)
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from _torch_models import EXPORTERS, EXTERNAL, FIXTURES, NAMES, build, export  # noqa: E402

_DTYPES = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64}
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def by_onnxruntime(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})[0]


def write(path, nodes, tensors, *, inputs=None, outputs=None, opset=17, dtype=TensorProto.FLOAT):
    """A hand-built graph from "x" (batch, 3) to "y", written to `path` without a check."""
    inputs = inputs or [helper.make_tensor_value_info("x", dtype, ["batch", 3])]
    outputs = outputs or [helper.make_tensor_value_info("y", dtype, ["batch", None])]
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


rng = np.random.default_rng(0)
W1 = rng.normal(size=(3, 4)).astype(np.float32)
B1 = rng.normal(size=4).astype(np.float32)
W2 = rng.normal(size=(4, 2)).astype(np.float32)
B2 = rng.normal(size=2).astype(np.float32)
X = rng.normal(size=(6, 3)).astype(np.float32) * 2


def reference(X, act):
    """x @ W1 + b1 -> act -> @ W2 + b2, in NumPy: what every hand-built graph below computes."""
    return act(X @ W1 + B1) @ W2 + B2


def t(name, value):
    return numpy_helper.from_array(value, name)


# --------------------------------------------------------------------- barenet's own exports


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
def test_barenet_exports_come_back_the_same(tmp_path, dtype, hidden):
    act = LeakyReLU(0.3) if hidden == "leaky_relu" else hidden
    model = DeepNeuralNetwork(
        [Layer(5), Layer(4, act, init="he_uniform", dropout=0.2), Layer(3, "softmax")],
        seed=0,
        dtype=dtype,
        learning_rate=0.02,
    )
    model.training_summary = {"epochs": 2, "note": "</script>"}
    model.to_onnx(tmp_path / "m.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the metadata matches: no warning
        back = from_onnx(tmp_path / "m.onnx")
    assert back.dtype == dtype and repr(back) == repr(model)
    assert [repr(a) for a in back.layers] == [repr(a) for a in model.layers]  # alpha, init, dropout
    assert back.learning_rate == 0.02 and back.training_summary == model.training_summary
    for key, value in model.params.items():
        np.testing.assert_array_equal(back.params[key], value)
    X5 = np.random.default_rng(2).normal(size=(4, 5)).astype(dtype)
    np.testing.assert_array_equal(back.predict_proba(X5), model.predict_proba(X5))


def test_metadata_that_does_not_describe_the_graph_is_ignored_with_a_warning(tmp_path):
    model = DeepNeuralNetwork([Layer(3), Layer(4, "relu"), Layer(2, "softmax")], seed=0)
    model.to_onnx(tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    relu = next(n for n in proto.graph.node if n.op_type == "Relu")
    relu.op_type = "Tanh"  # someone edited the graph; the metadata still says relu
    (tmp_path / "edited.onnx").write_bytes(proto.SerializeToString())
    with pytest.warns(
        DataWarning,
        match="file is ignored .*does not describe the graph: layer 1: it says ReLU",
    ):
        back = from_onnx(tmp_path / "edited.onnx")
    assert [type(layer.activation_function).__name__ for layer in back.layers[1:]] == [
        "Tanh",
        "Softmax",
    ]
    np.testing.assert_allclose(
        back.predict_proba(X), by_onnxruntime(tmp_path / "edited.onnx", X), atol=1e-6
    )


def deep(text):
    return text[:-1] + ', "training": ' + "[" * 100 + "]" * 100 + "}"


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda s: s.replace('"learning_rate": 0.02', '"learning_rate": NaN'), "holds NaN; only"),
        (lambda s: s.replace('"learning_rate": 0.02', '"learning_rate": Infinity'), "Infinity"),
        (lambda s: s[:-1] + ', "loss": "mse"}', "has the key 'loss' twice"),
        (lambda s: s.replace('"learning_rate": 0.02', '"learning_rate": ' + "7" * 50), "50-digit"),
        (lambda s: s.replace('"epochs": 2', '"epochs": 1e999'), "1e999', which overflows"),
        (deep, "nests 101 levels deep; at most 64"),
        (lambda s: "[1, 2]", "the barenet metadata is not a barenet model description"),
        (lambda s: s[:40], "the barenet metadata is not valid JSON"),
        (lambda s: s.replace('"format_version": 1', '"format_version": 2'), "version 2; this"),
        (lambda s: s.replace('"relu"', '"swish"'), "layer 1: unknown activation 'swish'"),
        (lambda s: s.replace('"he_uniform"', '"rm -rf"'), "unknown initializer 'rm -rf'"),
        (lambda s: s.replace('"learning_rate"', '"lr"'), r"unexpected keys \['lr'\]"),
        (lambda s: s.replace('"float32"', '"float64"'), "it says float64, the graph computes f"),
        (lambda s: s.replace('"size": 4', '"size": 5'), r"layers of \[3, 5, 2\] units, the g"),
        (
            lambda s: s.replace('"dropout": 0.0}]', '"dropout": 0.5}]'),
            "the network: 'the output layer cannot have dropout",
        ),
    ],
)
def test_metadata_a_model_file_would_refuse_is_ignored_with_a_warning(tmp_path, edit, why):
    """The metadata is read as a model file's: strict JSON, the same architecture checks, the
    same builder. What they refuse (or what does not describe the graph) leaves the graph's
    network, with the default loss and learning rate, which saves as a model file."""
    model = DeepNeuralNetwork(
        [Layer(3), Layer(4, "relu", init="he_uniform"), Layer(2, "softmax")],
        seed=0,
        learning_rate=0.02,
    )
    model.training_summary = {"epochs": 2}
    model.to_onnx(tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    (prop,) = (p for p in proto.metadata_props if p.key == "barenet_architecture")
    edited = edit(prop.value)
    assert edited != prop.value  # guards the edit
    prop.value = edited
    path = tmp_path / "edited.onnx"
    path.write_bytes(proto.SerializeToString())
    with pytest.warns(DataWarning, match="barenet's metadata in this file is ignored") as seen:
        back = from_onnx(path)
    (warning,) = seen
    message = str(warning.message)
    assert re.search(why, message), message
    assert message.startswith(f"{path}: ") and message.count(str(path)) == 1
    assert len(message) <= 500 and warning.filename == __file__  # the caller's line
    assert back.learning_rate == 0.1 and back.training_summary == {}
    assert back.layers[1].init is None
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    back.save(tmp_path / "back.safetensors")  # a NaN from the metadata would make this fail


def test_metadata_that_a_model_file_would_refuse_is_not_exported(tmp_path):
    model = DeepNeuralNetwork([Layer(3), Layer(2, "softmax")], learning_rate=float("nan"))
    path = tmp_path / "m.onnx"
    with pytest.raises(ModelFileError, match=r"holds NaN or infinity \(learning_rate nan"):
        model.to_onnx(path)
    model.learning_rate = 0.1
    for _ in range(40):  # 80 levels deep: JSON, but more than any reader takes
        model.training_summary = {"note": [model.training_summary]}
    with pytest.raises(
        ModelFileError, match=r"cannot export <DeepNeuralNetwork 3-2 .*>: its metadata nests"
    ):
        model.to_onnx(path)
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------ PyTorch's exporters


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", NAMES)
def test_torch_exports_committed_as_fixtures(name, exporter):
    path = FIXTURES / f"{name}-{exporter}.onnx"
    data = np.load(FIXTURES / f"{name}.npz")
    model = from_onnx(path)
    assert model.dtype == data["X"].dtype
    got = model.predict_proba(data["X"])
    np.testing.assert_allclose(got, data["Y"], rtol=0, atol=1e-5)  # torch's own output
    np.testing.assert_allclose(got, by_onnxruntime(path, data["X"]), rtol=0, atol=1e-5)


def test_the_fixtures_hold_what_each_exporter_writes():
    """The forms the reader must handle, as the exporters wrote them: guards the fixtures."""

    def ops(name, exporter):
        return [n.op_type for n in onnx.load(str(FIXTURES / f"{name}-{exporter}.onnx")).graph.node]

    # TorchScript: Flatten kept, a Linear without bias is a MatMul on a transposed copy
    assert ops("flatten_nobias_sigmoid", "torchscript")[:3] == ["Flatten", "MatMul", "LeakyRelu"]
    # dynamo: Flatten folded away, the same Linear a Gemm with two inputs
    assert ops("flatten_nobias_sigmoid", "dynamo")[:2] == ["Gemm", "LeakyRelu"]
    assert ops("relu_softmax", "dynamo") == ["Gemm", "Relu", "Gemm", "Softmax"]
    proto = onnx.load(str(FIXTURES / "float64_tanh-torchscript.onnx"))
    assert proto.graph.node[-1].attribute[0].i == 1  # Softmax(dim=1) is axis=1, not -1


def test_a_dynamo_export_with_external_data_committed_as_a_fixture():
    """What torch.onnx.export(net, (x,), path, dynamo=True) writes by default, for 784-16-10."""
    path = FIXTURES / f"{EXTERNAL}-dynamo.onnx"
    proto = onnx.load(str(path), load_external_data=False)
    outside = {
        e.value for i in proto.graph.initializer for e in i.external_data if e.key == "location"
    }
    assert outside == {path.name + ".data"}  # guards the fixture: the weights are not inside
    data = np.load(FIXTURES / f"{EXTERNAL}.npz")
    got = from_onnx(path).predict_proba(data["X"])
    np.testing.assert_allclose(got, data["Y"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(got, by_onnxruntime(path, data["X"]), rtol=0, atol=1e-5)


def require_torch():
    """torch and onnxscript, or a skip saying so (a failure where BARENET_REQUIRE_TORCH=1)."""
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter's)
        import torch
    except ImportError as exc:
        why = (
            f"the live PyTorch exporter tests need torch and onnxscript ({exc}): "
            "pip install torch==2.13.0 onnxscript"
        )
        if os.environ.get("BARENET_REQUIRE_TORCH") == "1":
            pytest.fail(f"BARENET_REQUIRE_TORCH=1 but {why}")
        pytest.skip(why)
    return torch


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", NAMES)
def test_torch_exports_live(tmp_path, name, exporter):
    require_torch()
    net, X_in = build(name)
    expected = export(net, X_in, exporter, tmp_path / "net.onnx")
    model = from_onnx(tmp_path / "net.onnx")
    np.testing.assert_allclose(model.predict_proba(X_in), expected, rtol=0, atol=1e-5)


def test_torch_mnist_sized_network_and_dynamo_external_data(tmp_path):
    """784-256-10 with both exporters, and as torch.onnx.export(net, (x,), path, dynamo=True)
    writes it by default: the tensors of 1 KB or more in NAME.onnx.data."""
    torch = require_torch()
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10), nn.Softmax(-1))
    X_in = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    for exporter in EXPORTERS:
        expected = export(net.eval(), X_in, exporter, tmp_path / f"{exporter}.onnx")
        got = from_onnx(tmp_path / f"{exporter}.onnx").predict_proba(X_in)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.from_numpy(X_in),), tmp_path / "two.onnx", dynamo=True)
    assert (tmp_path / "two.onnx.data").stat().st_size >= 784 * 256 * 4
    assert (tmp_path / "two.onnx").stat().st_size < 100_000
    got = from_onnx(tmp_path / "two.onnx").predict_proba(X_in)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


# ------------------------------------------------------------------- the forms it reads


def test_matmul_add_and_pass_through_nodes(tmp_path):
    nodes = [
        helper.make_node("Identity", ["x"], ["x1"]),
        helper.make_node("Flatten", ["x1"], ["x2"], axis=1),
        helper.make_node("Reshape", ["x2", "shape"], ["x3"]),
        helper.make_node("MatMul", ["x3", "W1"], ["m1"]),
        helper.make_node("Add", ["B1", "m1"], ["z1"]),  # the bias on either side
        helper.make_node("Tanh", ["z1"], ["a1"]),
        helper.make_node("MatMul", ["a1", "W2"], ["m2"]),
        helper.make_node("Add", ["m2", "B2"], ["y"]),
    ]
    tensors = [t("shape", np.array([-1, 3])), t("W1", W1), t("B1", B1), t("W2", W2), t("B2", B2)]
    path = write(tmp_path / "m.onnx", nodes, tensors)
    model = from_onnx(path)
    assert [layer.activation_function.name for layer in model.layers[1:]] == ["tanh", "identity"]
    np.testing.assert_allclose(model.predict_proba(X), reference(X, np.tanh), atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(X), by_onnxruntime(path, X), atol=1e-5)


def test_gemm_with_transposed_weights_alpha_beta_and_constant_nodes(tmp_path):
    nodes = [
        helper.make_node("Constant", [], ["W1t"], value=t("v", W1.T.copy())),
        helper.make_node("Constant", [], ["B1h"], value=t("v", (B1 / 2).reshape(1, -1))),
        helper.make_node("Gemm", ["x", "W1t", "B1h"], ["z1"], transB=1, alpha=1.0, beta=2.0),
        helper.make_node("LeakyRelu", ["z1"], ["a1"], alpha=0.25),
        helper.make_node("Gemm", ["a1", "W2x2", "B2"], ["y"], alpha=0.5),
    ]
    tensors = [t("W2x2", W2 * 2), t("B2", B2)]
    path = write(tmp_path / "m.onnx", nodes, tensors)
    model = from_onnx(path)
    act = model.layers[1].activation_function
    assert isinstance(act, LeakyReLU) and act.alpha == 0.25
    expected = reference(X, lambda z: np.where(z > 0, z, 0.25 * z))
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(X), by_onnxruntime(path, X), atol=1e-5)


def test_prelu_with_one_slope_and_old_opset_softmax(tmp_path):
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "B1"], ["z1"]),
        helper.make_node("PRelu", ["z1", "slope"], ["a1"]),
        helper.make_node("Gemm", ["a1", "W2", "B2"], ["z2"]),
        helper.make_node("Softmax", ["z2"], ["y"]),  # opset 11: axis 1 by default
    ]
    tensors = [t("W1", W1), t("B1", B1), t("slope", np.array([0.1], np.float32))]
    tensors += [t("W2", W2), t("B2", B2)]
    path = write(tmp_path / "m.onnx", nodes, tensors, opset=11)
    model = from_onnx(path)
    assert model.task == "multiclass"
    np.testing.assert_allclose(model.predict_proba(X), by_onnxruntime(path, X), atol=1e-6)


def test_initializers_listed_as_graph_inputs_are_weights(tmp_path):
    nodes = [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])]
    as_inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])]
    as_inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in
                  (("W1", [3, 4]), ("B1", [4]))]  # fmt: skip
    path = write(tmp_path / "m.onnx", nodes, [t("W1", W1), t("B1", B1)], inputs=as_inputs)
    np.testing.assert_allclose(from_onnx(path).predict_proba(X), X @ W1 + B1, atol=1e-6)


# ------------------------------------------------------------------------------- refusals


def refused(tmp_path, nodes, tensors, match, **kwargs):
    path = write(tmp_path / "bad.onnx", nodes, tensors, **kwargs)
    with pytest.raises(ModelFileError, match=match) as info:
        from_onnx(path)
    assert str(path) in str(info.value)


GEMM = helper.make_node("Gemm", ["x", "W1", "B1"], ["z1"])
WEIGHTS = [t("W1", W1), t("B1", B1)]


@pytest.mark.parametrize(
    ("nodes", "tensors", "match"),
    [
        (
            [GEMM, helper.make_node("Conv", ["z1", "W1"], ["y"])],
            WEIGHTS,
            r"node 1 \(Conv.*unsupported operator Conv",
        ),
        ([GEMM, helper.make_node("Elu", ["z1"], ["y"])], WEIGHTS, "unsupported operator Elu"),
        (  # a Conv's 3-D kernel: the operator is named, not the kernel's shape
            [helper.make_node("Conv", ["x", "K"], ["y"])],
            [t("K", np.ones((2, 1, 3), np.float32))],
            r"node 0 \(Conv.*unsupported operator Conv",
        ),
        (  # a Dropout kept in training mode: named before its bool 'training_mode' tensor
            [GEMM, helper.make_node("Dropout", ["z1", "ratio", "train"], ["y"])],
            [*WEIGHTS, t("ratio", np.float32(0.5)), t("train", np.bool_(True))],
            r"node 1 \(Dropout.*unsupported operator Dropout",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])],
            [*WEIGHTS, t("flag", np.bool_(True))],
            r"initializer 'flag' \[\]: data type bool; expected float32",
        ),
        (
            [GEMM, helper.make_node("Relu", ["z1"], ["y"], domain="com.evil")],
            WEIGHTS,
            "domain 'com.evil'",
        ),
        (
            [helper.make_node("Relu", ["x"], ["y"])],
            [],
            "an activation must follow a MatMul or Gemm",
        ),
        (
            [
                GEMM,
                helper.make_node("Relu", ["z1"], ["a1"]),
                helper.make_node("Relu", ["a1"], ["y"]),
            ],
            WEIGHTS,
            "node 2 .*must follow",
        ),
        ([GEMM, helper.make_node("Softmax", ["z1"], ["y"], axis=0)], WEIGHTS, "axis 0"),
        ([helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], transA=1)], WEIGHTS, "transA=1"),
        ([helper.make_node("Gemm", ["W1", "x", "B1"], ["y"])], WEIGHTS, "first operand"),
        ([helper.make_node("Gemm", ["x", "W1", "nowhere"], ["y"])], WEIGHTS, "reads 'nowhere'"),
        ([helper.make_node("Gemm", ["x", "B1", "B1"], ["y"])], WEIGHTS, "weight matrix"),
        (
            [helper.make_node("Gemm", ["x", "W1", "W1"], ["y"])],
            WEIGHTS,
            r"bias of float32 \[3, 4\]",
        ),
        (
            [GEMM, helper.make_node("Add", ["z1", "z1"], ["y"])],
            WEIGHTS,
            "does not read 'z1'.* once",
        ),
        ([GEMM, helper.make_node("Relu", ["x"], ["y"])], WEIGHTS, "node 1 .*does not read 'z1'"),
        (
            [GEMM, helper.make_node("Reshape", ["z1", "s"], ["y"])],
            [*WEIGHTS, t("s", np.array([2, -1]))],
            "changes the shape",
        ),
        ([GEMM, helper.make_node("Flatten", ["z1"], ["y"], axis=0)], WEIGHTS, "changes the shape"),
        (
            [GEMM, helper.make_node("LeakyRelu", ["z1"], ["y"], alpha=1.5)],
            WEIGHTS,
            r"alpha must be in \[0, 1\)",
        ),
        ([GEMM, helper.make_node("PRelu", ["z1", "B1"], ["y"])], WEIGHTS, "one slope per unit"),
        ([GEMM, helper.make_node("Relu", ["z1"], ["y"], foo=1)], WEIGHTS, "attribute 'foo'"),
        (
            [GEMM, helper.make_node("Softmax", ["z1"], ["y"], axis=[1])],
            WEIGHTS,
            "attribute 'axis' of type 7",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])],
            [t("W1", W1.astype(np.float64)), t("B1", B1)],
            "weights are float64, the input is float32",
        ),
        (
            [helper.make_node("Gemm", ["x", "W2", "B1"], ["y"])],
            [t("W2", W2), t("B1", B1)],
            r"shape \[4, 2\] for an input of width 3",
        ),
        (
            [GEMM, helper.make_node("Relu", ["z1"], ["a1"])],
            WEIGHTS,
            r"outputs \['y'\] are not the chain's end 'a1'",
        ),
        ([helper.make_node("Constant", [], ["y"], value_float=1.0)], [], "attribute 'value_float'"),
        ([], [], r"outputs \['y'\] are not the chain's end 'x'"),
    ],
)
def test_what_is_not_a_chain_of_dense_layers_is_refused_naming_the_node(
    tmp_path, nodes, tensors, match
):
    refused(tmp_path, nodes, tensors, match)


SCALAR = t("two", np.array(2.0, np.float32))


def twice(node, **attributes):
    """`node` with each of `attributes` added once more (protobuf keeps both; the last won)."""
    node.attribute.extend(helper.make_attribute(k, v) for k, v in attributes.items())
    return node


@pytest.mark.parametrize(
    ("nodes", "tensors", "match"),
    [
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], alpha=SCALAR)],
            WEIGHTS,
            r"node 0 \(Gemm ''\): attribute 'alpha' of type 4 \(TENSOR\); expected type 1 \(FLO",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], beta=2)],
            WEIGHTS,
            r"attribute 'beta' of type 2 \(INT\); expected type 1",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], transB=1.0)],
            WEIGHTS,
            r"attribute 'transB' of type 1 \(FLOAT\); expected type 2 \(INT\)",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], transB=2)],
            WEIGHTS,
            "attribute 'transB' is 2; expected 0 or 1",
        ),
        (
            [twice(helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], transB=0), transB=1)],
            WEIGHTS,
            "node 0 .*attribute 'transB' is given twice",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], alpha=float("inf"))],
            WEIGHTS,
            "attribute 'alpha' is inf; expected a finite number",
        ),
        (
            [GEMM, helper.make_node("Softmax", ["z1"], ["y"], axis=1.0)],
            WEIGHTS,
            r"node 1 \(Softmax ''\): attribute 'axis' of type 1 \(FLOAT\); expected type 2",
        ),
        (
            [GEMM, helper.make_node("Flatten", ["z1"], ["y"], axis=1.0)],
            WEIGHTS,
            "attribute 'axis' of type 1",
        ),
        (
            [GEMM, helper.make_node("LeakyRelu", ["z1"], ["y"], alpha=SCALAR)],
            WEIGHTS,
            "attribute 'alpha' of type 4",
        ),
        (
            [helper.make_node("Constant", [], ["W1"], value=1.0), GEMM],
            [t("B1", B1)],
            r"node 0 \(Constant ''\): attribute 'value' of type 1 \(FLOAT\); expected type 4",
        ),
        (
            [helper.make_node("Gemm", ["x", "W0", "B0"], ["y"])],
            [t("W0", np.ones((3, 0), np.float32)), t("B0", np.ones(0, np.float32))],
            r"initializer 'W0' \[3, 0\]: a tensor without values; a layer has at least one unit",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])],
            [t("W1", np.where(W1 > 1, np.nan, W1)), t("B1", B1)],
            r"W1 \(layer 1\) holds NaN or infinite values in float32",
        ),
        (
            [
                GEMM,
                helper.make_node("Relu", ["z1"], ["a1"]),
                helper.make_node("Gemm", ["a1", "W2", "B2"], ["y"]),
            ],
            [*WEIGHTS, t("W2", W2), t("B2", np.array([0, np.inf], np.float32))],
            r"b2 \(layer 2\) holds NaN or infinite",
        ),
        (
            [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"], alpha=3e38)],
            WEIGHTS,
            r"W1 \(layer 1\) holds NaN or infinite",  # alpha * W overflows: no RuntimeWarning
        ),
    ],
)
def test_attributes_of_another_type_and_tensors_empty_or_not_finite_are_refused(
    tmp_path, nodes, tensors, match
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refused(tmp_path, nodes, tensors, match)


def test_no_random_weights_are_drawn(tmp_path, monkeypatch):
    model = DeepNeuralNetwork([Layer(3), Layer(4, "tanh"), Layer(2, "softmax")], seed=0)
    model.to_onnx(tmp_path / "m.onnx")
    path = write(
        tmp_path / "bare.onnx", [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])], WEIGHTS
    )

    def draw(*args, **kwargs):
        raise AssertionError("from_onnx drew random weights it then threw away")

    monkeypatch.setattr(DeepNeuralNetwork, "initialize_params", draw)
    np.testing.assert_array_equal(
        from_onnx(tmp_path / "m.onnx").predict_proba(X), model.predict_proba(X)
    )
    np.testing.assert_allclose(from_onnx(path).predict_proba(X), X @ W1 + B1, atol=1e-6)


def test_refused_inputs_dtypes_opsets_and_functions(tmp_path):
    one = [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])]
    two = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["b", 3]) for n in ("x", "x2")]
    refused(tmp_path, one, WEIGHTS, r"expected one input, found \['x', 'x2'\]", inputs=two)
    ints = [helper.make_tensor_value_info("x", TensorProto.INT32, ["b", 3])]
    refused(tmp_path, one, WEIGHTS, "not a float32 or float64 tensor", inputs=ints)
    cube = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 3, 1])]
    refused(tmp_path, one, WEIGHTS, "3 dimensions", inputs=cube)
    refused(tmp_path, one, WEIGHTS, "standard opset 6; barenet reads opsets 7", opset=6)
    refused(tmp_path, one, [t("W1", W1), t("B1", np.arange(4))], "bias of int64")

    # a local function, even unused, and a weight in a file that is not next to the model
    path = write(tmp_path / "f.onnx", one, WEIGHTS)
    proto = onnx.load(str(path))
    proto.functions.append(helper.make_function("my", "f", ["a"], ["b"], [], [], []))
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(ModelFileError, match="1 local functions"):
        from_onnx(path)
    proto = onnx.load(str(write(tmp_path / "e.onnx", one, WEIGHTS)))
    tensor = proto.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(
        ModelFileError, match=r"initializer 'W1' \[3, 4\] in '/etc/passwd': .* plain file name"
    ):
        from_onnx(path)


def test_tensor_sizes_are_checked_before_anything_is_allocated(tmp_path):
    huge = TensorProto(
        name="W1", data_type=TensorProto.FLOAT, dims=[2**31, 2**31], raw_data=b"1234"
    )
    nodes = [helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])]
    refused(
        tmp_path,
        nodes,
        [huge, t("B1", B1)],
        r"\[2147483648, 2147483648\]: 4611686018427387904 float32 values need",
    )
    short = TensorProto(name="W1", data_type=TensorProto.FLOAT, dims=[3, 4], float_data=[1.0] * 11)
    refused(tmp_path, nodes, [short, t("B1", B1)], "12 values declared, 11 present")
    negative = TensorProto(name="W1", data_type=TensorProto.FLOAT, dims=[-3, -4], raw_data=b"")
    refused(tmp_path, nodes, [negative, t("B1", B1)], "expected a scalar, vector or matrix")
    text = TensorProto(name="W1", data_type=TensorProto.STRING, dims=[1], string_data=[b"rm -rf"])
    refused(tmp_path, nodes, [text, t("B1", B1)], "data type string")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "no graph in 0 bytes"),
        (b"\x80\x04\x95 a pickle", "not an ONNX file"),
        (b"PK\x03\x04 a zip file" * 3, "not an ONNX file"),
        (b"\x0a\xff\xff\xff\xff\x0f", "not an ONNX file"),  # a field claiming 4 GB
    ],
)
def test_files_that_are_not_onnx(tmp_path, content, match):
    path = tmp_path / "m.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=match):
        from_onnx(path)


def test_the_reader_is_bounded(tmp_path, monkeypatch):
    from barenet.interop import onnx_import

    with pytest.raises(FileNotFoundError):
        from_onnx(tmp_path / "missing.onnx")
    with pytest.raises(ModelFileError, match="a directory; expected a ONNX model file"):
        from_onnx(tmp_path)
    DeepNeuralNetwork([Layer(3), Layer(2, "softmax")]).to_onnx(tmp_path / "m.onnx")
    monkeypatch.setattr(onnx_import, "MAX_BYTES", 100)
    with pytest.raises(ModelFileError, match="at most 100 bytes, so it is not read"):
        from_onnx(tmp_path / "m.onnx")
    if os.path.exists("/dev/zero"):
        with pytest.raises(ModelFileError, match="not a regular file"):
            from_onnx("/dev/zero")


# -------------------------------------------------------------------------- external data

GEMM_Y = helper.make_node("Gemm", ["x", "W1", "B1"], ["y"])
W1_AT = [("location", "w.data"), ("offset", "0"), ("length", "48")]  # 12 float32 values
B1_AT = [("location", "w.data"), ("offset", "48"), ("length", "16")]  # then 4 more
BYTES = W1.tobytes() + B1.tobytes()


def external(folder, w1=W1_AT, b1=B1_AT, data=BYTES):
    """x @ W1 + B1 in folder/m.onnx, W1 and B1 kept in folder/w.data as the entries say (lists
    of key-value pairs, so that a key can come twice)."""
    folder.mkdir(exist_ok=True)
    tensors = []
    for tensor, entries in ((t("W1", W1), w1), (t("B1", B1), b1)):
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in entries:
            tensor.external_data.add(key=key, value=value)
        tensors.append(tensor)
    (folder / "w.data").write_bytes(data)
    return write(folder / "m.onnx", [GEMM_Y], tensors)


def refused_outside(path, match):
    """from_onnx(path) refuses with a message naming the model file, then the tensor."""
    with pytest.raises(ModelFileError, match=match) as info:
        from_onnx(path)
    assert str(info.value).startswith(f"{path}: initializer '")
    return str(info.value)


def test_external_data_as_onnx_writes_it_one_file_or_one_per_tensor(tmp_path):
    """onnx.save_model(..., save_as_external_data=True), a Constant node's tensor included."""
    nodes = [
        helper.make_node("Constant", [], ["W1t"], value=t("W1t", W1.T.copy())),
        helper.make_node("Gemm", ["x", "W1t", "B1"], ["z1"], transB=1),
        helper.make_node("Tanh", ["z1"], ["a1"]),
        helper.make_node("Gemm", ["a1", "W2", "B2"], ["y"]),
    ]
    path = write(tmp_path / "in.onnx", nodes, [t("B1", B1), t("W2", W2), t("B2", B2)])
    for one_file in (True, False):
        folder = tmp_path / f"one_file={one_file}"
        folder.mkdir()
        onnx.save_model(
            onnx.load(str(path)),
            str(folder / "m.onnx"),
            save_as_external_data=True,
            all_tensors_to_one_file=one_file,
            location="m.onnx.data" if one_file else None,
            size_threshold=0,
            convert_attribute=True,
        )
        assert len(list(folder.iterdir())) == (2 if one_file else 5)
        model = from_onnx(folder / "m.onnx")
        np.testing.assert_allclose(model.predict_proba(X), reference(X, np.tanh), atol=1e-5)
        np.testing.assert_array_equal(model.predict_proba(X), from_onnx(path).predict_proba(X))


def test_external_data_without_length_through_links_and_with_a_checksum(tmp_path):
    expected = X @ W1 + B1
    path = external(tmp_path / "m")
    np.testing.assert_allclose(from_onnx(path).predict_proba(X), expected, atol=1e-6)
    np.testing.assert_allclose(by_onnxruntime(path, X), expected, atol=1e-6)  # read the same
    # no length for the last tensor: its values run to the end of the file
    path = external(tmp_path / "m", b1=B1_AT[:2])
    np.testing.assert_allclose(from_onnx(path).predict_proba(X), expected, atol=1e-6)
    # a link to a file in the same directory; the checksum (SHA-1 of the whole file) in capitals
    (tmp_path / "m" / "link.data").symlink_to("w.data")
    sha1 = hashlib.sha1(BYTES).hexdigest().upper()
    path = external(
        tmp_path / "m", w1=[*W1_AT, ("checksum", sha1)], b1=[("location", "link.data"), *B1_AT[1:]]
    )
    np.testing.assert_allclose(from_onnx(path).predict_proba(X), expected, atol=1e-6)
    # a model file reached through a linked directory reads the data beside it
    (tmp_path / "linked").symlink_to(tmp_path / "m", target_is_directory=True)
    got = from_onnx(tmp_path / "linked" / "m.onnx").predict_proba(X)
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize(
    "location",
    [
        "../w.data",
        "/etc/passwd",
        "sub/w.data",
        "sub\\w.data",
        "C:w.data",
        "w.data\0",
        "..",
        ".",
        "",
    ],
)
def test_a_location_that_is_not_a_plain_name_beside_the_model_is_refused(tmp_path, location):
    (tmp_path / "m" / "sub").mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "m" / "sub"):
        (folder / "w.data").write_bytes(BYTES)  # there to be found, if the reader looked
    path = external(tmp_path / "m", w1=[("location", location), *W1_AT[1:]])
    message = refused_outside(path, "the location must be a plain file name next to the model")
    assert f"initializer 'W1' [3, 4] in {location!r}:" in message


@pytest.mark.parametrize(
    ("w1", "match"),
    [
        (
            [*W1_AT, ("basepath", "/tmp")],
            r"'W1' \[3, 4\] in 'w.data': external data key 'basepath' is not read; expected only",
        ),
        ([("foo", "1"), *W1_AT], "external data key 'foo' is not read"),
        ([*W1_AT, ("offset", "0")], "key 'offset' is given twice"),
        (W1_AT[1:], r"'W1' \[3, 4\]: its data is external but no 'location' says where"),
        ([*W1_AT[:2], ("length", "40")], "12 float32 values need 48 bytes, external data says 40"),
        ([*W1_AT[:2], ("length", "4" * 30)], "length '4{30}' is not a non-negative integer"),
        (
            [W1_AT[0], ("offset", "60"), W1_AT[2]],
            "bytes 60 to 108 .*beyond the file, which holds 64",
        ),
        (
            [W1_AT[0], ("offset", "8"), W1_AT[2]],
            r"'B1' \[4\] in 'w.data': bytes 48 to 64 overlap those of initializer 'W1' \[3, 4\]",
        ),
        ([W1_AT[0], ("offset", "16"), W1_AT[2]], "'B1' .* bytes 48 to 64 overlap"),
        (
            W1_AT[:1],
            "without a length the values run from byte 0 to the end, 64, but 12 float32 values",
        ),
        *(
            ([W1_AT[0], ("offset", bad), W1_AT[2]], re.escape(f"offset {bad!r} is not a non-"))
            for bad in ("-1", "+0", " 0", "0x10", "1_0", "1e3", "\u0663", "")
        ),
        ([*W1_AT, ("checksum", "abc")], "checksum 'abc' is not a SHA-1 hex digest"),
        (
            [*W1_AT, ("checksum", "0" * 40)],
            "the file's SHA-1 is [0-9a-f]{40}, its checksum says 0+$",
        ),
    ],
)
def test_external_data_entries_that_do_not_hold_the_tensor_are_refused(tmp_path, w1, match):
    refused_outside(external(tmp_path, w1=w1), match)


def test_external_data_files_that_are_not_plain_files_beside_the_model_are_refused(tmp_path):
    path = external(tmp_path / "m")
    data = tmp_path / "m" / "w.data"
    (tmp_path / "outside.data").write_bytes(BYTES)
    data.unlink()
    refused_outside(path, r"'W1' \[3, 4\] in 'w.data': cannot open .*w.data \(No such file")
    data.symlink_to(tmp_path / "outside.data")
    refused_outside(path, f"a link to {tmp_path / 'outside.data'}, outside {tmp_path / 'm'}, ")
    data.unlink()
    data.symlink_to("../outside.data")
    refused_outside(path, "outside.data, outside")
    data.unlink()
    if os.path.exists("/dev/zero"):
        data.symlink_to("/dev/zero")
        refused_outside(path, "in 'w.data': a link to /dev/zero, outside")
        data.unlink()
    data.mkdir()
    refused_outside(path, "w.data: is a directory; expected a file of external tensor data")
    data.rmdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(data)  # no writer: opening it must not wait for one
        refused_outside(path, "w.data: is not a regular file")
        data.unlink()
    data.write_bytes(BYTES[:-1])  # the last tensor cut short
    refused_outside(path, r"'B1' \[4\] in 'w.data': bytes 48 to 64 .* which holds 63 bytes")


def test_a_device_beside_the_model_is_refused(tmp_path):
    data = tmp_path / "w.data"
    path = external(tmp_path)
    data.unlink()
    try:
        os.mknod(data, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
    except (AttributeError, OSError) as err:
        pytest.skip(f"cannot make a device node here: {err}")
    # a file system mounted nodev refuses to open it at all
    refused_outside(path, "in 'w.data': (.*w.data: is not a regular file|cannot open)")


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_two_names_of_one_file_share_its_ranges(tmp_path, link):
    path = external(tmp_path, b1=[("location", "w2.data"), ("offset", "40"), ("length", "16")])
    if link == "hard":
        os.link(tmp_path / "w.data", tmp_path / "w2.data")
    else:
        (tmp_path / "w2.data").symlink_to("w.data")
    refused_outside(path, "'B1' .* in 'w2.data': bytes 40 to 56 overlap those of initializer 'W1'")


def test_external_data_is_bounded(tmp_path, monkeypatch):
    from barenet.interop import onnx_import

    monkeypatch.setattr(onnx_import, "MAX_EXTERNAL_BYTES", 63)
    refused_outside(
        external(tmp_path / "a"), "64 bytes; a file of external tensor data is at most 63"
    )
    # two files under the cap, 48 and 16 bytes, but more than the cap together
    path = external(tmp_path / "b", b1=[("location", "b.data"), ("offset", "0"), ("length", "16")])
    (tmp_path / "b" / "w.data").write_bytes(W1.tobytes())
    (tmp_path / "b" / "b.data").write_bytes(B1.tobytes())
    monkeypatch.setattr(onnx_import, "MAX_EXTERNAL_BYTES", 50)
    refused_outside(path, r"'B1' \[4\] in 'b.data': external tensors of more than 50 bytes in all")
    monkeypatch.setattr(onnx_import, "MAX_EXTERNAL_BYTES", 64)
    np.testing.assert_allclose(from_onnx(path).predict_proba(X), X @ W1 + B1, atol=1e-6)


def test_external_and_inline_data_at_once_are_refused(tmp_path):
    path = external(tmp_path)
    proto = onnx.load(str(path), load_external_data=False)
    proto.graph.initializer[0].raw_data = W1.tobytes()
    path.write_bytes(proto.SerializeToString())
    refused_outside(path, "'W1' .* in 'w.data': values both in the model file and in another")
    proto.graph.initializer[0].ClearField("raw_data")
    proto.graph.initializer[0].data_location = TensorProto.DEFAULT
    path.write_bytes(proto.SerializeToString())
    refused_outside(path, r"'W1' \[3, 4\]: data_location 0 with 3 external data entries")
    del proto.graph.initializer[0].external_data[:]
    proto.graph.initializer[0].data_location = TensorProto.EXTERNAL
    path.write_bytes(proto.SerializeToString())
    refused_outside(path, r"'W1' \[3, 4\]: data_location 1 with 0 external data entries")


# ----------------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def valid_export(tmp_path_factory):
    model = DeepNeuralNetwork([Layer(4), Layer(3, LeakyReLU(0.1)), Layer(2, "softmax")], seed=0)
    path = tmp_path_factory.mktemp("fuzz") / "m.onnx"
    model.to_onnx(path)
    return path.read_bytes()


def read_bytes(data, beside=None):
    """from_onnx on `data`, with the files `beside` ({name: bytes}) next to it and in the folder
    above, a link "link" to the one above and a FIFO "fifo": only ModelFileError (or OSError)
    may escape; a network it returns must have finite weights and compute well-shaped outputs."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in" / "m.onnx"
        path.parent.mkdir()
        path.write_bytes(data)
        for name, content in (beside or {}).items():
            (path.parent / name).write_bytes(content)
            (Path(folder) / name).write_bytes(content)
        if beside:
            (path.parent / "link").symlink_to(Path("..") / next(iter(beside)))
            if hasattr(os, "mkfifo"):
                os.mkfifo(path.parent / "fifo")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                model = from_onnx(path)
        except (ModelFileError, OSError):
            return
    d = model.layers[0].size
    with np.errstate(all="ignore"):
        out = model.forward(np.zeros((2, d), dtype=model.dtype))
    assert out.shape == (2, model.layers[-1].size)
    assert all(np.isfinite(value).all() for value in model.params.values())


@FUZZ
@given(st.data())
def test_fuzz_mutated_bytes_of_an_export(valid_export, data):
    raw = bytearray(valid_export)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if kind == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del raw[at : at + data.draw(st.integers(1, 8))]
        else:
            del raw[at:]
        if not raw:
            break
    read_bytes(bytes(raw))


# attributes of every type helper.make_attribute makes (FLOAT, INT, TENSOR, FLOATS, INTS,
# STRING), non-finite floats and flags that are neither 0 nor 1, on the operators that have them
ATTRIBUTE_VALUES = {
    "FLOAT": st.sampled_from([1.0, 0.25, float("nan"), float("inf"), -1e38]),
    "INT": st.sampled_from([0, 1, -1, 2, 2**62]),
    "TENSOR": st.sampled_from([np.array(2.0, np.float32), np.ones((3, 0), np.float32)]).map(
        lambda v: numpy_helper.from_array(v, "v")
    ),
    "FLOATS": st.just([1.0]),
    "INTS": st.just([1]),
    "STRING": st.just("1"),
}
OPERATOR_ATTRIBUTES = {
    "Gemm": ["alpha", "beta", "transA", "transB"],
    "LeakyRelu": ["alpha"],
    "Softmax": ["axis"],
    "Flatten": ["axis"],
    "Reshape": ["allowzero"],
    "Constant": ["value"],
}
OPERATORS = ["Gemm", "MatMul", "Add", "Relu", "Softmax", "Flatten", "Reshape", "Constant", "Foo"]


@FUZZ
@given(st.data())
def test_fuzz_structurally_broken_graphs(valid_export, data):
    """The export of 4-3-2 (Gemm, LeakyRelu, Gemm, Softmax) with: a layer of zero units, or one
    tensor's dims, type and bytes changed (zero dims and non-finite values included); and one
    node's operator and attributes changed (of the wrong type, non-finite, repeated)."""
    proto = onnx.load_from_string(valid_export)
    tensors = {tensor.name: tensor for tensor in proto.graph.initializer}
    change = data.draw(st.sampled_from(["none", "zero width", "tensor"]))
    l = data.draw(st.sampled_from([1, 2]))
    if change == "zero width":  # W{l} (h, 0), b{l} (0,): a layer without units
        for tensor in (tensors[f"W{l}"], tensors[f"b{l}"]):
            dims = [*tensor.dims[:-1], 0]
            tensor.ClearField("dims")
            tensor.dims.extend(dims)
            tensor.raw_data = b""
    elif change == "tensor":
        tensor = tensors[data.draw(st.sampled_from([f"W{l}", f"b{l}"]))]
        dims = data.draw(st.lists(st.one_of(st.integers(0, 4), st.integers(-2, 2**40)), max_size=3))
        tensor.ClearField("dims")
        tensor.dims.extend(dims)
        tensor.data_type = data.draw(st.one_of(st.sampled_from([1, 11]), st.integers(0, 20)))
        if data.draw(st.booleans()):  # as many values as the dims say, all this one
            n = int(np.prod(dims)) if all(0 <= d <= 64 for d in dims) else 1
            value = data.draw(st.sampled_from([0.0, 1.0, np.nan, -np.inf]))
            tensor.raw_data = np.full(n, value, _DTYPES.get(tensor.data_type, np.float32)).tobytes()
        else:
            tensor.raw_data = data.draw(st.binary(max_size=64))
    node = data.draw(st.sampled_from(list(proto.graph.node)))
    if data.draw(st.booleans()):
        node.op_type = data.draw(st.sampled_from(OPERATORS))
    names = [*OPERATOR_ATTRIBUTES.get(node.op_type, []), "alpha", "axis", "value", "foo"]
    attributes = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(names),
                st.sampled_from(sorted(ATTRIBUTE_VALUES)).flatmap(ATTRIBUTE_VALUES.get),
            ),
            max_size=3,
        )
    )
    del node.attribute[:]
    node.attribute.extend(helper.make_attribute(k, v) for k, v in attributes)
    read_bytes(proto.SerializeToString())


DATA_NAME = f"{EXTERNAL}-dynamo.onnx.data"  # the location the committed fixture's tensors name
DATA = (FIXTURES / DATA_NAME).read_bytes()
PLACES = [DATA_NAME, f"../{DATA_NAME}", f"/{DATA_NAME}", f"sub/{DATA_NAME}", "link", "fifo", "."]
NUMBERS = ["0", "640", "50176", "50816", "-1", "1e3", "\u0663", "9" * 25, str(2**64), ""]
NUMBERS += [hashlib.sha1(DATA).hexdigest(), "0" * 40]
KEYS = ["location", "location", "offset", "length", "checksum", "basepath", "x"]


@FUZZ
@given(
    which=st.sampled_from([0, 2, 0, 2, 1, 3]),  # the weight matrices are outside, the biases in
    changes=st.lists(
        st.tuples(
            st.sampled_from(["set", "set", "drop", "add"]),
            st.sampled_from(KEYS),
            st.one_of(
                st.sampled_from(PLACES),
                st.sampled_from(NUMBERS),
                st.integers(-(2**8), 2**70).map(str),
                st.text(),
            ),
        ),
        max_size=3,
    ),
    other=st.integers(0, 19),  # 7, 11, 13, 17: flip data_location, raw_data, dims, cut the file
    dims=st.lists(st.integers(0, 2**33), max_size=2),
    cut=st.integers(0, len(DATA)),
)
def test_fuzz_external_data_entries(which, changes, other, dims, cut):
    """The committed dynamo fixture (784-16-10, both weight matrices in its .data file) with one
    tensor's external data entries changed, its data file cut short, beside a link pointing out
    of the directory and a FIFO."""
    proto = onnx.load(str(FIXTURES / f"{EXTERNAL}-dynamo.onnx"), load_external_data=False)
    tensor = proto.graph.initializer[which]
    entries = [(e.key, e.value) for e in tensor.external_data]
    if not entries:  # a bias: point it into the file's first bytes
        size = len(tensor.raw_data)
        entries = [("location", DATA_NAME), ("offset", "0"), ("length", str(size))]
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
    for change, key, value in changes:
        if change == "add":
            entries.append((key, value))
        elif change == "drop":
            entries = [(k, v) for k, v in entries if k != key]
        else:
            entries = [(k, value if k == key else v) for k, v in entries]
    del tensor.external_data[:]
    for key, value in entries:
        tensor.external_data.add(key=key, value=value)
    # NOTE: not 0 or 19: hypothesis draws the ends of a range often
    if other == 7:
        tensor.data_location = 1 - tensor.data_location
    elif other == 11:
        tensor.raw_data = b"\0" * 64
    elif other == 13:
        tensor.ClearField("dims")
        tensor.dims.extend(dims)
    read_bytes(proto.SerializeToString(), {DATA_NAME: DATA[:cut] if other == 17 else DATA})


# ------------------------------------------------------------------------------ laziness


def test_import_barenet_imports_neither_onnx_nor_sklearn():
    code = (
        "import sys, barenet; barenet.from_onnx, barenet.from_sklearn; "
        "print(sorted(m for m in ('onnx', 'sklearn', 'torch', 'google.protobuf') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert barenet.from_onnx is from_onnx
