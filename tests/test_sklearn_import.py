"""barenet.from_sklearn against scikit-learn itself: every task and hidden activation, predictions
to 1e-6, and clear errors for what it cannot read."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from barenet import from_sklearn

pytest.importorskip(
    "sklearn", reason="scikit-learn is not installed: pip install 'barenet[sklearn]'"
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor

HIDDEN = ["relu", "tanh", "logistic", "identity"]


def data(n=120, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=(d, 3))


def fitted(estimator, X, y):
    with warnings.catch_warnings():  # a few iterations are enough to have weights that matter
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("activation", HIDDEN)
def test_multiclass_softmax_with_string_labels(activation):
    X, S = data()
    y = np.array(["cat", "dog", "emu"])[S.argmax(axis=1)]
    mlp = fitted(
        MLPClassifier(
            hidden_layer_sizes=(7, 4), activation=activation, max_iter=50, random_state=0
        ),
        X,
        y,
    )
    model = from_sklearn(mlp)
    assert model.task == "multiclass" and model.dtype == np.float64
    assert [layer.size for layer in model.layers] == [5, 7, 4, 3]
    np.testing.assert_allclose(model.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-6)
    # barenet's labels are indices into classes_
    np.testing.assert_array_equal(mlp.classes_[model.predict(X)], mlp.predict(X))


@pytest.mark.parametrize("activation", HIDDEN)
def test_binary_is_one_logistic_unit_the_second_column(activation):
    X, S = data(seed=1)
    y = np.where(S[:, 0] > 0, 7, 3)  # classes_ = [3, 7]
    mlp = fitted(
        MLPClassifier(hidden_layer_sizes=(6,), activation=activation, max_iter=50, random_state=0),
        X,
        y,
    )
    model = from_sklearn(mlp)
    assert model.task == "binary" and model.layers[-1].size == 1
    proba = mlp.predict_proba(X)  # (n, 2): P(3), P(7)
    assert proba.shape == (len(X), 2) and model.predict_proba(X).shape == (len(X), 1)
    np.testing.assert_allclose(model.predict_proba(X), proba[:, 1:], rtol=0, atol=1e-6)
    np.testing.assert_allclose(1 - model.predict_proba(X)[:, 0], proba[:, 0], atol=1e-6)
    np.testing.assert_array_equal(mlp.classes_[model.predict(X)], mlp.predict(X))


def test_multilabel_is_logistic_units():
    X, S = data(seed=2)
    Y = (S > 0).astype(int)
    mlp = fitted(MLPClassifier(hidden_layer_sizes=(8,), max_iter=60, random_state=0), X, Y)
    model = from_sklearn(mlp)
    assert model.task == "multilabel"
    np.testing.assert_allclose(model.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(model.predict(X), mlp.predict(X))


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("outputs", [1, 3])
def test_regressor_identity_output(activation, outputs):
    X, S = data(seed=3)
    y = S[:, 0] if outputs == 1 else S
    mlp = fitted(
        MLPRegressor(hidden_layer_sizes=(9, 5), activation=activation, max_iter=80, random_state=0),
        X,
        y,
    )
    model = from_sklearn(mlp)
    assert model.task == "regression" and model.loss_function.name == "mse"
    np.testing.assert_allclose(model.predict(X), mlp.predict(X), rtol=0, atol=1e-6)
    assert model.predict(X).shape == mlp.predict(X).shape
    # NOTE: for several outputs barenet's R^2 pools them (scikit-learn's "variance_weighted");
    # scikit-learn's score averages the per-output R^2 ("uniform_average")
    pooled = r2_score(y, mlp.predict(X), multioutput="variance_weighted")
    assert model.score(X, y) == pytest.approx(pooled, abs=1e-9)


def test_the_parameters_are_scikit_learns_and_the_model_is_a_plain_network():
    X, S = data(seed=4)
    mlp = fitted(
        MLPClassifier(
            hidden_layer_sizes=(4,), max_iter=30, random_state=0, learning_rate_init=0.003
        ),
        X,
        S.argmax(1),
    )
    model = from_sklearn(mlp)
    for l, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_, strict=True), start=1):
        np.testing.assert_array_equal(model.params[f"W{l}"], W)
        np.testing.assert_array_equal(model.params[f"b{l}"], b)
    assert model.learning_rate == 0.003
    assert model.explain(X[0]).prediction == model.predict(X[:1])[0]  # open it up like any model
    model.fit(X, S.argmax(1), epochs=1, verbose=0)  # and train it further
    assert from_sklearn(mlp, dtype=np.float32).dtype == np.float32


def test_what_is_not_a_fitted_mlp_gets_a_clear_error():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
        from_sklearn(MLPClassifier())
    X, S = data(seed=5)
    pipeline = fitted(
        make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(3,), max_iter=5)),
        X,
        S.argmax(1),
    )
    with pytest.raises(TypeError, match=r"not a Pipeline: pass pipeline\[-1\]"):
        from_sklearn(pipeline)
    from_sklearn(pipeline[-1])  # which works
    with pytest.raises(TypeError, match=r"sklearn\.linear_model\._logistic\.LogisticRegression"):
        from_sklearn(LogisticRegression().fit(X, S.argmax(1)))
    with pytest.raises(TypeError, match=r"received builtins\.str"):
        from_sklearn("model.pkl")


def test_an_activation_barenet_does_not_have_is_refused():
    X, S = data(seed=6)
    mlp = fitted(MLPRegressor(hidden_layer_sizes=(3,), max_iter=5), X, S)
    mlp.activation = "softplus"  # not one of scikit-learn's four today, but say so if it comes
    with pytest.raises(ValueError, match=r"hidden activation is 'softplus'.*expected one of"):
        from_sklearn(mlp)
    # scikit-learn's Poisson loss has an exp output, which barenet does not have
    poisson = fitted(
        MLPRegressor(loss="poisson", hidden_layer_sizes=(3,), max_iter=5), X, np.abs(S)
    )
    with pytest.raises(ValueError, match=r"output activation \(out_activation_\) is 'exp'"):
        from_sklearn(poisson)


def test_no_random_weights_are_drawn_and_the_weights_are_checked(monkeypatch):
    from barenet import DeepNeuralNetwork

    X, S = data(seed=7)
    y = S.argmax(1)
    mlp = fitted(MLPClassifier(hidden_layer_sizes=(4, 3), max_iter=5, random_state=0), X, y)

    def draw(*args, **kwargs):
        raise AssertionError("from_sklearn drew random weights it then threw away")

    monkeypatch.setattr(DeepNeuralNetwork, "initialize_params", draw)
    model = from_sklearn(mlp)
    np.testing.assert_allclose(model.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-6)

    mlp.coefs_[1] = mlp.coefs_[1][:2]  # layer 2 reads 2 units; layer 1 has 4
    with pytest.raises(ValueError, match=r"MLPClassifier: W2 has shape \[2, 3\]; layer 2 needs"):
        from_sklearn(mlp)
    mlp = fitted(MLPRegressor(hidden_layer_sizes=(3,), max_iter=5), X, S)
    mlp.intercepts_[0][1] = np.nan
    with pytest.raises(ValueError, match=r"MLPRegressor: b1 \(layer 1\) holds NaN or infinite"):
        from_sklearn(mlp)
    mlp.intercepts_[0][1] = 0.0
    mlp.coefs_[1][0, 0] = 1e300  # finite in float64, infinite in float32
    assert np.isfinite(from_sklearn(mlp).params["W2"]).all()
    with pytest.raises(ValueError, match=r"W2 \(layer 2\) holds NaN or infinite values in float32"):
        from_sklearn(mlp, dtype=np.float32)
