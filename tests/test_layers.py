"""Layer: a spec that checks its arguments."""

import numpy as np
import pytest

from barenet import Layer, ReLU
from barenet.activations import Identity, Softmax


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
