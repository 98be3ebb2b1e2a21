"""Initializers: variances match their formulas, seeds reproduce, the registry."""

import numpy as np
import pytest

from barenet import initializers
from barenet.initializers import INITIALIZERS

FAN_IN, FAN_OUT = 400, 300
VARIANCE = {
    "he_normal": 2 / FAN_IN,
    "he_uniform": 2 / FAN_IN,
    "glorot_normal": 2 / (FAN_IN + FAN_OUT),
    "glorot_uniform": 2 / (FAN_IN + FAN_OUT),
    "lecun_normal": 1 / FAN_IN,
    "lecun_uniform": 1 / FAN_IN,
    "normal": 0.05**2,
    "uniform": 0.05**2 / 3,  # U(-c, c) has variance c^2 / 3
    "zeros": 0.0,
}


def test_every_registered_initializer_has_a_variance_here():
    assert set(VARIANCE) == set(INITIALIZERS)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_variance_matches_the_formula(name):
    W = initializers.get(name)(FAN_IN, FAN_OUT, np.random.default_rng(0))
    assert W.shape == (FAN_IN, FAN_OUT)
    # 120,000 draws: the sample variance is within about 1% of the true one
    np.testing.assert_allclose(W.var(), VARIANCE[name], rtol=0.03)
    assert abs(W.mean()) <= 5 * np.sqrt(VARIANCE[name] / W.size)  # five standard errors


@pytest.mark.parametrize("name", [n for n in INITIALIZERS if n.endswith("uniform")])
def test_uniform_limits(name):
    W = initializers.get(name)(FAN_IN, FAN_OUT, np.random.default_rng(1))
    limit = np.sqrt(3 * VARIANCE[name])
    assert W.min() >= -limit and W.max() <= limit
    assert W.max() > 0.99 * limit  # the whole range is used


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_same_seed_same_weights(name):
    init = initializers.get(name)
    a = init(5, 3, np.random.default_rng(7))
    b = init(5, 3, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


def test_get_accepts_callables_and_refuses_unknown_names():
    def mine(fan_in, fan_out, rng):
        return np.ones((fan_in, fan_out))

    assert initializers.get(mine) is mine
    assert initializers.name_of(mine) == "mine"
    assert initializers.name_of("he_normal") == "he_normal"
    with pytest.raises(ValueError, match=r"unknown initializer 'xavier'.*glorot_normal"):
        initializers.get("xavier")
