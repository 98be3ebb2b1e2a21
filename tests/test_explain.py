"""explain: one sample's trip through a hand-set 3 -> 3 ReLU -> 2 softmax network, by hand."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer
from barenet.explain import Explanation, explain

X_ONE = np.array([1.0, 2.0, 3.0])


@pytest.fixture
def model() -> DeepNeuralNetwork:
    net = DeepNeuralNetwork(
        [Layer(3), Layer(3, "relu"), Layer(2, "softmax")], seed=0, dtype=np.float64
    )
    net.params = {
        "W1": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [-1.0, 0.0, 0.5]]),
        "b1": np.array([0.5, -1.0, -0.5]),
        "W2": np.array([[1.0, -1.0], [1.0, 0.0], [0.0, 1.0]]),
        "b2": np.array([0.0, 0.5]),
    }
    return net


def test_z_and_a_by_hand(model):
    e = model.explain(X_ONE)
    assert isinstance(e, Explanation)
    hidden, output = e.layers
    assert (hidden.index, hidden.size, hidden.activation) == (1, 3, "relu")
    assert (output.index, output.size, output.activation) == (2, 2, "softmax")
    # z1 = x @ W1 + b1 = [1 - 3, 2, 0.5 * 6] + [0.5, -1, -0.5] = [-1.5, 1, 2.5]
    np.testing.assert_allclose(hidden.z, [-1.5, 1.0, 2.5])
    np.testing.assert_allclose(hidden.a, [0.0, 1.0, 2.5])  # relu
    # z2 = a1 @ W2 + b2 = [0 + 1 + 0, 0 + 0 + 2.5] + [0, 0.5] = [1, 3]
    np.testing.assert_allclose(output.z, [1.0, 3.0])
    # softmax([1, 3]) = [1, e^2] / (1 + e^2)
    e2 = math.exp(2)
    np.testing.assert_allclose(output.a, [1 / (1 + e2), e2 / (1 + e2)])
    assert hidden.z.shape == hidden.a.shape == (3,) and output.a.shape == (2,)


def test_stats_by_hand(model):
    hidden, output = model.explain(X_ONE).layers
    z, a = hidden.stats["z"], hidden.stats["a"]
    # z1 = [-1.5, 1, 2.5]: mean 2/3; deviations -13/6, 1/3, 11/6; variance (169 + 4 + 121) / 108
    assert z["min"] == -1.5 and z["max"] == 2.5
    assert z["mean"] == pytest.approx(2 / 3)
    assert z["std"] == pytest.approx(math.sqrt(294 / 108))
    # a1 = [0, 1, 2.5]: mean 3.5 / 3; two of three units fire
    assert (a["min"], a["max"]) == (0.0, 2.5) and a["mean"] == pytest.approx(7 / 6)
    assert a["std"] == pytest.approx(np.std([0.0, 1.0, 2.5]))
    assert hidden.active == pytest.approx(2 / 3)
    assert output.active is None and "active" not in output.stats["a"]  # softmax: no firing


def test_top_units_most_active_first(model):
    top = model.explain(X_ONE).top_units
    assert list(top) == [1]  # hidden layers only
    np.testing.assert_array_equal(top[1].units, [2, 1, 0])  # a1 = [0, 1, 2.5]
    np.testing.assert_allclose(top[1].a, [2.5, 1.0, 0.0])


def test_top_units_keep_k_and_break_ties_by_unit():
    net = DeepNeuralNetwork([Layer(1), Layer(7, "relu"), Layer(2, "softmax")], dtype=np.float64)
    net.params["W1"] = np.array([[1.0, 3.0, 3.0, 0.0, 2.0, 5.0, -1.0]])
    net.params["b1"] = np.zeros(7)
    top = explain(net, [1.0]).top_units[1]
    np.testing.assert_array_equal(top.units, [5, 1, 2, 4, 0])  # 3.0 twice: unit 1 before 2
    np.testing.assert_allclose(top.a, [5.0, 3.0, 3.0, 2.0, 1.0])


def test_probabilities_and_prediction_match_the_model(model):
    e = model.explain(X_ONE)
    assert e.probabilities.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(e.probabilities, model.predict_proba(X_ONE[None])[0])
    assert e.prediction == model.predict(X_ONE[None])[0] == 1 and isinstance(e.prediction, int)
    row = model.explain(X_ONE[None])  # (1, d) is one sample too
    np.testing.assert_array_equal(row.probabilities, e.probabilities)


def test_other_outputs_follow_predict():
    net = DeepNeuralNetwork([Layer(2), Layer(4, "tanh"), Layer(3, "sigmoid")], seed=1)
    e = net.explain([0.5, -1.0])
    np.testing.assert_array_equal(e.prediction, net.predict([[0.5, -1.0]])[0])
    assert "active" not in e.layers[0].stats["a"]  # tanh is not of the ReLU family
    assert "prediction: [" in str(e) and "predicted digit" not in str(e)
    one = DeepNeuralNetwork([Layer(2), Layer(1)], seed=1)  # regression: a float
    assert one.explain([1.0, 2.0]).prediction == pytest.approx(float(one.predict([[1.0, 2.0]])[0]))


def test_str_shows_the_tables(model):
    lines = str(model.explain(X_ONE)).splitlines()
    assert lines[0].split() == [
        "layer", "size", "activation", "z", "shape", "z", "min", "z", "mean", "z", "max",
        "a", "min", "a", "mean", "a", "max", "active",
    ]  # fmt: skip
    assert lines[2].split() == [
        "1", "3", "relu", "(3,)", "-1.500", "0.667", "2.500", "0.000", "1.167", "2.500", "66.7%",
    ]  # fmt: skip
    assert lines[3].split()[:4] == ["2", "2", "softmax", "(2,)"] and lines[3].endswith("-")
    assert lines[5] == "most active hidden units"
    assert [line.split() for line in lines[8:11]] == [
        ["1", "1", "2", "2.500"],
        ["1", "2", "1", "1.000"],
        ["1", "3", "0", "0.000"],
    ]
    assert lines[12] == "probabilities"
    assert lines[13].split() == ["class", "probability"]
    assert lines[16].split() == ["1", "0.8808", "<-"]
    assert lines[-1] == "predicted digit: 1"


def test_to_dict_is_json(model):
    d = json.loads(json.dumps(model.explain(X_ONE).to_dict()))
    assert [layer["index"] for layer in d["layers"]] == [1, 2]
    assert d["layers"][0]["a"] == [0.0, 1.0, 2.5]
    assert d["top_units"] == [{"layer": 1, "units": [2, 1, 0], "a": [2.5, 1.0, 0.0]}]
    assert d["prediction"] == 1 and sum(d["probabilities"]) == pytest.approx(1.0)


def test_one_sample_only(model):
    with pytest.raises(ValueError, match="explain takes one sample"):
        model.explain(np.ones((2, 3)))
    with pytest.raises(ValueError, match="4 features per sample, but the input layer expects 3"):
        model.explain(np.ones(4))


def test_cli_explain(tmp_path):
    pytest.importorskip("safetensors")
    pytest.importorskip("PIL")
    from barenet.images import to_png

    net = DeepNeuralNetwork([Layer(784), Layer(8, "relu"), Layer(10, "softmax")], seed=0)
    net.save(tmp_path / "tiny.safetensors")
    digit = np.zeros((28, 28))
    digit[6:22, 12:16] = 1.0  # a "1"
    to_png(digit, tmp_path / "one.png")
    model_file, image = tmp_path / "tiny.safetensors", tmp_path / "one.png"
    result = subprocess.run(
        [sys.executable, "-m", "barenet", "explain", model_file, image],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("layer  size  activation  z shape") and "(8,)" in out
    assert "most active hidden units" in out and "class  probability" in out
    assert "predicted digit: " in out
