"""Smoke tests of the scikit-learn comparison examples: each runs quickly (one seed, few epochs)
and returns every metric for both systems, with barenet's quality sane.

scikit-learn is not a test dependency of the library: without it these tests skip.
"""

import importlib
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SYSTEMS = ("barenet", "scikit-learn")


@pytest.fixture
def load_example(monkeypatch):
    """import_module for the example scripts (and their shared _compare helper)."""
    pytest.importorskip("sklearn")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module


def check_result(result, metrics):
    """Every system has every metric, summarized over the one seed, and a fit time."""
    assert result["seeds"] == [0] and result["title"] and result["config"]["epochs"] == 10
    for system in SYSTEMS:
        assert set(result[system]) == {*metrics, "fit_seconds"}, system
        for name in metrics:
            summary = result[system][name]
            assert summary["values"] == [summary["mean"]] and summary["std"] == 0.0
        assert result[system]["fit_seconds"]["median"] > 0
    return {name: result["barenet"][name]["mean"] for name in metrics}


def test_breast_cancer(load_example):
    example = load_example("breast_cancer")
    got = check_result(example.main(seeds=[0], quick=True), ["accuracy", "F1"])
    # 10 epochs give 0.94..0.97 over seeds; a model that learned nothing gets ~0.63
    assert got["accuracy"] > 0.9
    assert got["F1"] > 0.9


def test_multilabel(load_example):
    example = load_example("multilabel")
    metrics = ["exact match", "Hamming loss", "micro F1", "macro F1"]
    got = check_result(example.main(seeds=[0], quick=True), metrics)
    # 10 epochs give an exact match of 0.86..0.89 over seeds
    assert got["exact match"] > 0.8
    assert got["Hamming loss"] < 0.06
    assert got["micro F1"] > 0.9 and got["macro F1"] > 0.9


def test_multilabel_labels(load_example):
    example = load_example("multilabel")
    # columns: even, >= 5, prime, multiple of 3
    expected = [
        [1, 0, 0, 1],  # 0: even, a multiple of 3 (0 = 3 * 0)
        [0, 0, 0, 0],  # 1: none
        [1, 0, 1, 0],  # 2: even, prime
        [0, 0, 1, 1],  # 3: prime, multiple of 3
        [1, 0, 0, 0],  # 4: even
        [0, 1, 1, 0],  # 5: >= 5, prime
        [1, 1, 0, 1],  # 6: even, >= 5, multiple of 3
        [0, 1, 1, 0],  # 7: >= 5, prime
        [1, 1, 0, 0],  # 8: even, >= 5
        [0, 1, 0, 1],  # 9: >= 5, multiple of 3
    ]
    np.testing.assert_array_equal(example.multi_hot(np.arange(10)), expected)


def test_diabetes(load_example):
    example = load_example("diabetes")
    got = check_result(example.main(seeds=[0], quick=True), ["R2", "MAE"])
    # 10 epochs give R² 0.26..0.34 and MAE 43..48 over seeds; predicting the training mean
    # gives R² ~0 and MAE ~64
    assert got["R2"] > 0.15
    assert got["MAE"] < 55


def test_sklearn_runs_every_epoch(load_example):
    """scikit-learn's stopping rule is off, so both systems train for the same epochs."""
    compare = load_example("_compare")
    config = compare.Config(hidden=(4,), learning_rate=0.1, batch_size=8, epochs=60)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    model, fit = compare.sklearn_model(config, "classifier", seed=0)
    fit(X, y)
    # NOTE: with scikit-learn's defaults (tol=1e-4, n_iter_no_change=10) it stops after 46
    assert model.n_iter_ == config.epochs
