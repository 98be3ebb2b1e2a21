"""Layer: a spec that checks its arguments."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from barenet import Layer, ReLU
from barenet.activations import Identity, LeakyReLU, Softmax
from barenet.layers import parse_layers


def test_the_posts_layer():
    layer = Layer(size=784, activation_function=ReLU())
    assert layer.size == 784 and isinstance(layer.activation_function, ReLU)
    assert layer.init is None


def test_positional_and_by_name():
    layer = Layer(128, "softmax", "glorot_normal")
    assert isinstance(layer.activation_function, Softmax)
    assert layer.init == "glorot_normal"
    assert isinstance(Layer(np.int64(3)).activation_function, Identity)
    assert repr(layer) == "Layer(128, Softmax(), init='glorot_normal')"


@pytest.mark.parametrize("size", [0, -3, 2.5, "10", True, None])
def test_size_must_be_a_whole_number_of_at_least_one(size):
    with pytest.raises(ValueError, match=f"size must be a whole number >= 1; received {size!r}"):
        Layer(size, "relu")


def test_unknown_names_fail_at_construction():
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        Layer(3, "relux")
    with pytest.raises(ValueError, match="unknown initializer 'he'"):
        Layer(3, "relu", init="he")


# ------------------------------------------------------------------------- the --layers syntax


def test_parse_layers_reads_sizes_and_activations_with_the_defaults():
    layers = parse_layers(" 784, 256:ReLU ,64, 10:SOFTMAX")
    assert [layer.size for layer in layers] == [784, 256, 64, 10]
    kinds = [type(layer.activation_function) for layer in layers]
    assert kinds == [Identity, ReLU, ReLU, Softmax]  # hidden: relu, output: softmax
    assert isinstance(parse_layers("2,3")[-1].activation_function, Softmax)
    assert isinstance(parse_layers("2,4:LeakyReLU,1:sigmoid")[1].activation_function, LeakyReLU)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "--layers needs the input size and at least one layer, e.g. 784,256:relu,"),
        ("784", "received '784'"),
        ("784,1e3:relu,10", "--layers entry '1e3:relu': the size must be a whole number >= 1"),
        ("784,0,10", r"entry '0': the size must be a whole number >= 1 .*received '0'"),
        ("784,-5,10", "received '-5'"),
        ("784,\u00b2,10", "received '\u00b2'"),  # str.isdigit is true for it
        ("784,\u0663,10", "received '\u0663'"),  # int() would read it as 3
        ("784," + "9" * 5000 + ",10", r"at most 9 digits.*received '9{40}'\.\.\.$"),
        ("784,16:swish,10", r"entry '16:swish': unknown activation 'swish'; .*'tanh'\] \(any"),
        ("784,16:relu:0.5,10", "unknown activation 'relu:0.5'; write SIZE or SIZE:ACTIVATION"),
        ("784,16:,10", "unknown activation ''"),
        ("784,,10", "--layers entry 2 of 3 is empty"),
        ("784,10,", "--layers entry 3 of 3 is empty"),
    ],
)
def test_parse_layers_says_which_entry_is_wrong_and_what_is_allowed(spec, message):
    with pytest.raises(ValueError, match=message) as caught:
        parse_layers(spec, name="--layers")
    text = str(caught.value)
    assert "invalid literal" not in text and "base 10" not in text and len(text) < 300
    assert "ActivationFunction" not in text  # no Python internals for a typed spec


def test_no_library_module_imports_the_cli_to_read_layers():
    # the lab reads its layers with barenet.layers.parse_layers, not the CLI's
    code = (
        "import sys; from barenet.web.lab.config import parse_config; parse_config({}); "
        "assert 'barenet.cli' not in sys.modules, 'barenet.cli imported'"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
