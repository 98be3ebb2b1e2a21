"""BareNetClassifier against scikit-learn's MLPClassifier on MNIST: same network, same epochs.

Usage: python benchmarks/estimators.py [--seeds 3] [--epochs 10]

Both: one hidden layer of 256 ReLU units, Adam with learning rate 1e-3, batch 128, no L2, a
fixed number of epochs (the tolerance stop, the same rule in both, and early stopping off),
float32 input in [0, 1]. Prints a Markdown table of fit time and test accuracy, median
(min–max) over seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import _machine

from barenet.datasets import load_mnist


def fit_and_score(model, X, y, X_test, y_test) -> tuple[float, float]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ConvergenceWarning at max_iter / epochs
        model.fit(X, y)
    return time.perf_counter() - start, float(model.score(X_test, y_test))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    from sklearn.neural_network import MLPClassifier

    from barenet.estimators import BareNetClassifier

    X, y, X_test, y_test = load_mnist()
    e = args.epochs
    systems = {
        "BareNetClassifier": lambda seed: BareNetClassifier(
            hidden_layer_sizes=(256,), learning_rate=1e-3, batch_size=128, epochs=e,
            tol=0.0, n_iter_no_change=e + 1, random_state=seed,
        ),
        "MLPClassifier": lambda seed: MLPClassifier(
            hidden_layer_sizes=(256,), learning_rate_init=1e-3, batch_size=128, max_iter=e,
            alpha=0.0, tol=0.0, n_iter_no_change=e + 1, random_state=seed,
        ),
    }  # fmt: skip
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in systems}
    for seed in range(args.seeds):
        for name, make in systems.items():
            results[name].append(fit_and_score(make(seed), X, y, X_test, y_test))
    print(f"Machine: {_machine.describe()}\n")
    print("| estimator | fit time, median (min–max) | test accuracy, median (min–max) |")
    print("|---|---:|---:|")
    for name, rs in results.items():
        times, accs = zip(*rs, strict=True)
        print(
            f"| {name} | {statistics.median(times):.1f} s ({min(times):.1f}–{max(times):.1f}) | "
            f"{statistics.median(accs):.2%} ({min(accs):.2%}–{max(accs):.2%}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
