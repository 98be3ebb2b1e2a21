"""Plain-text tables for the command line and examples.

``format_table`` aligns any rows of cells; the others lay out a classification report and a
confusion matrix (as ``metrics`` computes them), one sample's class probabilities and a model's
training summary. Every function returns a string (or rows of strings) and prints nothing: the
caller decides where it goes.

Left out: the numbers themselves (see ``metrics.py``), plots (see ``plots``) and rich output
such as colour, HTML or Markdown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .metrics import _numbers

PROBABILITY_DIGITS = 4  # decimals of a probability in the command's table and in plots


def _is_number(cell: object) -> bool:
    return isinstance(cell, int | float | np.integer | np.floating) and not isinstance(
        cell, bool | np.bool_
    )


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, float_format: str = ".3f"
) -> str:
    """An aligned plain-text table: the headers, a rule of dashes, then one line per row.

    Floats are written with ``float_format``, everything else with ``str``. A column whose
    non-empty cells are all numbers is right-aligned, any other column left-aligned. Columns are
    two spaces apart and lines carry no trailing spaces.

    Shapes: headers (m,), rows (r, m) -> str of r + 2 lines
    """
    rows = [list(row) for row in rows]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(
                f"row {i} has {len(row)} cells but there are {len(headers)} headers; "
                "every row needs one cell per header"
            )
    cells = [
        [format(c, float_format) if isinstance(c, float | np.floating) else str(c) for c in row]
        for row in rows
    ]
    right = [
        any(row[j] != "" for row in rows)
        and all(_is_number(row[j]) for row in rows if row[j] != "")
        for j in range(len(headers))
    ]
    widths = [max([len(str(h)), *(len(row[j]) for row in cells)]) for j, h in enumerate(headers)]

    def line(texts: Sequence[str]) -> str:
        padded = (
            t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, right, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = ["-" * w for w in widths]
    return "\n".join([line([str(h) for h in headers]), line(rule), *map(line, cells)])


def _names(k: int, class_names: Sequence[str] | None) -> list[str]:
    if class_names is None:
        return [str(i) for i in range(k)]
    if len(class_names) != k:
        raise ValueError(f"received {len(class_names)} class_names for {k} classes")
    return [str(name) for name in class_names]


def format_classification_report(
    report: dict[str, Any], *, class_names: Sequence[str] | None = None, digits: int = 3
) -> str:
    """The report of ``classification_report`` as a table: one row per class, then the
    macro and micro averages and the accuracy (in the f1 column, over n_samples)."""
    names = _names(len(report["support"]), class_names)
    metrics = ("precision", "recall", "f1")
    rows: list[list[Any]] = [
        [name, *(float(report[m][i]) for m in metrics), int(report["support"][i])]
        for i, name in enumerate(names)
    ]
    for average in ("macro", "micro"):
        summary = report[average]
        rows.append([f"{average} avg", *(summary[m] for m in metrics), summary["support"]])
    rows.append(["accuracy", "", "", report["accuracy"], report["n_samples"]])
    headers = ["class", *metrics, "support"]
    return format_table(headers, rows, float_format=f".{digits}f")


def format_confusion_matrix(cm: ArrayLike, *, class_names: Sequence[str] | None = None) -> str:
    """A confusion matrix as a table: one row per true class, one column per predicted one.

    Shapes: cm (k, k) -> str of k + 2 lines
    """
    C = np.asarray(cm)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or not np.issubdtype(C.dtype, np.integer):
        raise ValueError(
            f"cm must be a square (k, k) matrix of counts; received {C.dtype} of shape {C.shape}"
        )
    names = _names(len(C), class_names)
    rows = [[name, *(int(c) for c in row)] for name, row in zip(names, C, strict=True)]
    return format_table(["true \\ pred", *names], rows)


def format_probabilities(proba: ArrayLike) -> str:
    """The post's probability table for one sample: a row per class, the winner marked.

    Shapes: proba (k,) -> str of k + 2 lines
    """
    p = _numbers(proba, "proba")
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"proba must be one sample's probabilities (k,); received shape {p.shape}")
    best = int(np.argmax(p))
    rows = [[c, float(v), "<-" if c == best else ""] for c, v in enumerate(p)]
    return format_table(["class", "probability", ""], rows, float_format=f".{PROBABILITY_DIGITS}f")


_MAX_VALUE = 300  # characters of one value in a training summary (a model file is untrusted)
_MAX_DEPTH = 4


def _text(value: Any, depth: int = 0) -> str:
    """A JSON-like value as short readable text: ``adam (learning rate 0.001, eps 1e-08)``."""
    if depth > _MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        rest = {k: v for k, v in value.items() if k != "name"}
        if value.get("name") == "constant" and list(rest) == ["learning_rate"]:
            return _text(rest["learning_rate"], depth + 1)  # a constant schedule is its rate
        inner = ", ".join(
            f"{str(k).replace('_', ' ')} {_text(v, depth + 1)}" for k, v in rest.items()
        )
        if "name" not in value:
            return inner
        name = _text(value["name"], depth + 1)
        return f"{name} ({inner})" if inner else name
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v, depth + 1) for v in value) + "]"
    if value is None:
        return "none"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return format(float(value), ".4g")
    return str(value)


def training_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A model's ``training_summary`` as (name, text) rows: nested settings and metrics written
    out in words (``optimizer: adam (learning rate 0.001, ...)``), floats to 4 significant
    digits, each value cut to a few hundred characters. Shapes: -> one row per key
    """
    rows = []
    for key, value in summary.items():
        if key == "seconds" and isinstance(value, (int, float)) and not isinstance(value, bool):
            name, text = "time", f"{value:.3g} s"
        else:
            name, text = str(key).replace("_", " "), _text(value)
        if len(text) > _MAX_VALUE:
            text = text[: _MAX_VALUE - 3] + "..."
        rows.append((name, text))
    return rows


def format_training_summary(summary: Mapping[str, Any], width: int = 100) -> str:
    """``training_rows`` as aligned lines, ``name  text``, long texts wrapped under themselves.

    Shapes: -> str of at least one line per key
    """
    rows = training_rows(summary)
    if not rows:
        return ""
    column = max(len(name) for name, _ in rows) + 2
    lines = []
    for name, text in rows:
        wrapped = textwrap.wrap(text, max(20, width - column)) or [""]
        lines.append(name.ljust(column) + wrapped[0])
        lines.extend(" " * column + more for more in wrapped[1:])
    return "\n".join(line.rstrip() for line in lines)
