"""barenet.estimators: the scikit-learn contract, targets, incremental fits, pipelines."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import (
    load_iris,
    make_blobs,
    make_multilabel_classification,
    make_regression,
)
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import barenet
from barenet import DeepNeuralNetwork
from barenet.estimators import BareNetClassifier, BareNetRegressor

# fits that run out of epochs warn (tested below); the other tests need not show it
pytestmark = pytest.mark.filterwarnings("ignore::barenet.ConvergenceWarning")

# Small and quick, yet enough to learn the checks' toy problems (check_classifiers_train
# wants accuracy > 0.83 on 300 blobs, check_regressors_train R^2 > 0.5).
SMALL = {"hidden_layer_sizes": (16,), "learning_rate": 0.02, "batch_size": 32, "epochs": 30}


def small_classifier(**params: object) -> BareNetClassifier:
    return BareNetClassifier(**{**SMALL, "random_state": 0, **params})  # type: ignore[arg-type]


def small_regressor(**params: object) -> BareNetRegressor:
    return BareNetRegressor(**{**SMALL, "random_state": 0, **params})  # type: ignore[arg-type]


@parametrize_with_checks([small_classifier(), small_regressor()])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_import_barenet_does_not_import_sklearn():
    code = "import sys, barenet; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- classification


def blobs(centers: int = 3, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(n_samples=n, centers=centers, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("centers", [2, 3])
def test_classifier_learns_binary_and_multiclass(centers):
    X, y = blobs(centers)
    model = small_classifier().fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), centers)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert model.network_.task == ("binary" if centers == 2 else "multiclass")
    assert model.score(X, y) > 0.9
    np.testing.assert_array_equal(model.classes_, np.arange(centers))


def test_binary_proba_columns_are_one_minus_p_and_p():
    X, y = blobs(2)
    model = small_classifier(epochs=3).fit(X, y)
    p = model.network_.forward(X.astype(np.float32))[:, 0]
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], p, rtol=1e-6)
    np.testing.assert_allclose(proba[:, 0], 1 - p, rtol=1e-6)


def test_string_labels():
    X, y = blobs(3)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = small_classifier().fit(X, names)
    np.testing.assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    assert set(model.predict(X)) <= set(names)
    assert model.score(X, names) > 0.9


def test_multilabel():
    X, Y = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    model = small_classifier(epochs=60).fit(X, Y)
    assert model.network_.task == "multilabel"
    np.testing.assert_array_equal(model.classes_, np.arange(4))
    proba = model.predict_proba(X)
    assert proba.shape == (300, 4)
    assert ((proba >= 0) & (proba <= 1)).all()
    pred = model.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    assert (pred == Y).mean() > 0.85  # per-label accuracy


def test_one_class_raises():
    X, _ = blobs(2)
    with pytest.raises(ValueError, match="at least 2 classes"):
        small_classifier().fit(X, np.zeros(len(X)))


def test_partial_fit_improves_and_needs_classes():
    X, y = blobs(3)
    model = small_classifier(learning_rate=0.005)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, y)
    model.partial_fit(X[:50], y[:50], classes=[0, 1, 2])  # a batch may miss some classes
    first = model.score(X, y)
    for _ in range(10):
        model.partial_fit(X, y)
    assert model.n_iter_ == 11
    assert len(model.loss_curve_) == 11
    assert model.loss_curve_[-1] < model.loss_curve_[1]
    assert model.score(X, y) > max(first, 0.9)
    with pytest.raises(ValueError, match="differ from the fitted classes_"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="not one of classes_"):
        model.partial_fit(X, np.full(len(X), 7))


def test_warm_start_continues_from_the_fitted_weights():
    X, y = blobs(3)
    cold = small_classifier(epochs=5).fit(X, y)
    first = cold.network_.params["W1"].copy()
    cold.fit(X, y)  # warm_start=False: starts over, and the same seed repeats the first fit
    assert cold.n_iter_ == 5
    np.testing.assert_array_equal(cold.network_.params["W1"], first)

    warm = small_classifier(epochs=5, warm_start=True).fit(X, y)
    np.testing.assert_array_equal(warm.network_.params["W1"], first)  # the first fit is cold
    network = warm.network_
    warm.fit(X, y)
    assert warm.network_ is network  # the same network, trained further
    assert warm.n_iter_ == 10
    assert len(warm.loss_curve_) == 10
    assert not np.array_equal(warm.network_.params["W1"], first)
    assert warm.loss_curve_[-1] < warm.loss_curve_[4]
    warm.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match="warm_start=False"):
        warm.fit(X, y)


def test_early_stopping_stops_and_counts_epochs():
    X, y = blobs(3, n=400)
    model = small_classifier(epochs=500, early_stopping=True, n_iter_no_change=3).fit(X, y)
    assert model.n_iter_ < 500
    assert len(model.loss_curve_) == model.n_iter_
    assert model.score(X, y) > 0.9


def test_dataframe_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = blobs(3)
    frame = pd.DataFrame(X, columns=["a", "b"])
    model = small_classifier(epochs=2).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b"])
    assert model.n_features_in_ == 2
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


def test_pipeline_cross_val_score_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), small_classifier())
    scores = cross_val_score(pipeline, X, y, cv=3, n_jobs=1)
    assert scores.mean() > 0.85
    grid = GridSearchCV(
        pipeline, {"barenetclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3, n_jobs=1
    )
    grid.fit(X, y)
    assert grid.best_params_["barenetclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    assert grid.score(X, y) > 0.85


@pytest.mark.parametrize("make", [small_classifier, small_regressor])
def test_pickle_round_trip(make):
    X, y = blobs(3)
    model = make(epochs=3).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    assert isinstance(copy.network_, DeepNeuralNetwork)
    np.testing.assert_array_equal(copy.predict(X), model.predict(X))
    # and the copy keeps training like the original
    model.partial_fit(X, y)
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict(X), model.predict(X))


# ---------------------------------------------------------------------- regression


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor_reaches_r2(n_targets):
    X, y = make_regression(
        n_samples=400, n_features=5, n_targets=n_targets, noise=1.0, random_state=0
    )
    y = y / y.std(axis=0)  # NOTE: nothing is standardized implicitly; the loss is MSE
    X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]
    model = make_pipeline(StandardScaler(), small_regressor(epochs=100))
    model.fit(X_train, y_train)
    pred = model.predict(X_test)
    assert pred.shape == y_test.shape
    assert pred.dtype == np.float64
    assert model.score(X_test, y_test) > 0.9


def test_regressor_keeps_a_2d_single_target_2d():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    assert small_regressor(epochs=1).fit(X, y).predict(X).shape == (50,)
    assert small_regressor(epochs=1).fit(X, y[:, None]).predict(X).shape == (50, 1)


def test_regressor_partial_fit():
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    y = y / y.std()
    model = small_regressor()
    model.partial_fit(X, y)
    first = model.score(X, y)
    for _ in range(20):
        model.partial_fit(X, y)
    assert model.n_iter_ == 21
    assert model.score(X, y) > max(first, 0.9)
    with pytest.raises(ValueError, match="1 outputs"):
        model.partial_fit(X, np.c_[y, y])


# ---------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("hidden_layer_sizes", (16, 0), "hidden_layer_sizes"),
        ("hidden_layer_sizes", "16", "hidden_layer_sizes"),
        ("activation", "swish", "unknown activation"),
        ("optimizer", "lbfgs", "optimizer must be one of"),
        ("learning_rate", 0.0, "learning_rate"),
        ("batch_size", 0, "batch_size"),
        ("batch_size", 2.5, "batch_size"),
        ("epochs", 0, "epochs"),
        ("weight_decay", -1.0, "weight_decay"),
        ("dropout", 1.0, "dropout"),
        ("early_stopping", "yes", "early_stopping"),
        ("validation_fraction", 1.0, "validation_fraction"),
        ("tol", -1e-4, "tol"),
        ("tol", "1e-4", "tol"),
        ("n_iter_no_change", 0, "n_iter_no_change"),
        ("verbose", 3, "verbose"),
        ("warm_start", 1, "warm_start"),
        ("random_state", -1, "random_state"),
        ("random_state", "a", "random_state"),
    ],
)
@pytest.mark.parametrize("cls", [BareNetClassifier, BareNetRegressor])
def test_invalid_params_raise_in_fit_not_init(cls, param, value, match):
    X, y = blobs(2, n=20)
    model = cls(**{param: value})  # stored verbatim, no error yet
    assert model.get_params()[param] == value
    assert clone(model).get_params()[param] == value
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


def test_early_stopping_needs_a_validation_sample():
    X, y = blobs(2, n=5)
    with pytest.raises(ValueError, match="holds out 0 of 5 samples"):
        small_classifier(early_stopping=True).fit(X, y)


# ---------------------------------------------------------------------- convergence


def convergence_warnings(fit) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, barenet.ConvergenceWarning)]


@pytest.mark.parametrize("make", [small_classifier, small_regressor])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_one_convergence_warning_when_the_epochs_run_out(make, early_stopping):
    from sklearn.exceptions import ConvergenceWarning

    X, y = blobs(3)
    model = make(epochs=3, early_stopping=early_stopping)
    caught = convergence_warnings(lambda: model.fit(X, y))
    assert len(caught) == 1
    assert issubclass(caught[0].category, ConvergenceWarning)  # scikit-learn's, too
    watched = "validation score" if early_stopping else "training loss"
    assert f"epochs=3 reached and training has not converged yet: the {watched}" in str(
        caught[0].message
    )
    assert caught[0].filename == __file__  # it points at the caller's fit
    # partial_fit runs one epoch on purpose: no warning
    assert convergence_warnings(lambda: model.partial_fit(X, y)) == []


def test_a_stalled_loss_stops_fit_at_the_same_epoch_as_scikit_learn():
    from sklearn.neural_network import MLPClassifier

    X, y = blobs(3)
    # tol=10: no epoch after the first improves the loss by 10, so the count of epochs
    # without improvement passes n_iter_no_change=3 at the fifth epoch: 1 + (3 + 1)
    ours = small_classifier(epochs=100, tol=10.0, n_iter_no_change=3)
    assert convergence_warnings(lambda: ours.fit(X, y)) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPClassifier(tol=10.0, n_iter_no_change=3, max_iter=100, random_state=0)
        theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 5
    assert ours.best_loss_ == min(ours.loss_curve_)
    assert ours.validation_scores_ is None and ours.best_validation_score_ is None
    # a warm start continues the count, as in scikit-learn: one more epoch, then it stops
    ours.set_params(warm_start=True)
    assert convergence_warnings(lambda: ours.fit(X, y)) == []
    assert ours.n_iter_ == 6


def test_early_stopping_watches_the_validation_score_and_keeps_the_best_epoch():
    X, y = blobs(3, n=400)
    model = small_classifier(epochs=200, early_stopping=True, n_iter_no_change=3, tol=1e-4)
    assert convergence_warnings(lambda: model.fit(X, y)) == []
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ < 200
    assert model.best_validation_score_ == max(scores) and model.best_loss_ is None
    # the last n_iter_no_change + 1 scores did not beat the best before them by tol
    before = max(scores[: -(3 + 1)])
    assert all(s < before + 1e-4 for s in scores[-(3 + 1) :])
    # the network ends on the best epoch's weights: its validation accuracy is the best
    order = np.random.default_rng(model._seed).permutation(len(X))
    X_val, y_val = X[order][-40:], y[order][-40:]
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_)


def test_the_regressor_stops_on_its_loss_too():
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    model = small_regressor(epochs=100, tol=1e9, n_iter_no_change=2)
    assert convergence_warnings(lambda: model.fit(X, y / y.std())) == []
    assert model.n_iter_ == 1 + 3


# ---------------------------------------------------------------------- batched inference


@pytest.mark.parametrize("make", [small_classifier, small_regressor])
def test_predictions_in_batches_equal_one_batch(make):
    X, y = blobs(3, n=300)
    model = make(epochs=3).fit(X, y)
    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    whole = getattr(model, method)(X, batch_size=len(X))
    for batch_size in (None, 1, 7, 299):
        np.testing.assert_allclose(getattr(model, method)(X, batch_size=batch_size), whole)
        assert model.score(X, y, batch_size=batch_size) == pytest.approx(model.score(X, y))
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        model.predict(X, batch_size=0)


def test_a_uint8_memmap_is_checked_and_converted_batch_by_batch(tmp_path):
    import tracemalloc

    n, d = 40_000, 784
    rng = np.random.default_rng(0)
    X_small = rng.integers(0, 256, size=(200, d), dtype=np.uint8)
    model = small_classifier(epochs=1).fit(X_small / 255, np.arange(200) % 3)
    path = tmp_path / "pixels.u8"
    X = np.memmap(path, dtype=np.uint8, mode="w+", shape=(n, d))
    X[:] = np.resize(X_small, (n, d))
    X.flush()
    X = np.memmap(path, dtype=np.uint8, mode="r", shape=(n, d))
    tracemalloc.start()
    try:
        proba = model.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # converted whole, X would take n * d * 8 bytes as float64 (240 MiB) before anything else
    assert peak - proba.nbytes < 96 * 2**20 < n * d * 8
    np.testing.assert_allclose(proba[:200], model.predict_proba(X_small.astype(np.float64)))
    X_bad = np.array(X[:100], dtype=np.float64)
    X_bad[70, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(X_bad, batch_size=32)


def test_unscaled_pixels_warn_and_a_scaler_in_front_silences_it():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(60, 8)).astype(np.uint8)
    y = (X[:, 0] > 127).astype(int)
    clf = BareNetClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0)
    with pytest.warns(barenet.DataWarning, match="divide 8-bit pixels by 255") as record:
        clf.fit(X, y)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", barenet.DataWarning)
        make_pipeline(StandardScaler(), clone(clf)).fit(X, y)
