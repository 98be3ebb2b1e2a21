"""The workbook: a learner writes the post's math, barenet grades it, then trains with it.

    barenet exercises DIR               # write the exercises, with the math taken out
    barenet exercises DIR --check       # PASS or FAIL with a hint, per exercise; then train
    barenet exercises DIR --solutions   # write barenet's own solutions instead

The exercises, in the order of docs/guide.md: ReLU, Sigmoid and Tanh (``activate`` and
``derive``), the softmax, the forward pass, the fused softmax + cross-entropy delta, the
backward pass, the SGD, momentum and Adam steps, and He initialization (``catalogue.py``).
Their text and solutions come from one place, the templates in ``templates/``
(``workbook.py``); each check (``check_*.py``) runs the learner's piece inside barenet's own
code, against hand-worked cases and barenet's gradient checker, in a child process with a time
limit (``grading.py``). ``driver.py`` trains the post's network with the learner's code alone.

Nothing here prints: ``write``, ``check`` and ``train`` return what they did (or report it
through a callback), and the command line, ``barenet.cli.exercises``, prints it.

Left out: grading anything but this workbook's own files, and keeping a learner's progress.
"""

from __future__ import annotations

from .catalogue import EXERCISES, Exercise
from .driver import TrainResult, WorkbookError, train
from .grading import Result, check
from .workbook import render, write

__all__ = [
    "EXERCISES",
    "Exercise",
    "Result",
    "TrainResult",
    "WorkbookError",
    "check",
    "render",
    "train",
    "write",
]
