"""Hyperparameter search on a Dask cluster: GridSearchCV over BareNetClassifier on MNIST.

scikit-learn runs each (candidate, fold) fit through joblib; joblib's ``dask`` backend sends those
fits to the workers of a ``dask.distributed`` cluster. With no ``--scheduler`` the script starts a
``LocalCluster`` of two single-threaded worker processes on 127.0.0.1; with
``--scheduler tcp://HOST:8786`` it uses a cluster you started yourself, on one machine or many.
The data is loaded here and shipped to the workers, so they need barenet installed, not MNIST.
The final refit on the whole training subset runs in this process, as GridSearchCV always does.

Every fit is seeded (``random_state=0``), so the result is the same as with ``n_jobs=1``.

Run it with `python examples/search_dask.py` (needs `pip install -e .[dask]` and MNIST in the
cache: `python -m barenet.datasets fetch`). Leaves out: dask-ml's searches and successive halving.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from typing import Any

GRID: dict[str, list[Any]] = {"hidden_layer_sizes": [(64,), (128,)], "learning_rate": [1e-3, 3e-3]}

# NOTE: BLAS reads these when NumPy is imported, so they must be in the environment before a
# worker process starts: distributed's nanny sets them from this config key when it spawns a
# worker (they are its defaults too). LocalCluster(env=...) sets them too late.
ONE_THREAD = {"OMP_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1, "MKL_NUM_THREADS": 1}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: start a LocalCluster on 127.0.0.1)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="LocalCluster worker processes (default: 2)"
    )
    parser.add_argument(
        "--subset",
        type=int,
        default=10000,
        help="train on the first N of the 60000 training images (default: 10000)",
    )
    parser.add_argument("--cv", type=int, default=3, help="cross-validation folds (default: 3)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per fit (default: 5)")
    args = parser.parse_args(argv)
    if not 1 <= args.subset <= 60000:
        parser.error(f"--subset must be in 1..60000, got {args.subset}")
    if args.cv < 2:
        parser.error(f"--cv must be at least 2, got {args.cv}")
    if args.epochs < 1 or args.workers < 1:
        parser.error(
            f"--epochs and --workers must be at least 1, got {args.epochs}, {args.workers}"
        )
    return args


def connect(scheduler: str | None, n_workers: int = 2, **cluster_kwargs: Any) -> tuple[Any, Any]:
    """(client, cluster): a client of `scheduler`, or of a new LocalCluster (cluster=None if not).

    The LocalCluster listens on 127.0.0.1 only and runs `n_workers` processes of one thread,
    each with one BLAS thread, so n workers keep n cores busy and no more.
    """
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise ImportError(f"{err}; this example needs `pip install barenet[dask]`") from err

    if scheduler is not None:
        return Client(scheduler), None
    # NOTE: the scheduler's HTTP server starts even with dashboard_address=None, and ":8787"
    # listens on every interface whatever `host` says; naming 127.0.0.1 keeps it local
    cluster_kwargs = {"dashboard_address": "127.0.0.1:8787", **cluster_kwargs}
    environ = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in ONE_THREAD.items()}
    with dask.config.set(environ):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            **cluster_kwargs,
        )
    try:
        return Client(cluster), cluster
    except BaseException:
        cluster.close()
        raise


def cluster_info(client: Any) -> dict[str, Any]:
    """Scheduler address, dashboard URL, whether the scheduler has bokeh (which draws the
    dashboard's pages), and each worker's thread count, keyed by worker address."""
    info = client.scheduler_info()
    return {
        "scheduler": info["address"],
        "dashboard": client.dashboard_link,
        "bokeh": client.run_on_scheduler(_has_bokeh),
        "workers": {address: w["nthreads"] for address, w in info["workers"].items()},
    }


def _has_bokeh() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def search(client: Any, X: Any, y: Any, grid: dict, cv: int, **params: Any) -> Any:
    """GridSearchCV(BareNetClassifier(random_state=0, **params), grid) fitted on the cluster."""
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV

    from barenet.estimators import BareNetClassifier

    estimator = BareNetClassifier(random_state=0, **params)
    searcher = GridSearchCV(estimator, grid, cv=cv, n_jobs=-1)
    with parallel_config(backend="dask", client=client):
        return searcher.fit(X, y)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the search and print its results; returns them as a dict.

    Keys: best_params, best_score (mean CV accuracy), test_accuracy (the refit best estimator on
    the 10000 test images), mean_test_scores (per candidate, in GridSearchCV's order), seconds
    (the search including the refit), cluster (see ``cluster_info``).
    """
    from barenet import metrics
    from barenet.datasets import load_mnist

    args = parse_args(argv)
    X_train, y_train, X_test, y_test = load_mnist()
    X, y = X_train[: args.subset], y_train[: args.subset]

    client, cluster = connect(args.scheduler, n_workers=args.workers)
    try:
        info = cluster_info(client)
        note = "" if info["bokeh"] else " (its pages need `pip install bokeh` on the scheduler)"
        print(f"scheduler {info['scheduler']}, dashboard {info['dashboard']}{note}")
        print(f"{len(info['workers'])} workers, threads: {sorted(info['workers'].values())}")
        n_candidates = math.prod(len(values) for values in GRID.values())
        print(
            f"{n_candidates} candidates x {args.cv} folds on {len(X)} images, {args.epochs} epochs"
        )
        start = time.perf_counter()
        found = search(client, X, y, GRID, args.cv, epochs=args.epochs)
        seconds = time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    test_accuracy = float(metrics.accuracy(y_test, found.predict(X_test)))
    results = {
        "best_params": found.best_params_,
        "best_score": float(found.best_score_),
        "test_accuracy": test_accuracy,
        "mean_test_scores": found.cv_results_["mean_test_score"].tolist(),
        "seconds": seconds,
        "cluster": info,
    }
    for params, score in zip(found.cv_results_["params"], results["mean_test_scores"], strict=True):
        print(f"  {score:.4f}  {params}")
    print(f"best {results['best_params']}: CV accuracy {results['best_score']:.4f}")
    print(f"test accuracy of the refit best estimator: {test_accuracy:.4f}")
    print(f"search + refit: {seconds:.1f} s (refit in this process: {found.refit_time_:.1f} s)")
    return results


if __name__ == "__main__":
    main()
