"""The gradient checker itself: it passes on correct gradients and catches wrong ones."""

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer
from barenet.activations import Tanh
from barenet.testing import gradcheck


def small_net(hidden="tanh", dtype=np.float64):
    return DeepNeuralNetwork([Layer(3), Layer(4, hidden), Layer(2, "softmax")], seed=0, dtype=dtype)


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)


def test_passes_on_the_real_gradient_and_reports_the_worst_element():
    result = gradcheck(small_net(), *data())
    assert result.ok
    assert result.error < 1e-8
    assert result.where.startswith(("W", "b"))
    assert str(result).startswith("gradcheck ok: worst error")


def test_catches_a_wrong_derivative_and_names_where():
    class WrongTanh(Tanh):
        def derive(self, da, z, a):
            return da * (1.0 - a)  # the square is missing

    result = gradcheck(small_net(hidden=WrongTanh()), *data())
    assert not result.ok
    assert result.where.startswith(("W1", "b1"))  # only the hidden layer's gradient is wrong


def test_catches_a_wrong_output_delta(monkeypatch):
    from barenet.losses import CrossEntropy

    monkeypatch.setattr(CrossEntropy, "delta", lambda self, z, a, Y: a - Y)  # missing / n
    assert not gradcheck(small_net(), *data()).ok


def test_refuses_float32():
    with pytest.raises(ValueError, match="gradcheck needs float64 parameters; received float32"):
        gradcheck(small_net(dtype=np.float32), *data())
