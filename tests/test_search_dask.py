"""examples/search_dask.py: a GridSearchCV run on a two-process Dask LocalCluster gives exactly
the result of the same search with n_jobs=1, because every fit is seeded and every process does
its arithmetic the same way (one BLAS thread each).

Needs the `dask` extra (dask.distributed and scikit-learn); without it these tests skip.
The cluster listens on 127.0.0.1 only (its dashboard too, on a free port).
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("dask.distributed")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GRID = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate": [1e-3, 1e-2]}
PARAMS = {"epochs": 5, "batch_size": 32}


@pytest.fixture(scope="module")
def example():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(EXAMPLES))
        yield importlib.import_module("search_dask")
        sys.modules.pop("search_dask", None)


@pytest.fixture(scope="module")
def client(example):
    """A client of a LocalCluster: two worker processes of one thread, on 127.0.0.1."""
    # NOTE: not ":0", which listens on every interface; None still listens, on port 8787
    client, cluster = example.connect(None, n_workers=2, dashboard_address="127.0.0.1:0")
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def data():
    """240 samples, 20 features, 3 classes: X (240, 20) float64, y (240,) int."""
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=240, n_features=20, n_informative=8, n_classes=3, random_state=0
    )


def test_cluster_has_two_single_threaded_workers(example, client):
    def blas_threads():
        from threadpoolctl import threadpool_info

        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    info = example.cluster_info(client)
    assert info["scheduler"].startswith("tcp://127.0.0.1:")
    assert info["dashboard"].startswith("http://127.0.0.1:")
    assert list(info["workers"].values()) == [1, 1]
    # NumPy is imported by now on the workers; each of its BLAS pools has one thread
    client.run(lambda: __import__("numpy"))
    assert all(threads and set(threads) == {1} for threads in client.run(blas_threads).values())


def test_search_on_cluster_equals_serial_search(example, client, data):
    from dask.distributed import get_task_stream
    from sklearn.model_selection import GridSearchCV

    from barenet.estimators import BareNetClassifier

    X, y = data
    with get_task_stream(client) as tasks:
        distributed = example.search(client, X, y, GRID, cv=2, **PARAMS)
    serial = GridSearchCV(BareNetClassifier(random_state=0, **PARAMS), GRID, cv=2, n_jobs=1)
    serial.fit(X, y)

    # the fits did run on the cluster, not in this process
    assert len(tasks.data) > 0
    assert {task["worker"] for task in tasks.data} <= set(client.scheduler_info()["workers"])
    scores = serial.cv_results_["mean_test_score"]
    assert len(set(scores)) > 1, "candidates tie: the comparison of best_params_ means nothing"
    assert distributed.best_params_ == serial.best_params_
    assert distributed.best_score_ == serial.best_score_
    np.testing.assert_array_equal(distributed.cv_results_["mean_test_score"], scores)
    np.testing.assert_array_equal(distributed.predict(X), serial.predict(X))


@pytest.mark.mnist
def test_main_on_mnist_subset(example, client, mnist, capsys):
    # --scheduler: the script connects to the fixture's cluster instead of starting its own
    argv = ["--scheduler", client.scheduler.address, "--subset", "600", "--cv", "2"]
    result = example.main([*argv, "--epochs", "3"])

    assert result["best_params"] in [
        {"hidden_layer_sizes": h, "learning_rate": r}
        for h in example.GRID["hidden_layer_sizes"]
        for r in example.GRID["learning_rate"]
    ]
    assert result["best_score"] == max(result["mean_test_scores"])
    assert len(result["mean_test_scores"]) == 4 and len(result["cluster"]["workers"]) == 2
    # 600 images, 3 epochs: well above chance (0.1), far below a trained network
    assert result["test_accuracy"] > 0.5
    assert "test accuracy of the refit best estimator" in capsys.readouterr().out


def test_bad_arguments_are_rejected(example, capsys):
    for argv in (["--subset", "0"], ["--subset", "60001"], ["--cv", "1"], ["--epochs", "0"]):
        with pytest.raises(SystemExit):
            example.parse_args(argv)
        assert "must be" in capsys.readouterr().err
