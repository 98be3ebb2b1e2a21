"""Multilabel classification: barenet against scikit-learn's MLPClassifier on digit properties.

scikit-learn's 8x8 digits (1,797 images, 64 pixels), with four yes/no labels per image instead
of the digit itself: is it even, is it >= 5, is it prime (2, 3, 5, 7), is it a multiple of 3
(0, 3, 6, 9). Several labels can hold at once (6 has three), or none (1), and each label
groups digits that look nothing alike, so the network must still recognize the digit. A fixed
75/25 split stratified by digit, pixels standardized on the training part. Both systems train
the same network (64 -> 64 ReLU -> 4 sigmoid) the same way (see ``_compare.py``) over several
seeds; the table shows the test exact-match ratio (all four labels right), the Hamming loss
(the fraction of wrong labels), and micro and macro F1.

Run it with `python examples/multilabel.py` (needs scikit-learn: `pip install -e .[bench]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from _compare import Config, compare, format_results

from barenet import metrics

CONFIG = Config(hidden=(64,), learning_rate=1e-3, batch_size=32, epochs=100)
QUICK = CONFIG.replace(epochs=10)
SEEDS = (0, 1, 2, 3, 4)

#: the labels: name -> the digits 0..9 that have it
LABELS = {
    "even": (0, 2, 4, 6, 8),
    ">= 5": (5, 6, 7, 8, 9),
    "prime": (2, 3, 5, 7),
    "multiple of 3": (0, 3, 6, 9),
}


def multi_hot(digits: np.ndarray) -> np.ndarray:
    """Digits (n,) -> their labels as 0/1 rows (n, 4), one column per entry of LABELS."""
    return np.stack([np.isin(digits, has) for has in LABELS.values()], axis=1).astype(np.int64)


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, Y_train, Y_test): standardized pixels (n, 64), 0/1 labels (n, 4)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, digits = load_digits(return_X_y=True)
    X_train, X_test, d_train, d_test = train_test_split(
        X, digits, test_size=0.25, stratify=digits, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, multi_hot(d_train), multi_hot(d_test)


def scores(Y_true: np.ndarray, Y_pred: np.ndarray) -> dict[str, float]:
    """Exact-match ratio, Hamming loss, and micro and macro F1 over the four labels."""
    return {
        "exact match": metrics.exact_match_ratio(Y_true, Y_pred),
        "Hamming loss": metrics.hamming_loss(Y_true, Y_pred),
        "micro F1": float(metrics.f1_score(Y_true, Y_pred, average="micro")),
        "macro F1": float(metrics.f1_score(Y_true, Y_pred, average="macro")),
    }


def main(
    seeds: Sequence[int] = SEEDS, quick: bool = False, config: Config | None = None
) -> dict[str, Any]:
    """Train both systems with every seed; see ``_compare.compare`` for what it returns.

    quick: 10 epochs instead of 100, for a smoke test. config: another configuration.
    """
    data = load()
    title = (
        f"digits as 4 labels ({', '.join(LABELS)}): "
        f"{len(data[0])} train / {len(data[1])} test, 64 pixels"
    )
    config = config or (QUICK if quick else CONFIG)
    return compare(title, config, seeds, data, output="sigmoid", metrics=scores)


if __name__ == "__main__":
    print(format_results(main()))
