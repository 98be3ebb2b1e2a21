"""scikit-learn's stopping rule for its MLPs, as a callback, and the warning when it never fires.

``_Convergence`` watches the training loss (or, with ``early_stopping``, a validation score)
after each epoch, as ``MLPClassifier`` does with ``tol`` and ``n_iter_no_change``;
``ConvergenceWarning`` is barenet's and scikit-learn's at once. Left out: which value to watch,
carrying the state over ``warm_start`` fits, and when to warn (``base._BareNetEstimator._train``).
"""

from __future__ import annotations

import math
from typing import Any

from numpy.typing import NDArray

from .. import exceptions
from ..callbacks import Callback
from ._sklearn import sklearn_exceptions


class ConvergenceWarning(exceptions.ConvergenceWarning, sklearn_exceptions.ConvergenceWarning):
    """``fit`` ran out of epochs before converging: ``barenet.ConvergenceWarning`` and
    scikit-learn's at once, so ``warnings`` filters (and scikit-learn's tools) for either
    catch it."""


class _Convergence(Callback):
    """scikit-learn's stopping rule for its MLPs: after each epoch, count the epochs in a row
    whose ``monitor`` did not beat ``best`` by ``tol`` (the training loss must fall by tol,
    a "val_" score rise by tol); stop when the count exceeds ``n_iter_no_change``. ``best``
    (None: none yet) and ``count`` carry over from an earlier fit that this one continues
    (``warm_start``)."""

    def __init__(
        self, monitor: str, tol: float, n_iter_no_change: int, best: float | None, count: int
    ) -> None:
        self.monitor, self.tol, self.n_iter_no_change = monitor, tol, n_iter_no_change
        self.maximize = monitor.startswith("val_")  # a score; else the training loss
        # NOTE: no best yet (a first fit): any value beats it
        self.best = (-math.inf if self.maximize else math.inf) if best is None else best
        self.count = count
        self.values: list[float] = []
        self.best_params: dict[str, NDArray[Any]] | None = None  # of the best score's epoch
        self.stopped = False

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = (logs or {})[self.monitor]
        self.values.append(value)
        if self.maximize:
            improved = value >= self.best + self.tol
            if value > self.best:
                self.best = value
                self.best_params = {k: v.copy() for k, v in self.model.params.items()}
        else:
            improved = value <= self.best - self.tol
            self.best = min(self.best, value)
        self.count = 0 if improved else self.count + 1
        if self.count > self.n_iter_no_change:
            self.stopped = True
            self.model.stop_training = True
