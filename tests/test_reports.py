"""Reports: the plain-text tables, checked character for character."""

import numpy as np
import pytest

from barenet.metrics import classification_report
from barenet.reports import (
    format_classification_report,
    format_confusion_matrix,
    format_probabilities,
    format_table,
    format_training_summary,
    training_rows,
)

# classification_report of test_metrics.py's three-class example, worked out there by hand, as a
# plain dict: the table is checked apart from the metrics. (The `short` case below takes
# classification_report's own output, so the two modules still agree on the keys.)
Y3_REPORT = {
    "precision": np.array([1 / 2, 1 / 2, 1]),
    "recall": np.array([1 / 2, 1, 1 / 3]),
    "f1": np.array([1 / 2, 2 / 3, 1 / 2]),
    "support": np.array([2, 2, 3]),
    "accuracy": 4 / 7,
    "n_samples": 7,
    "macro": {"precision": 2 / 3, "recall": 11 / 18, "f1": 5 / 9, "support": 7},
    "micro": {"precision": 4 / 7, "recall": 4 / 7, "f1": 4 / 7, "support": 7},
}


def test_format_table_exact():
    text = format_table(["name", "n", "score"], [["a", 1, 0.5], ["bcd", 10, 0.25]])
    # text column left-aligned, number columns right-aligned, two spaces apart
    assert text == ("name   n  score\n----  --  -----\na      1  0.500\nbcd   10  0.250")
    assert format_table(["x"], [[1 / 3]], float_format=".1f") == "  x\n---\n0.3"
    assert format_table(["a", "b"], []) == "a  b\n-  -"


def test_format_confusion_matrix_exact():
    text = format_confusion_matrix(np.array([[3, 0], [12, 1]]))
    assert text == (
        "true \\ pred   0  1\n-----------  --  -\n0             3  0\n1            12  1"
    )
    named = format_confusion_matrix([[1, 0], [0, 1]], class_names=["cat", "dog"])
    assert named.splitlines()[0] == "true \\ pred  cat  dog"
    assert named.splitlines()[2] == "cat            1    0"


def test_format_classification_report_exact():
    text = format_classification_report(Y3_REPORT)
    assert text == (
        "class      precision  recall     f1  support\n"
        "---------  ---------  ------  -----  -------\n"
        "0              0.500   0.500  0.500        2\n"
        "1              0.500   1.000  0.667        2\n"
        "2              1.000   0.333  0.500        3\n"
        "macro avg      0.667   0.611  0.556        7\n"
        "micro avg      0.571   0.571  0.571        7\n"
        "accuracy                      0.571        7"
    )
    short = format_classification_report(classification_report([0, 1], [0, 1]), digits=1)
    assert short.splitlines()[2] == "0                1.0     1.0  1.0        1"


def test_format_probabilities_marks_the_winner():
    text = format_probabilities(np.array([0.1, 0.7, 0.2]))
    # the marker column's header is empty, so the header line ends at "probability"
    assert text == (
        "class  probability\n"
        "-----  -----------  --\n"
        "    0       0.1000\n"
        "    1       0.7000  <-\n"
        "    2       0.2000"
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="row 1 has 1 cells but there are 2 headers"):
        format_table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="square"):
        format_confusion_matrix([[1, 2, 3]])
    with pytest.raises(ValueError, match="one sample's probabilities"):
        format_probabilities([[0.5, 0.5]])
    with pytest.raises(ValueError, match="finite"):
        format_probabilities([0.5, np.nan])


SUMMARY = {  # what fit records, as a model file keeps it
    "epochs": 5,
    "samples": 60000,
    "batch_size": 128,
    "optimizer": {
        "name": "adam",
        "learning_rate": {"name": "constant", "learning_rate": 0.003},
        "clip_norm": None,
        "eps": 1e-08,
    },
    "seed": 0,
    "seconds": 5.8123,
    "final": {"loss": 0.071234, "accuracy": 0.97812, "val_loss": 0.07, "val_accuracy": 0.98},
}


def test_format_training_summary_exact():
    assert format_training_summary(SUMMARY) == (
        "epochs      5\n"
        "samples     60000\n"
        "batch size  128\n"
        "optimizer   adam (learning rate 0.003, clip norm none, eps 1e-08)\n"
        "seed        0\n"
        "time        5.81 s\n"
        "final       loss 0.07123, accuracy 0.9781, val loss 0.07, val accuracy 0.98"
    )


def test_format_training_summary_wraps_long_values_and_bounds_hostile_ones():
    schedule = {"name": "cosine_decay", "initial_learning_rate": 0.003, "decay_steps": 2345}
    text = format_training_summary({"optimizer": {"name": "adam", "learning_rate": schedule}}, 40)
    assert text.splitlines() == [
        "optimizer  adam (learning rate",
        "           cosine_decay (initial",
        "           learning rate 0.003, decay",
        "           steps 2345))",
    ]
    deep: dict = {"a": 1}
    for _ in range(10):
        deep = {"a": deep}
    rows = dict(training_rows({"deep": deep, "long": "x" * 10_000, "flag": True, "list": [1, 2]}))
    assert rows["deep"] == "a a a a a ..." and len(rows["long"]) == 300
    assert rows["flag"] == "yes" and rows["list"] == "[1, 2]"
    assert format_training_summary({}) == ""
