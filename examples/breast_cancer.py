"""Binary classification: barenet against scikit-learn's MLPClassifier on breast cancer.

The Wisconsin breast cancer set as scikit-learn ships it (569 tumours, 30 features, malignant 0
/ benign 1), a fixed stratified 75/25 split, features standardized on the training part. Both
systems train the same network (30 -> 64 ReLU -> 1 sigmoid) the same way (see ``_compare.py``)
over several seeds; the table shows test accuracy and the F1 of class 1.

Run it with `python examples/breast_cancer.py` (needs scikit-learn: `pip install -e .[bench]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from _compare import Config, compare, format_results

from barenet import metrics

CONFIG = Config(hidden=(64,), learning_rate=1e-3, batch_size=32, epochs=50)
QUICK = CONFIG.replace(epochs=10)
SEEDS = (0, 1, 2, 3, 4)


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test): standardized features (n, 30), labels 0/1 (n,)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, and the F1 of class 1 (benign) as scikit-learn's binary f1_score gives it."""
    return {
        "accuracy": metrics.accuracy(y_true, y_pred),
        "F1": float(metrics.f1_score(y_true, y_pred)[1]),
    }


def main(
    seeds: Sequence[int] = SEEDS, quick: bool = False, config: Config | None = None
) -> dict[str, Any]:
    """Train both systems with every seed; see ``_compare.compare`` for what it returns.

    quick: 10 epochs instead of 50, for a smoke test. config: another configuration.
    """
    data = load()
    title = f"breast cancer: {len(data[0])} train / {len(data[1])} test, 30 features"
    config = config or (QUICK if quick else CONFIG)
    return compare(title, config, seeds, data, output="sigmoid", metrics=scores)


if __name__ == "__main__":
    print(format_results(main()))
