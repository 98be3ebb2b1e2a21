"""Activations: each derivative against finite differences, extreme inputs, the registry."""

import numpy as np
import pytest

from barenet import activations
from barenet.activations import ACTIVATIONS, ActivationFunction, LeakyReLU, Sigmoid, Softmax
from barenet.testing import gradcheck_activation

EXTREME = np.array([[-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4]])


def z_away_from_kinks(seed: int = 0) -> np.ndarray:
    """Random z with no element near 0, where ReLU's derivative jumps."""
    z = np.random.default_rng(seed).normal(size=(4, 5)) * 2
    return np.where(np.abs(z) < 0.1, 0.5, z)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derive_matches_finite_differences(name):
    result = gradcheck_activation(activations.get(name), z_away_from_kinks())
    assert result.ok, str(result)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_stay_finite_without_warnings(name, dtype):
    act = activations.get(name)
    z = EXTREME.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.activate(z)
        dz = act.derive(np.ones_like(z), z, a)
    assert a.dtype == dtype and dz.dtype == dtype
    assert np.isfinite(a).all() and np.isfinite(dz).all()


def test_sigmoid_is_exact_at_the_extremes():
    a = Sigmoid().activate(np.array([[-1e4, 0.0, 1e4]], dtype=np.float32))
    np.testing.assert_array_equal(a, [[0.0, 0.5, 1.0]])
    # sigmoid(-z) = 1 - sigmoid(z), in both halves of the stable formula
    z = np.linspace(-30, 30, 61)[None, :]
    np.testing.assert_allclose(Sigmoid().activate(-z), 1 - Sigmoid().activate(z), atol=1e-15)
    np.testing.assert_allclose(Sigmoid().activate(z), 1 / (1 + np.exp(-z)), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_exact_for_huge_logits_and_ties(dtype):
    big = 1e36 if dtype == np.float32 else 1e300
    z = np.array([[1e4, 0, -1e4], [1e4, 1e4, 0], [big, -big, 0], [5, 5, 5]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = Softmax().activate(z)
    np.testing.assert_array_equal(a[:3], [[1, 0, 0], [0.5, 0.5, 0], [1, 0, 0]])
    np.testing.assert_allclose(a[3], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(a.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("k", [1, 10, 32, 33, 200])  # both sides of the short-row path
def test_softmax_equals_the_textbook_formula_for_short_and_long_rows(k):
    z = np.random.default_rng(k).normal(size=(300, k)) * 5
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(Softmax().activate(z), e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    z[7, k // 2] = 1e300  # the row max really is each row's own
    assert Softmax().activate(z)[7, k // 2] == 1.0


def test_softmax_derive_is_the_full_jacobian_product():
    # For one row, J = diag(a) - a a^T; the vector-Jacobian product is da @ J.
    z = np.array([[0.3, -1.2, 2.0]])
    a = Softmax().activate(z)
    J = np.diag(a[0]) - np.outer(a[0], a[0])
    da = np.array([[1.0, -2.0, 0.5]])
    np.testing.assert_allclose(Softmax().derive(da, z, a), da @ J, rtol=1e-14)


def test_relu_family_by_hand():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.get("relu").activate(z), [[0, 0, 3]])
    np.testing.assert_array_equal(
        activations.get("relu").derive(np.ones_like(z), z, None), [[0, 0, 1]]
    )
    leaky = LeakyReLU(alpha=0.1)
    np.testing.assert_allclose(leaky.activate(z), [[-0.2, 0, 3]])
    np.testing.assert_allclose(leaky.derive(np.ones_like(z), z, None), [[0.1, 0.1, 1]])


def test_registry_get():
    assert isinstance(activations.get("relu"), activations.ReLU)
    assert isinstance(activations.get(None), activations.Identity)
    sig = Sigmoid()
    assert activations.get(sig) is sig
    assert isinstance(activations.get(activations.Tanh), activations.Tanh)
    assert set(ACTIVATIONS) == {"relu", "leaky_relu", "sigmoid", "tanh", "softmax", "identity"}


@pytest.mark.parametrize("bad", ["rleu", "ReLU6", 3, ["relu"]])
def test_unknown_activation_lists_the_valid_names(bad):
    with pytest.raises(ValueError, match=r"unknown activation .*expected one of \['identity'"):
        activations.get(bad)


def test_leaky_relu_refuses_a_bad_alpha():
    with pytest.raises(ValueError, match="alpha must be in"):
        LeakyReLU(alpha=-0.5)


def test_config_and_equality():
    assert LeakyReLU(0.2).get_config() == {"alpha": 0.2}
    assert LeakyReLU(0.2) == LeakyReLU(0.2) != LeakyReLU(0.3)
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(alpha=0.2)"


class Softplus(ActivationFunction):
    """A user's own activation: a = log(1 + exp(z)); da/dz = sigmoid(z)."""

    def activate(self, z):
        return np.logaddexp(0, z)

    def derive(self, da, z, a):
        return da * Sigmoid().activate(z)


def test_a_users_own_activation_is_checkable():
    assert gradcheck_activation(Softplus(), z_away_from_kinks()).ok


def test_gradcheck_activation_catches_a_wrong_derivative():
    class WrongTanh(activations.Tanh):
        def derive(self, da, z, a):
            return da * (1.0 - a)  # the square is missing

    result = gradcheck_activation(WrongTanh(), z_away_from_kinks())
    assert not result.ok
    assert "FAILED" in str(result)


# ------------------------------------------------------------- the non-finite policy (docstrings)

NAN, INF = np.nan, np.inf
NONFINITE_Z = np.array([[NAN, INF, -INF]])
# activate([NaN, inf, -inf]) for each element-wise activation, as their docstrings say
ACTIVATE_NONFINITE = {
    "identity": [NAN, INF, -INF],
    "relu": [NAN, INF, 0.0],
    "leaky_relu": [NAN, INF, -INF],
    "sigmoid": [NAN, 1.0, 0.0],
    "tanh": [NAN, 1.0, -1.0],
}


@pytest.mark.parametrize("name", sorted(ACTIVATE_NONFINITE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activate_maps_nan_to_nan_and_inf_to_its_limit_without_warnings(name, dtype):
    z = NONFINITE_Z.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = activations.get(name).activate(z)
    np.testing.assert_array_equal(a, [ACTIVATE_NONFINITE[name]])  # NaN equals NaN here
    assert a.dtype == dtype


def test_every_registered_activation_has_a_stated_non_finite_policy():
    assert set(ACTIVATE_NONFINITE) | {"softmax"} == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derive_keeps_nan_da_nan_and_infinite_da_infinite_where_the_slope_is_not_0(name):
    act = activations.get(name)
    z = np.array([[-2.0, 0.5, 3.0]])  # slopes: relu 0, 1, 1; sigmoid and tanh all > 0
    a = act.activate(z)
    with np.errstate(invalid="ignore"):
        assert np.isnan(act.derive(np.full_like(z, NAN), z, a)).all()
        dz = act.derive(np.full_like(z, INF), z, a)
    if name == "relu":
        np.testing.assert_array_equal(dz, [[NAN, INF, INF]])  # 0 * inf where inactive
    elif name == "softmax":
        assert np.isnan(dz).all()  # the row is mixed: inf - inf
    else:
        np.testing.assert_array_equal(dz, [[INF, INF, INF]])


def test_derive_at_a_zero_slope_turns_an_infinite_da_into_nan():
    z = np.array([[50.0]])  # sigmoid and tanh saturate: a = 1 exactly, slope 0 in floats
    for act in (Sigmoid(), activations.get("tanh")):
        a = act.activate(z)
        with np.errstate(invalid="ignore"):
            assert np.isnan(act.derive(np.array([[INF]]), z, a)).all()
        assert act.derive(np.array([[1.0]]), z, a)[0, 0] == 0.0  # a finite da gives 0


def test_relu_family_derive_reads_a_nan_z_as_inactive():
    z = np.array([[NAN]])
    assert activations.get("relu").derive(np.ones((1, 1)), z, z)[0, 0] == 0.0
    assert LeakyReLU(0.1).derive(np.ones((1, 1)), z, z)[0, 0] == pytest.approx(0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_gives_a_minus_inf_logit_probability_0_and_a_nan_row_otherwise(dtype):
    z = np.array([[-INF, 0.0, 0.0], [-INF, -INF, 2.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = Softmax().activate(z)
    np.testing.assert_array_equal(a, [[0, 0.5, 0.5], [0, 0, 1]])
    bad = np.array([[NAN, 0.0, 1.0], [INF, 0.0, 1.0], [-INF, -INF, -INF]], dtype=dtype)
    with np.errstate(invalid="ignore"):
        assert np.isnan(Softmax().activate(bad)).all()
