"""What ``BareNetClassifier`` and ``BareNetRegressor`` share: parameters, network, training loop.

``_BareNetEstimator`` stores the parameters verbatim (scikit-learn's contract) and checks them
in ``fit``; builds the network (``_new_network``, the output layer is the subclass's); trains it
with barenet's ``fit`` under scikit-learn's stopping rule (``_train``); and runs inference in
batches (``_forward``). Left out: targets, outputs and scores (``classifier``, ``regressor``).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import activations, inputs, optimizers
from .._config import find
from ..layers import Layer
from ..network import DeepNeuralNetwork
from ..training import metric_name
from ._sklearn import BaseEstimator, check_array, check_is_fitted, check_random_state, validate_data
from .convergence import ConvergenceWarning, _Convergence

# X keeps float32 or float64; anything else becomes the first, float64
_DTYPES = (np.float64, np.float32)


class _BareNetEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters, network, training loop."""

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (256,),
        activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        batch_size: int = 128,
        epochs: int = 20,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        random_state: Any = None,
        verbose: int = 0,
        warm_start: bool = False,
    ) -> None:
        # NOTE: scikit-learn's contract: store verbatim, validate in fit
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ subclasses fill in

    def _output_layer(self, k: int) -> Layer:
        raise NotImplementedError

    # ------------------------------------------------------------------ checks

    def _hidden_sizes(self) -> list[int]:
        sizes: Any = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = [sizes]
        if not all(_is_int(h) and h >= 1 for h in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of whole numbers >= 1, e.g. (256,) or "
                f"(128, 64); received {self.hidden_layer_sizes!r}"
            )
        return [int(h) for h in sizes]

    def _check_params(self) -> None:
        """A ValueError naming the parameter, what it received and what is allowed."""
        self._hidden_sizes()
        activations.get(self.activation)  # its error lists the known names
        if find(optimizers.OPTIMIZERS, self.optimizer) is None:
            raise ValueError(
                f"optimizer must be one of {sorted(optimizers.OPTIMIZERS)} (any case); "
                f"received {self.optimizer!r}"
            )
        checks = [
            ("learning_rate", _is_real(self.learning_rate) and self.learning_rate > 0, "> 0"),
            (
                "batch_size",
                _is_int(self.batch_size) and self.batch_size >= 1,
                "a whole number >= 1",
            ),
            ("epochs", _is_int(self.epochs) and self.epochs >= 1, "a whole number >= 1"),
            ("weight_decay", _is_real(self.weight_decay) and self.weight_decay >= 0, ">= 0"),
            ("dropout", _is_real(self.dropout) and 0 <= self.dropout < 1, "in [0, 1)"),
            ("early_stopping", isinstance(self.early_stopping, bool | np.bool_), "True or False"),
            (
                "validation_fraction",
                _is_real(self.validation_fraction) and 0 < self.validation_fraction < 1,
                "in (0, 1)",
            ),
            ("tol", _is_real(self.tol) and self.tol >= 0, ">= 0"),
            (
                "n_iter_no_change",
                _is_int(self.n_iter_no_change) and self.n_iter_no_change >= 1,
                "a whole number >= 1",
            ),
            (
                "verbose",
                self.verbose in (0, 1, 2) and not isinstance(self.verbose, float),
                "0, 1 or 2",
            ),
            ("warm_start", isinstance(self.warm_start, bool | np.bool_), "True or False"),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"{name} must be {allowed}; received {getattr(self, name)!r}")

    # ------------------------------------------------------------------ training

    def _architecture(self, n_features: int, k: int) -> tuple[Any, ...]:
        return (n_features, *self._hidden_sizes(), k, self.activation, float(self.dropout))

    def _new_network(self, n_features: int, k: int, dtype: np.dtype[Any]) -> None:
        """Fresh network, optimizer and counters (seeded from random_state)."""
        try:
            rng = check_random_state(self.random_state)
        except ValueError:
            raise ValueError(
                "random_state must be None, an int in [0, 2**32) or a numpy RandomState; "
                f"received {self.random_state!r}"
            ) from None
        self._seed = int(rng.randint(np.iinfo(np.int32).max))
        layers = [Layer(n_features)]
        layers += [Layer(h, self.activation, dropout=self.dropout) for h in self._hidden_sizes()]
        layers.append(self._output_layer(k))
        self.network_ = DeepNeuralNetwork(layers, seed=self._seed, dtype=dtype)
        self._network_key = self._architecture(n_features, k)
        self._optimizer: optimizers.Optimizer | None = None
        self._optimizer_key: tuple[Any, ...] = ()
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        # scikit-learn's convergence state and attributes, continued by warm_start fits
        self._no_improvement_count = 0
        self.best_loss_: float | None = None
        self.validation_scores_: list[float] | None = None
        self.best_validation_score_: float | None = None
        self._best_params: dict[str, NDArray[Any]] | None = None

    def _train(self, X: NDArray[Any], Y: NDArray[Any], epochs: int, incremental: bool) -> None:
        """``epochs`` more epochs of barenet's ``fit`` on encoded targets Y (n,) or (n, k),
        stopping by scikit-learn's rule and warning when the epochs ran out first; for
        ``partial_fit`` (incremental) neither."""
        if self._network_key != self._architecture(X.shape[1], self.network_.layers[-1].size):
            raise ValueError(
                "hidden_layer_sizes, activation or dropout changed since the model was fitted; "
                "set warm_start=False (or clone the estimator) to fit a new network"
            )
        key = (self.optimizer, float(self.learning_rate), float(self.weight_decay))
        if self._optimizer is None or key != self._optimizer_key:
            self._optimizer = optimizers.get(
                self.optimizer,
                learning_rate=float(self.learning_rate),
                weight_decay=float(self.weight_decay),
            )
            self._optimizer_key = key
        # NOTE: a new shuffling seed per call, or every partial_fit would see one permutation
        seed = self._seed + self.n_iter_
        early_stopping = bool(self.early_stopping) and not incremental
        validation = None
        if early_stopping:
            n_val = int(len(X) * self.validation_fraction)
            if n_val < 1 or n_val == len(X):
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction} holds "
                    f"out {n_val} of {len(X)} samples; pass more samples or set "
                    "early_stopping=False"
                )
            order = np.random.default_rng(seed).permutation(len(X))
            X, Y = X[order], Y[order]
            validation = (X[-n_val:], Y[-n_val:])
            X, Y = X[:-n_val], Y[:-n_val]
            monitor, best = f"val_{metric_name(self.network_)}", self.best_validation_score_
        else:
            monitor, best = "loss", self.best_loss_
        rule = _Convergence(
            monitor,
            float(self.tol),
            int(self.n_iter_no_change),
            best,
            self._no_improvement_count,
        )
        history = self.network_.fit(
            X,
            Y,
            epochs=int(epochs),
            batch_size=int(self.batch_size),
            optimizer=self._optimizer,
            validation_data=validation,
            seed=seed,
            callbacks=[] if incremental else [rule],
            verbose=int(self.verbose),
        )
        self.loss_curve_ = [*self.loss_curve_, *history.history.get("loss", [])]
        self.n_iter_ += len(history.epoch)
        if incremental:
            return
        self._no_improvement_count = rule.count
        if early_stopping:
            self.validation_scores_ = [*(self.validation_scores_ or []), *rule.values]
            self.best_validation_score_ = rule.best
            self._best_params = rule.best_params or self._best_params
            if self._best_params is not None:  # as scikit-learn: end on the best epoch
                for name, value in self._best_params.items():
                    np.copyto(self.network_.params[name], value)
        else:
            self.best_loss_ = rule.best
        if not rule.stopped:
            watched = "validation score" if early_stopping else "training loss"
            warnings.warn(
                f"{type(self).__name__}: epochs={epochs} reached and training has not "
                f"converged yet: the {watched} did not go {self.n_iter_no_change + 1} epochs "
                f"in a row without improving by tol={self.tol:g}. Raise epochs (or tol).",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _forward(self, X: Any, batch_size: int | None) -> NDArray[np.float64]:
        """The network's outputs for X as float64 (n, k), computed in batches.

        A NumPy array (a memmap too) is checked by ``check_array`` batch by batch; anything
        else (a list, a DataFrame) is checked whole first.
        """
        check_is_fitted(self)
        if not (isinstance(X, np.ndarray) and X.ndim == 2 and len(X) > 0):
            X = validate_data(self, X, reset=False, dtype=_DTYPES)
            return np.asarray(self.network_.forward(X, batch_size), dtype=np.float64)
        validate_data(self, X, reset=False, skip_check_array=True)  # feature names and count
        network = self.network_
        size = inputs.inference_batch(network, batch_size)
        out = np.empty((len(X), network.layers[-1].size), dtype=np.float64)
        for start in range(0, len(X), size):
            # NOTE: no name keeps a checked batch alive while the next one is made
            out[start : start + size] = network.forward(
                check_array(X[start : start + size], dtype=_DTYPES, estimator=self), size
            )
        return out


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool | np.bool_)


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_) and math.isfinite(x)
