"""model.to_onnx and `barenet export --onnx`: the graph checked by onnx, run by onnxruntime's CPU
provider and by onnx's reference evaluator, against predict_proba."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer, LeakyReLU, ModelFileError, __version__, load
from barenet.activations import ACTIVATIONS, ActivationFunction, ReLU

onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install 'barenet[onnx]'")
ort = pytest.importorskip(
    "onnxruntime", reason="onnxruntime is not installed: pip install 'barenet[test]'"
)
from onnx.reference import ReferenceEvaluator  # noqa: E402

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def run_both(path, X):
    """The graph's output for X under onnxruntime (CPU) and under onnx's reference evaluator."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (by_ort,) = session.run(None, {"input": X})
    with np.errstate(over="ignore", invalid="ignore"):  # its Sigmoid overflows, then np.where
        (by_reference,) = ReferenceEvaluator(str(path)).run(None, {"input": X})
    return by_ort, by_reference


def inputs(d, dtype, n=9, seed=1):
    """Rows with large, small and zero values, so every activation's two sides are reached."""
    X = np.random.default_rng(seed).normal(size=(n, d)) * 3
    X[0] = 0.0
    X[1] *= 100
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity", "tanh"])
def test_every_activation_runs_the_same_in_onnxruntime_and_the_reference(
    tmp_path, dtype, hidden, output
):
    act = LeakyReLU(0.2) if hidden == "leaky_relu" else hidden
    model = DeepNeuralNetwork(
        [Layer(7), Layer(6, act), Layer(5, act), Layer(3, output)], seed=0, dtype=dtype
    )
    for key in model.params:  # non-zero biases, so a bias left out would show
        model.params[key] += np.asarray(0.1, dtype=dtype)
    path = tmp_path / "model.onnx"
    model.to_onnx(path)
    X = inputs(7, dtype)
    expected = model.predict_proba(X)
    for got in run_both(path, X):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_alpha_that_is_not_a_float32_is_exact(tmp_path, dtype):
    # 0.01 is not a float32 number: the float32 attribute of LeakyRelu would be off by 2e-10,
    # so a float64 network writes PRelu with a float64 slope instead
    model = DeepNeuralNetwork(
        [Layer(4), Layer(6, LeakyReLU(0.01)), Layer(2, "identity")], seed=0, dtype=dtype
    )
    path = tmp_path / "model.onnx"
    model.to_onnx(path)
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert ops == ["Gemm", "PRelu" if dtype == np.float64 else "LeakyRelu", "Gemm"]
    X = -np.abs(inputs(4, dtype)) * 1e3  # the negative side, where alpha matters
    for got in run_both(path, X):
        np.testing.assert_allclose(got, model.predict_proba(X), rtol=TOLERANCE[dtype], atol=0)


def test_the_graph_is_gemm_and_activation_per_layer_with_named_dynamic_io(tmp_path):
    model = DeepNeuralNetwork([Layer(784), Layer(32, "relu"), Layer(10, "softmax")], seed=0)
    path = tmp_path / "digits.onnx"
    model.to_onnx(path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    graph = proto.graph
    assert [(n.op_type, list(n.input), list(n.output)) for n in graph.node] == [
        ("Gemm", ["input", "W1", "b1"], ["z1"]),
        ("Relu", ["z1"], ["a1"]),
        ("Gemm", ["a1", "W2", "b2"], ["z2"]),
        ("Softmax", ["z2"], ["probabilities"]),
    ]
    softmax = graph.node[-1]
    assert [(a.name, a.i) for a in softmax.attribute] == [("axis", -1)]
    (x,), (y,) = graph.input, graph.output
    assert x.name == "input" and y.name == "probabilities"
    for value, width in ((x, 784), (y, 10)):
        dims = value.type.tensor_type.shape.dim
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert dims[0].dim_param == "batch" and not dims[0].dim_value  # dynamic batch
        assert dims[1].dim_value == width
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    np.testing.assert_array_equal(weights["W1"], model.params["W1"])  # (784, 32): no transpose
    # any batch size runs
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (1, 3, 64):
        assert session.run(None, {"input": np.zeros((n, 784), np.float32)})[0].shape == (n, 10)


def test_metadata_holds_the_architecture_and_the_version(tmp_path):
    model = DeepNeuralNetwork([Layer(3), Layer(4, "tanh", dropout=0.25), Layer(1, "sigmoid")])
    model.training_summary = {"epochs": 3}
    path = tmp_path / "m.onnx"
    model.to_onnx(path)
    proto = onnx.load(str(path))
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["barenet_version"] == __version__
    assert proto.producer_name == "barenet" and proto.producer_version == __version__
    arch = json.loads(props["barenet_architecture"])
    assert [(s["size"], s["activation"]) for s in arch["layers"]] == [
        (3, "identity"),
        (4, "tanh"),
        (1, "sigmoid"),
    ]
    assert arch["layers"][1]["dropout"] == 0.25 and arch["training"] == {"epochs": 3}
    # dropout is training-only: no Dropout node; one sigmoid unit is a probability
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Tanh", "Gemm", "Sigmoid"]
    assert proto.graph.output[0].name == "probabilities"


def test_a_regression_network_names_its_output_output_and_writes_no_identity(tmp_path):
    model = DeepNeuralNetwork([Layer(3), Layer(4, "identity"), Layer(2, "identity")], seed=0)
    path = tmp_path / "r.onnx"
    model.to_onnx(path)
    graph = onnx.load(str(path)).graph
    assert [n.op_type for n in graph.node] == ["Gemm", "Gemm"]
    assert graph.output[0].name == "output"
    X = inputs(3, np.float32)
    np.testing.assert_allclose(run_both(path, X)[0], model.predict_proba(X), atol=1e-5)


def test_an_activation_onnx_cannot_express_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    class Swish(ActivationFunction):
        name = "swish"

        def activate(self, z):
            return z / (1 + np.exp(-z))

    class MyReLU(ReLU):  # a subclass may change the math: not taken for ReLU
        pass

    path = tmp_path / "m.onnx"
    path.write_bytes(b"the user's file")
    for act in (Swish(), MyReLU()):
        model = DeepNeuralNetwork([Layer(2), Layer(3, act), Layer(2, "softmax")])
        with pytest.raises(ValueError, match=r"layer 1: the activation (Swish|MyReLU)"):
            model.to_onnx(path)
    # registered (barenet.register), so a model file can name it, but ONNX still cannot
    monkeypatch.setitem(ACTIVATIONS, "swish", Swish)
    model = DeepNeuralNetwork([Layer(2), Layer(3, "relu"), Layer(2, "swish")])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "layer 2: the activation Swish ('swish') cannot be written in ONNX, which has only "
            "barenet's built-in ['identity', 'leaky_relu', 'relu', 'sigmoid', 'softmax', 'tanh']"
        ),
    ):
        model.to_onnx(path)
    assert path.read_bytes() == b"the user's file"
    assert not list(tmp_path.glob(".*.part"))


def test_onnx_missing_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    model = DeepNeuralNetwork([Layer(2), Layer(2, "softmax")])
    with pytest.raises(ImportError, match=r"barenet\[onnx\]"):
        model.to_onnx(tmp_path / "m.onnx")


def test_cli_export_onnx(tmp_path):
    pytest.importorskip("safetensors", reason="model files need safetensors")
    model = DeepNeuralNetwork([Layer(5), Layer(4, "relu"), Layer(3, "softmax")], seed=3)
    model.save(tmp_path / "m.safetensors")
    out = tmp_path / "m.onnx"
    done = subprocess.run(
        [sys.executable, "-m", "barenet", "export", str(tmp_path / "m.safetensors"), "--onnx", out],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    size = out.stat().st_size
    model_text = "<DeepNeuralNetwork 5-4-3 multiclass, loss=cross_entropy, float32>"
    assert done.stdout == f"wrote {out} (ONNX, {size:,} bytes, {model_text})\n"
    X = inputs(5, np.float32)
    expected = load(tmp_path / "m.safetensors").predict_proba(X)
    np.testing.assert_allclose(run_both(out, X)[0], expected, atol=1e-5)


def test_cli_export_without_a_target_says_what_to_give(tmp_path):
    pytest.importorskip("safetensors", reason="model files need safetensors")
    DeepNeuralNetwork([Layer(2), Layer(2, "softmax")]).save(tmp_path / "m.safetensors")
    done = subprocess.run(
        [sys.executable, "-m", "barenet", "export", str(tmp_path / "m.safetensors")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "say what to write: --onnx" in done.stderr
    assert "Traceback" not in done.stderr
    for flag, name in (("--onnx", "out.txt"), ("--html", "page.onnx")):
        done = subprocess.run(
            [sys.executable, "-m", "barenet", "export", str(tmp_path / "m.safetensors"),
             flag, str(tmp_path / name)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 2 and "expected a file name ending in" in done.stderr
        assert not (tmp_path / name).exists()


def test_cli_export_of_a_missing_model_fails_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "barenet", "export", str(tmp_path / "no.safetensors"), "--onnx",
         str(tmp_path / "x.onnx")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr.startswith("error: export:")
    assert not (tmp_path / "x.onnx").exists()


def test_model_file_error_is_what_a_custom_loss_gets(tmp_path):
    from barenet.losses import MeanSquaredError

    class MyLoss(MeanSquaredError):
        name = "my_loss"

    model = DeepNeuralNetwork([Layer(2), Layer(2, "identity")], loss=MyLoss())
    with pytest.raises(ModelFileError, match="registered loss"):
        model.to_onnx(tmp_path / "m.onnx")


def test_the_exporters_return_what_they_wrote_and_print_nothing(tmp_path, capsys):
    """Printing is the CLI's (cli/delegated.py): no module of barenet.interop calls print."""
    import ast
    from pathlib import Path

    from barenet import interop
    from barenet.interop.onnx_export import to_onnx

    model = DeepNeuralNetwork([Layer(3), Layer(2, "softmax")], seed=0)
    assert to_onnx(model, tmp_path / "m.onnx") == (tmp_path / "m.onnx").stat().st_size
    assert capsys.readouterr() == ("", "")
    for module in sorted(Path(interop.__file__).parent.glob("*.py")):
        calls = [
            node.lineno
            for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
        ]
        assert not calls, f"{module.name} prints on lines {calls}"
