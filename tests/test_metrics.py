"""Metrics: hand-worked examples, zero division without warnings, multilabel, the report."""

import warnings

import numpy as np
import pytest

from barenet.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    exact_match_ratio,
    f1_score,
    hamming_loss,
    mean_absolute_error,
    mean_squared_error,
    precision,
    precision_recall_f1,
    r2_score,
    recall,
    top_k_accuracy,
)

# Three classes, seven samples. The confusion matrix, rows true and columns predicted:
#            pred 0  pred 1  pred 2   support (row sum)
#   true 0      1       1       0        2
#   true 1      0       2       0        2
#   true 2      1       1       1        3
#   predicted   2       4       1                 (column sums)
# TP = diagonal = [1, 2, 1]
# precision = TP / predicted = [1/2, 2/4, 1/1] = [0.5, 0.5, 1.0]
# recall    = TP / support   = [1/2, 2/2, 1/3]
# F1 = 2TP / (predicted + support) = [2/4, 4/6, 2/4] = [0.5, 2/3, 0.5]
# micro: TP 4 of 7 predictions and of 7 true labels -> 4/7 for all three (= accuracy)
# macro: precision (0.5 + 0.5 + 1) / 3 = 2/3, recall (1/2 + 1 + 1/3) / 3 = 11/18,
#        F1 (1/2 + 2/3 + 1/2) / 3 = 5/9
Y3_TRUE = np.array([0, 0, 1, 1, 2, 2, 2])
Y3_PRED = np.array([0, 1, 1, 1, 2, 0, 1])

# Multilabel, four samples and three labels.
#   label 0: true [1,0,1,0], pred [1,0,1,0] -> TP 2, FP 0, FN 0 -> P 1,   R 1,   F1 1
#   label 1: true [0,1,1,0], pred [0,1,0,0] -> TP 1, FP 0, FN 1 -> P 1,   R 1/2, F1 2/3
#   label 2: true [1,0,0,1], pred [0,0,1,1] -> TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 1/2
# micro: TP 4, FP 1, FN 2 -> P 4/5, R 4/6, F1 8/11;  macro: P 5/6, R 2/3, F1 13/18
# rows matching exactly: 1 and 3 -> 2/4;  wrong elements: (0,2), (2,1), (2,2) -> 3/12
ML_TRUE = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
ML_PRED = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 1]])


@pytest.fixture
def strict():
    """Any NumPy floating-point warning or Python warning fails the test."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------- accuracy & co


def test_accuracy_labels_by_hand():
    assert accuracy(Y3_TRUE, Y3_PRED) == pytest.approx(4 / 7)
    assert accuracy([0.0, 1.0, 2.0], [0, 1, 1]) == pytest.approx(2 / 3)  # integral floats ok


def test_accuracy_of_rows_needs_every_label():
    assert accuracy(ML_TRUE, ML_PRED) == 0.5
    assert exact_match_ratio(ML_TRUE, ML_PRED) == 0.5
    # one-hot rows: exact match is ordinary multiclass accuracy (2 of 3 right)
    eye = np.eye(3)
    assert accuracy(eye[[0, 1, 2]], eye[[0, 2, 2]]) == pytest.approx(2 / 3)


def test_hamming_loss_by_hand():
    assert hamming_loss(ML_TRUE, ML_PRED) == 0.25
    assert hamming_loss(Y3_TRUE, Y3_PRED) == pytest.approx(3 / 7)  # labels: 1 - accuracy


# ---------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_by_hand():
    expected = [[1, 1, 0], [0, 2, 0], [1, 1, 1]]
    C = confusion_matrix(Y3_TRUE, Y3_PRED)
    np.testing.assert_array_equal(C, expected)
    assert C.dtype == np.int64


def test_confusion_matrix_n_classes_pads_and_is_asymmetric():
    # rows are true classes: the one sample of true class 1 predicted as 0 sits at C[1, 0]
    np.testing.assert_array_equal(
        confusion_matrix([1, 0], [0, 0], n_classes=3), [[1, 0, 0], [1, 0, 0], [0, 0, 0]]
    )
    # default size comes from the largest label on either side
    assert confusion_matrix([0, 0], [0, 2]).shape == (3, 3)


# ------------------------------------------------------------------ precision, recall, F1


def test_precision_recall_f1_per_class_by_hand():
    p, r, f = precision_recall_f1(Y3_TRUE, Y3_PRED)
    np.testing.assert_allclose(p, [0.5, 0.5, 1.0])
    np.testing.assert_allclose(r, [1 / 2, 1, 1 / 3])
    np.testing.assert_allclose(f, [0.5, 2 / 3, 0.5])


def test_micro_and_macro_differ_by_hand():
    micro = precision_recall_f1(Y3_TRUE, Y3_PRED, average="micro")
    macro = precision_recall_f1(Y3_TRUE, Y3_PRED, average="macro")
    assert micro == pytest.approx((4 / 7, 4 / 7, 4 / 7))
    assert macro == pytest.approx((2 / 3, 11 / 18, 5 / 9))
    assert all(isinstance(v, float) for v in (*micro, *macro))


def test_single_metric_helpers_match():
    for average in (None, "micro", "macro"):
        p, r, f = precision_recall_f1(Y3_TRUE, Y3_PRED, average=average)
        np.testing.assert_array_equal(precision(Y3_TRUE, Y3_PRED, average=average), p)
        np.testing.assert_array_equal(recall(Y3_TRUE, Y3_PRED, average=average), r)
        np.testing.assert_array_equal(f1_score(Y3_TRUE, Y3_PRED, average=average), f)


def test_multilabel_by_hand():
    p, r, f = precision_recall_f1(ML_TRUE, ML_PRED)
    np.testing.assert_allclose(p, [1, 1, 1 / 2])
    np.testing.assert_allclose(r, [1, 1 / 2, 1 / 2])
    np.testing.assert_allclose(f, [1, 2 / 3, 1 / 2])
    micro = precision_recall_f1(ML_TRUE, ML_PRED, average="micro")
    assert micro == pytest.approx((4 / 5, 4 / 6, 8 / 11))
    macro = precision_recall_f1(ML_TRUE, ML_PRED.astype(bool), average="macro")
    assert macro == pytest.approx((5 / 6, 2 / 3, 13 / 18))


def test_zero_division_gives_zero_without_warning(strict):
    # class 0: TP 2, predicted 3, support 2 -> P 2/3, R 1, F1 4/5
    # class 1: never predicted -> P 0/0 -> 0;  TP 0 of support 1 -> R 0, F1 0
    # class 2: neither present nor predicted -> 0, 0, 0
    p, r, f = precision_recall_f1([0, 0, 1], [0, 0, 0], n_classes=3)
    np.testing.assert_allclose(p, [2 / 3, 0, 0])
    np.testing.assert_allclose(r, [1, 0, 0])
    np.testing.assert_allclose(f, [4 / 5, 0, 0])
    # macro counts every class 0..k-1: (2/3 + 0 + 0) / 3
    assert precision([0, 0, 1], [0, 0, 0], average="macro", n_classes=3) == pytest.approx(2 / 9)
    # multilabel: label 1 all zeros on both sides; micro with nothing predicted at all
    assert precision_recall_f1([[1, 0]], [[1, 0]]) == (
        pytest.approx([1, 0]),
        pytest.approx([1, 0]),
        pytest.approx([1, 0]),
    )
    assert precision_recall_f1([[1, 0]], [[0, 0]], average="micro") == (0.0, 0.0, 0.0)


# ---------------------------------------------------------------------------- top-k


def test_top_k_accuracy_by_hand():
    proba = np.array(
        [
            [0.1, 0.2, 0.3, 0.4],  # true 2 is ranked 2nd -> a hit from k=2
            [0.4, 0.3, 0.2, 0.1],  # true 3 is ranked 4th -> a hit from k=4
            [0.5, 0.2, 0.2, 0.1],  # true 0 is ranked 1st -> always a hit
        ]
    )
    y = [2, 3, 0]
    expected = {1: 1 / 3, 2: 2 / 3, 3: 2 / 3, 4: 1.0, 10: 1.0}
    for k, value in expected.items():
        assert top_k_accuracy(y, proba, k=k) == pytest.approx(value), k


def test_top_k_ties_count_for_the_sample():
    proba = np.array([[0.1, 0.4, 0.4, 0.1]])
    # classes 1 and 2 tie for first: both are in the top 1
    assert top_k_accuracy([1], proba, k=1) == 1.0
    assert top_k_accuracy([2], proba, k=1) == 1.0
    # class 0 ties class 3 for third: two classes score strictly higher -> out of top 2, in top 3
    assert top_k_accuracy([0], proba, k=2) == 0.0
    assert top_k_accuracy([0], proba, k=3) == 1.0


def test_top_1_is_accuracy_of_argmax():
    rng = np.random.default_rng(0)
    proba = rng.random((200, 7))
    y = rng.integers(0, 7, size=200)
    assert top_k_accuracy(y, proba, k=1) == accuracy(y, proba.argmax(axis=1))
    # and top-k is the fraction whose true class is in the k best of a full sort
    top3 = np.argsort(-proba, axis=1)[:, :3]
    assert top_k_accuracy(y, proba, k=3) == pytest.approx((top3 == y[:, None]).any(axis=1).mean())


# ---------------------------------------------------------------------------- regression


def test_mae_and_mse_by_hand():
    # errors -1, 0, 2, -1 -> |e| sum 4, e**2 sum 1 + 0 + 4 + 1 = 6, over 4 elements
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    y_hat = np.array([[2.0, 2.0], [1.0, 5.0]])
    assert mean_absolute_error(y, y_hat) == 1.0
    assert mean_squared_error(y, y_hat) == 1.5


def test_r2_by_hand():
    # mean 2.5, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5, SS_res = 1 -> 1 - 1/5 = 0.8
    assert r2_score([1, 2, 3, 4], [1, 2, 3, 5]) == pytest.approx(0.8)
    # worse than the mean: SS_res = 4 + 0 + 4 = 8, SS_tot = 2 -> 1 - 4 = -3
    assert r2_score([1, 2, 3], [3, 2, 1]) == pytest.approx(-3.0)


def test_r2_several_outputs_and_constant_target(strict):
    y = np.array([[1.0, 0.1], [2.0, 0.1], [3.0, 0.1]])
    # output 0: SS_res 1, SS_tot 2 -> 0.5;  output 1 constant
    # NOTE: 0.1 is chosen because mean([0.1] * 3) != 0.1 in floats: SS_tot is not exactly 0.
    perfect = np.array([[1.0, 0.1], [2.0, 0.1], [2.0, 0.1]])
    off = np.array([[1.0, 0.1], [2.0, 0.1], [2.0, 0.2]])
    assert r2_score(y, perfect) == pytest.approx((0.5 + 1.0) / 2)
    assert r2_score(y, off) == pytest.approx((0.5 + 0.0) / 2)
    assert r2_score([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]) == 1.0
    assert r2_score([0.1, 0.1, 0.1], [0.1, 0.1, 0.3]) == 0.0


# ---------------------------------------------------------------------------- report


def test_classification_report_by_hand():
    report = classification_report(Y3_TRUE, Y3_PRED)
    np.testing.assert_allclose(report["precision"], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(report["recall"], [1 / 2, 1, 1 / 3])
    np.testing.assert_allclose(report["f1"], [0.5, 2 / 3, 0.5])
    np.testing.assert_array_equal(report["support"], [2, 2, 3])
    assert report["accuracy"] == pytest.approx(4 / 7)
    assert report["n_samples"] == 7
    macro, micro = report["macro"], report["micro"]
    assert (macro["precision"], macro["recall"], macro["f1"]) == pytest.approx(
        (2 / 3, 11 / 18, 5 / 9)
    )
    assert (micro["precision"], micro["recall"], micro["f1"]) == pytest.approx((4 / 7,) * 3)
    assert macro["support"] == micro["support"] == 7


def test_classification_report_multilabel():
    report = classification_report(ML_TRUE, ML_PRED)
    np.testing.assert_array_equal(report["support"], [2, 2, 2])
    assert report["accuracy"] == 0.5  # exact match
    micro, macro = report["micro"], report["macro"]
    assert (micro["precision"], micro["recall"], micro["f1"]) == pytest.approx(
        (4 / 5, 4 / 6, 8 / 11)
    )
    assert (macro["precision"], macro["recall"], macro["f1"]) == pytest.approx(
        (5 / 6, 2 / 3, 13 / 18)
    )
    assert micro["support"] == 6  # label occurrences, not rows


# ---------------------------------------------------------------------------- input checks


@pytest.mark.parametrize(
    "call",
    [
        accuracy,
        hamming_loss,
        confusion_matrix,
        precision_recall_f1,
        mean_absolute_error,
        mean_squared_error,
        r2_score,
        classification_report,
    ],
)
def test_lengths_must_match(call):
    with pytest.raises(ValueError, match="has 3 samples but y_pred has 2"):
        call([0, 1, 1], [0, 1])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([0, 1], [[1, 0], [0, 1]], "shape"),  # labels against one-hot: no silent broadcast
        ([], [], "empty"),
        ([0, np.nan], [0, 1], "nan"),
        ([0, 1], [0, np.inf], "inf"),
        ([0, -1], [0, 1], "found -1 at index 1"),
        ([0, 1], [0, 0.7], "argmax"),  # probabilities passed as labels
        ([[0, 1]], [[0, 0.9]], "P >= 0.5"),  # probabilities passed as 0/1 rows
        ([[[0]]], [[[0]]], r"\(n,\) or \(n, k\)"),
    ],
)
def test_bad_targets_are_rejected(y_true, y_pred, message):
    for call in (accuracy, precision_recall_f1, hamming_loss):
        with pytest.raises(ValueError, match=message):
            call(y_true, y_pred)


def test_other_bad_arguments():
    with pytest.raises(TypeError, match="dtype"):
        accuracy(["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match="unknown average 'weighted'"):
        precision_recall_f1([0], [0], average="weighted")
    with pytest.raises(ValueError, match="found label 2 but n_classes=2"):
        confusion_matrix([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="n_classes=2 but the 0/1 rows have 3 columns"):
        precision_recall_f1(ML_TRUE, ML_PRED, n_classes=2)
    with pytest.raises(ValueError, match="use accuracy"):
        exact_match_ratio([0, 1], [0, 1])
    with pytest.raises(ValueError, match="only 3 columns"):
        top_k_accuracy([3], [[0.2, 0.3, 0.5]], k=1)
    with pytest.raises(ValueError, match="positive int"):
        top_k_accuracy([0], [[0.2, 0.3, 0.5]], k=0)
    with pytest.raises(ValueError, match="has 2 samples but proba has 1"):
        top_k_accuracy([0, 1], [[0.2, 0.3, 0.5]], k=1)
    with pytest.raises(ValueError, match="at least 2 samples"):
        r2_score([1.0], [1.0])


# ---------------------------------------------------------------------------- scikit-learn


def test_against_scikit_learn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y, y_hat = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    labels = list(range(5))
    np.testing.assert_array_equal(confusion_matrix(y, y_hat), skm.confusion_matrix(y, y_hat))
    for average in (None, "micro", "macro"):
        ours = precision_recall_f1(y, y_hat, average=average)
        theirs = skm.precision_recall_fscore_support(
            y, y_hat, average=average, labels=labels, zero_division=0
        )[:3]
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a, b)
    Y, Y_hat = rng.integers(0, 2, (300, 4)), rng.integers(0, 2, (300, 4))
    assert accuracy(Y, Y_hat) == pytest.approx(skm.accuracy_score(Y, Y_hat))
    assert hamming_loss(Y, Y_hat) == pytest.approx(skm.hamming_loss(Y, Y_hat))
    np.testing.assert_allclose(
        f1_score(Y, Y_hat, average="macro"), skm.f1_score(Y, Y_hat, average="macro")
    )
    proba = rng.random((300, 5))
    assert top_k_accuracy(y, proba, k=2) == pytest.approx(
        skm.top_k_accuracy_score(y, proba, k=2, labels=labels)
    )
    T, P = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    assert r2_score(T, P) == pytest.approx(skm.r2_score(T, P))
    assert mean_squared_error(T, P) == pytest.approx(skm.mean_squared_error(T, P))
    assert mean_absolute_error(T, P) == pytest.approx(skm.mean_absolute_error(T, P))
