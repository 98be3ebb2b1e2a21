"""Metrics: how good the predictions are, as plain functions of arrays.

Every function takes the targets first and the predictions second, works on whole arrays at
once (no per-sample Python loop) and returns a Python float, or NumPy arrays for per-class
values. Conventions, stated once:

- Rows are samples. A 1-D array (n,) holds class labels: non-negative integers 0..k-1.
  A 2-D array (n, k) holds multi-hot rows of 0/1 (multilabel, or one-hot for one label per row);
  threshold probabilities first, e.g. ``P >= 0.5``, and turn scores into labels with
  ``argmax(axis=1)``. The regression metrics take any finite numbers, (n,) or (n, outputs).
- Targets and predictions must have the same shape: nothing is broadcast, so (n,) against
  (n, 1) is an error rather than a silent (n, n) comparison.
- Empty inputs, NaN and inf are errors. A ratio with a zero denominator (a class never
  predicted or never present) is 0.0, as scikit-learn's ``zero_division=0``, with no warning.

Left out: sample weights, probability-based scores (ROC AUC, log loss: see ``losses.py``),
string class names (map them to 0..k-1 first) and text output: the tables that lay these
numbers out for the command line are in ``reports.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[Any]
#: per-class values (average=None) or one averaged value ("micro", "macro")
Score = float | NDArray[np.float64]

AVERAGES = (None, "micro", "macro")


# ---------------------------------------------------------------------------- input checks


def _numbers(x: ArrayLike, name: str) -> Array:
    """x as a non-empty, finite, 1-D or 2-D array of bools, integers or floats."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":  # bool, signed, unsigned, float
        raise TypeError(f"{name} must hold bools, integers or floats; received dtype {a.dtype}")
    if a.ndim not in (1, 2):
        raise ValueError(f"{name} must be (n,) or (n, k); received shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}); a metric needs at least one sample")
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} holds {a[where]} at index {where}; only finite values allowed"
            )
    return a


def _pair(y_true: ArrayLike, y_pred: ArrayLike, names: tuple[str, str]) -> tuple[Array, Array]:
    """Both arrays checked, with equal lengths and equal shapes."""
    a, b = _numbers(y_true, names[0]), _numbers(y_pred, names[1])
    if len(a) != len(b):
        raise ValueError(
            f"{names[0]} has {len(a)} samples but {names[1]} has {len(b)}; they must match"
        )
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} has shape {a.shape} but {names[1]} has shape {b.shape}; they must match "
            "(labels (n,) on both sides, or 0/1 rows (n, k) on both sides; reshape or argmax first)"
        )
    return a, b


def _labels(a: Array, name: str) -> NDArray[np.int64]:
    """A 1-D array of non-negative integer-valued numbers as int64 labels."""
    if a.ndim != 1:
        raise ValueError(f"{name} must be class labels (n,); received shape {a.shape}")
    bad = (a < 0) | (a != np.floor(a)) if np.issubdtype(a.dtype, np.floating) else a < 0
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must hold class labels 0, 1, 2, ...; found {a[i]} at index {i} "
            "(for scores or probabilities pass argmax(axis=1))"
        )
    return a.astype(np.int64)


def _multi_hot(a: Array, name: str) -> NDArray[np.bool_]:
    """A 2-D array of 0/1 values as bool."""
    bad = (a != 0) & (a != 1)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must hold 0/1 rows (n, k); found {a[row, col]} at row {row}, column {col} "
            "(threshold probabilities first, e.g. P >= 0.5)"
        )
    return a.astype(bool)


def _targets(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Array, Array]:
    """Labels (n,) as int64, or 0/1 rows (n, k) as bool, on both sides."""
    a, b = _pair(y_true, y_pred, ("y_true", "y_pred"))
    if a.ndim == 1:
        return _labels(a, "y_true"), _labels(b, "y_pred")
    return _multi_hot(a, "y_true"), _multi_hot(b, "y_pred")


def _n_classes(y_true: Array, y_pred: Array, n_classes: int | None) -> int:
    """k: the given n_classes (checked against the labels) or the largest label + 1."""
    largest = int(max(y_true.max(), y_pred.max()))
    if n_classes is None:
        return largest + 1
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer):
        raise TypeError(f"n_classes must be an int or None; received {n_classes!r}")
    if largest >= n_classes:
        raise ValueError(
            f"found label {largest} but n_classes={n_classes}; labels must be 0..n_classes-1"
        )
    return int(n_classes)


def _ratio(num: Array, den: Array) -> NDArray[np.float64]:
    """num / den element-wise, and 0.0 where den is 0 (no warning)."""
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


# ---------------------------------------------------------------------------- classification


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of samples predicted right: mean(y_true == y_pred).

    For 0/1 rows (n, k) a sample counts only when every one of its k labels matches
    (exact-match, or subset, accuracy), so one-hot rows give the usual multiclass accuracy.

    Shapes: y_true, y_pred (n,) labels or (n, k) 0/1 -> float
    """
    a, b = _targets(y_true, y_pred)
    right = a == b
    return float(right.mean() if right.ndim == 1 else right.all(axis=1).mean())


def exact_match_ratio(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Multilabel subset accuracy: fraction of rows whose k labels all match.

    Shapes: Y_true, Y_pred (n, k) 0/1 -> float
    """
    if np.ndim(Y_true) != 2:
        raise ValueError(
            f"exact_match_ratio needs 0/1 rows (n, k); received shape {np.shape(Y_true)} "
            "(use accuracy for labels (n,))"
        )
    return accuracy(Y_true, Y_pred)


def hamming_loss(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Fraction of wrong labels among all n * k of them: mean(Y_true != Y_pred).

    For labels (n,) this is 1 - accuracy.

    Shapes: Y_true, Y_pred (n, k) 0/1 or (n,) labels -> float
    """
    a, b = _targets(Y_true, Y_pred)
    return float((a != b).mean())


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
) -> NDArray[np.int64]:
    """C[i, j] = number of samples of true class i predicted as class j.

    Rows are true classes, columns predicted ones (scikit-learn's convention), so the diagonal
    holds the right predictions, row sums the support and column sums the prediction counts.
    n_classes defaults to the largest label + 1.

    Shapes: y_true, y_pred (n,) labels -> (k, k) int64
    """
    a, b = _pair(y_true, y_pred, ("y_true", "y_pred"))
    t, p = _labels(a, "y_true"), _labels(b, "y_pred")
    k = _n_classes(t, p, n_classes)
    # NOTE: one bincount over the pair codes t * k + p: no loop over samples or classes.
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)


def _counts(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per class: true positives, predicted count (TP + FP) and support (TP + FN)."""
    t, p = _targets(y_true, y_pred)
    if t.ndim == 1:
        C = confusion_matrix(t, p, n_classes)
        return np.diag(C).copy(), C.sum(axis=0), C.sum(axis=1)
    if n_classes is not None and n_classes != t.shape[1]:
        raise ValueError(f"n_classes={n_classes} but the 0/1 rows have {t.shape[1]} columns")
    tp = (t & p).sum(axis=0, dtype=np.int64)
    return tp, p.sum(axis=0, dtype=np.int64), t.sum(axis=0, dtype=np.int64)


def _scores(
    tp: Array, predicted: Array, support: Array
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Precision, recall and F1 from the counts; 2TP + FP + FN = (TP + FP) + (TP + FN)."""
    return _ratio(tp, predicted), _ratio(tp, support), _ratio(2 * tp, predicted + support)


def precision_recall_f1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = None,
    n_classes: int | None = None,
) -> tuple[Score, Score, Score]:
    """Precision TP / (TP + FP), recall TP / (TP + FN) and F1 2TP / (2TP + FP + FN), per class.

    Labels (n,) give one value per class 0..k-1; 0/1 rows (n, k) one value per label column.
    average=None returns the (k,) arrays; "micro" computes the three from TP, FP and FN summed
    over classes (for labels (n,), all three equal the accuracy); "macro" is the unweighted
    mean of the per-class values, so every class of 0..k-1 counts, even one that never occurs.
    A zero denominator gives 0.0 for that value (scikit-learn's zero_division=0), no warning.

    Shapes: y_true, y_pred (n,) labels or (n, k) 0/1 -> three (k,) float64 arrays or floats
    """
    if average not in AVERAGES:
        raise ValueError(f"unknown average {average!r}; expected one of {list(AVERAGES)}")
    tp, predicted, support = _counts(y_true, y_pred, n_classes)
    if average == "micro":
        tp, predicted, support = tp.sum(), predicted.sum(), support.sum()
    scores = _scores(tp, predicted, support)
    if average is None:
        return scores
    return float(scores[0].mean()), float(scores[1].mean()), float(scores[2].mean())


def precision(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = None,
    n_classes: int | None = None,
) -> Score:
    """TP / (TP + FP): the precision of ``precision_recall_f1``, same arguments."""
    return precision_recall_f1(y_true, y_pred, average=average, n_classes=n_classes)[0]


def recall(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = None,
    n_classes: int | None = None,
) -> Score:
    """TP / (TP + FN): the recall of ``precision_recall_f1``, same arguments."""
    return precision_recall_f1(y_true, y_pred, average=average, n_classes=n_classes)[1]


def f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = None,
    n_classes: int | None = None,
) -> Score:
    """2TP / (2TP + FP + FN): the F1 of ``precision_recall_f1``, same arguments."""
    return precision_recall_f1(y_true, y_pred, average=average, n_classes=n_classes)[2]


def top_k_accuracy(y_true: ArrayLike, proba: ArrayLike, k: int = 5) -> float:
    """Fraction of samples whose true class is among their k highest scores.

    Ties count in the sample's favour, as TensorFlow's ``in_top_k``: a sample is right when
    fewer than k classes score strictly higher than its true class, i.e. when its true score is
    >= its k-th highest score. (scikit-learn breaks ties by class index instead; the two differ
    only on exact ties.) k >= c gives 1.0; k=1 is the accuracy of argmax when no row has ties.

    Shapes: y_true (n,) labels, proba (n, c) scores -> float
    """
    t = _labels(_numbers(y_true, "y_true"), "y_true")
    P = _numbers(proba, "proba")
    if P.ndim != 2:
        raise ValueError(f"proba must be scores (n, c); received shape {P.shape}")
    if len(t) != len(P):
        raise ValueError(f"y_true has {len(t)} samples but proba has {len(P)}; they must match")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive int; received {k!r}")
    c = P.shape[1]
    if t.max() >= c:
        raise ValueError(
            f"found label {t.max()} but proba has only {c} columns (classes 0..{c - 1})"
        )
    if k >= c:
        return 1.0
    # NOTE: argpartition finds each row's k-th highest score in O(c), without a full sort.
    kth = np.take_along_axis(P, np.argpartition(P, c - k, axis=1)[:, c - k : c - k + 1], axis=1)
    true_score = np.take_along_axis(P, t[:, None], axis=1)
    return float((true_score >= kth).mean())


# ---------------------------------------------------------------------------- regression


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """MAE = mean(|y_true - y_pred|) over all elements.  Shapes: (n,) or (n, m) -> float"""
    a, b = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return float(np.abs(a - b.astype(np.float64)).mean())


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """MSE = mean((y_true - y_pred)**2) over all elements.  Shapes: (n,) or (n, m) -> float"""
    a, b = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return float(np.square(a - b.astype(np.float64)).mean())


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """R² = 1 - SS_res / SS_tot, with SS_res = sum((y - y_pred)**2), SS_tot = sum((y - mean(y))**2).

    With several outputs (n, m), the uniform average of the m per-output R² (scikit-learn's
    "uniform_average"). An output whose y_true is constant has SS_tot = 0: its R² is 1.0 when
    the prediction is perfect and 0.0 otherwise (scikit-learn's force_finite), with no warning.

    Shapes: y_true, y_pred (n,) or (n, m), n >= 2 -> float
    """
    a, b = _pair(y_true, y_pred, ("y_true", "y_pred"))
    if len(a) < 2:
        raise ValueError(f"r2_score needs at least 2 samples; received {len(a)}")
    y, y_hat = a.astype(np.float64), b.astype(np.float64)
    ss_res = np.square(y - y_hat).sum(axis=0)
    ss_tot = np.square(y - y.mean(axis=0)).sum(axis=0)
    # NOTE: test constancy exactly: the mean of equal floats can be off by an ulp, which would
    # leave SS_tot tiny but not 0 and R² hugely negative.
    constant = (y == y[0]).all(axis=0)
    r2 = np.where(constant, (ss_res == 0).astype(np.float64), 1 - _ratio(ss_res, ss_tot))
    return float(np.mean(r2))


# ---------------------------------------------------------------------------- report


def classification_report(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
) -> dict[str, Any]:
    """Per-class precision, recall, F1 and support, with accuracy and macro/micro averages.

    Returns ``{"precision", "recall", "f1": (k,) float64, "support": (k,) int64,
    "accuracy": float, "n_samples": int, "macro": {...}, "micro": {...}}``, where each
    average is ``{"precision", "recall", "f1": float, "support": int}`` (support summed).
    For 0/1 rows (n, k) the classes are the label columns and accuracy is exact-match.

    Shapes: y_true, y_pred (n,) labels or (n, k) 0/1
    """
    tp, predicted, support = _counts(y_true, y_pred, n_classes)
    p, r, f1 = _scores(tp, predicted, support)
    micro = _scores(tp.sum(), predicted.sum(), support.sum())
    total = int(support.sum())
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "support": support,
        "accuracy": accuracy(y_true, y_pred),
        "n_samples": len(np.asarray(y_true)),
        "macro": {
            "precision": float(p.mean()),
            "recall": float(r.mean()),
            "f1": float(f1.mean()),
            "support": total,
        },
        "micro": {
            "precision": float(micro[0]),
            "recall": float(micro[1]),
            "f1": float(micro[2]),
            "support": total,
        },
    }
