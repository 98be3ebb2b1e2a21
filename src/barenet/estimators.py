"""scikit-learn estimators around barenet's network: ``BareNetClassifier``, ``BareNetRegressor``.

They follow the scikit-learn contract, so they work in ``Pipeline``, ``cross_val_score``,
``GridSearchCV`` and with ``pickle`` (scikit-learn's convention for estimators; barenet's own
model files, ``DeepNeuralNetwork.save``, stay pickle-free)::

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from barenet.estimators import BareNetClassifier
    model = make_pipeline(StandardScaler(), BareNetClassifier(hidden_layer_sizes=(64,)))
    model.fit(X, y).score(X_test, y_test)

scikit-learn (>= 1.6) is an optional dependency (``pip install 'barenet[sklearn]'``); it is
imported here only, never by ``import barenet``.

Choices, stated once:

- The network is ``Layer(n_features)``, then ``Layer(h, activation, dropout=dropout)`` per hidden
  size, then the output layer: one sigmoid unit for binary targets, softmax for multiclass,
  one sigmoid per label for multilabel (2-D 0/1) targets, identity units for regression.
- Nothing is standardized implicitly: put a ``StandardScaler`` in front (a ``Pipeline``).
  ``fit`` warns ``barenet.DataWarning`` when X looks unscaled (whole numbers reaching 16 or
  more, such as raw 0..255 pixels), as barenet's own ``fit`` does.
- The network's dtype follows X, as in scikit-learn's ``MLPClassifier``: float32 X trains a
  float32 network (barenet's fast default), any other X is converted to float64 (the
  estimator checks ask predictions on a subset to match those on the whole set to 1e-7,
  which float32 matrix products do not give). Outputs are float64.
- ``random_state`` (None, an int or a ``RandomState``) gives, through
  ``check_random_state``, the seed that draws the weights and shuffles the batches; an int
  makes ``fit`` reproducible.
- Convergence, as scikit-learn's ``MLPClassifier`` decides it (same ``tol=1e-4`` and
  ``n_iter_no_change=10``): ``fit`` stops when the training loss has not improved on its best
  by at least ``tol`` for more than ``n_iter_no_change`` epochs in a row (scikit-learn's code
  counts ``> n_iter_no_change``; we count the same way, so the same settings stop at the same
  epoch). When ``epochs`` run out first, ``fit`` emits one ``ConvergenceWarning``, which is
  both ``barenet.ConvergenceWarning`` and scikit-learn's, so a filter for either silences it.
  With the default ``epochs=20`` the rule rarely fires: expect the warning, or raise epochs.
- ``early_stopping`` holds out a random ``validation_fraction`` of the samples and applies the
  same rule to the validation score (accuracy, or R^2 of all outputs pooled) instead, needing
  an improvement of ``tol`` on the best score; at the end the network goes back to the
  weights of its best-scoring epoch. ``partial_fit`` runs one epoch: it never stops or warns.
- Inference (``predict``, ``predict_proba``, ``score``) runs in batches (``batch_size=``,
  default by bytes as ``DeepNeuralNetwork.forward``): a NumPy array or memmap is checked and
  converted batch by batch, so a large uint8 memmap is never copied whole; other inputs
  (lists, DataFrames) are converted whole first, as ``check_array`` does.
- ``warm_start=True``: ``fit`` continues from the current weights (and optimizer state, unless
  ``optimizer``, ``learning_rate`` or ``weight_decay`` changed) for ``epochs`` more epochs;
  ``n_iter_`` and ``loss_curve_`` accumulate. ``partial_fit`` runs one epoch per call and
  always continues. Changing the architecture or the classes of a fitted model raises.
- ``optimizer`` is a name (``"adam"``, ``"adamw"``, ``"sgd"``, ``"rmsprop"``); ``weight_decay``
  goes to it (decoupled for Adam, L2 for SGD and RMSprop).

``sklearn.utils.estimator_checks.parametrize_with_checks`` passes for both estimators with no
expected failures (see ``tests/test_estimators.py``; the test instances use a small network
and enough epochs to learn the checks' toy problems). Not supported: sparse X, sample weights.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import activations, exceptions, optimizers
from ._config import find
from .callbacks import Callback
from .layers import Layer
from .network import DeepNeuralNetwork
from .training import metric_name

try:
    from sklearn import exceptions as sklearn_exceptions
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import DataConversionWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.utils import check_array, check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # NOTE: validate_data is new in scikit-learn 1.6
    raise ImportError(
        "barenet.estimators needs scikit-learn >= 1.6, which is not installed "
        f"({err}); install it with: pip install 'barenet[sklearn]'"
    ) from err

__all__ = ["BareNetClassifier", "BareNetRegressor"]

# X keeps float32 or float64; anything else becomes the first, float64
_DTYPES = (np.float64, np.float32)


class ConvergenceWarning(exceptions.ConvergenceWarning, sklearn_exceptions.ConvergenceWarning):
    """``fit`` ran out of epochs before converging: ``barenet.ConvergenceWarning`` and
    scikit-learn's at once, so ``warnings`` filters (and scikit-learn's tools) for either
    catch it."""


class _Convergence(Callback):
    """scikit-learn's stopping rule for its MLPs: after each epoch, count the epochs in a row
    whose ``monitor`` did not beat ``best`` by ``tol`` (the training loss must fall by tol,
    a "val_" score rise by tol); stop when the count exceeds ``n_iter_no_change``. ``best``
    and ``count`` carry over from an earlier fit that this one continues (``warm_start``)."""

    def __init__(
        self, monitor: str, tol: float, n_iter_no_change: int, best: float, count: int
    ) -> None:
        self.monitor, self.tol, self.n_iter_no_change = monitor, tol, n_iter_no_change
        self.best, self.count = best, count
        self.maximize = monitor.startswith("val_")  # a score; else the training loss
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
        if early_stopping:
            best = self.best_validation_score_
            rule = _Convergence(
                f"val_{metric_name(self.network_)}",
                float(self.tol),
                int(self.n_iter_no_change),
                -math.inf if best is None else best,
                self._no_improvement_count,
            )
        else:
            rule = _Convergence(
                "loss",
                float(self.tol),
                int(self.n_iter_no_change),
                math.inf if self.best_loss_ is None else self.best_loss_,
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
        size = network._inference_batch(batch_size)
        out = np.empty((len(X), network.layers[-1].size), dtype=np.float64)
        for start in range(0, len(X), size):
            # NOTE: no name keeps a checked batch alive while the next one is made
            out[start : start + size] = network.forward(
                check_array(X[start : start + size], dtype=_DTYPES, estimator=self), size
            )
        return out


class BareNetClassifier(ClassifierMixin, _BareNetEstimator):
    """A barenet network as a scikit-learn classifier: binary, multiclass or multilabel.

    Parameters
    ----------
    hidden_layer_sizes:
        Units of each hidden layer, e.g. ``(256,)`` or ``(128, 64)``.
    activation:
        The hidden layers' activation: a name from ``barenet.activations.ACTIVATIONS``.
    optimizer, learning_rate, weight_decay:
        The optimizer's name and its step size and weight decay.
    batch_size, epochs:
        Samples per update, and passes over the data per ``fit``.
    dropout:
        Dropout rate of every hidden layer while training.
    tol, n_iter_no_change:
        Stop when the training loss has not improved by ``tol`` for more than this many
        epochs in a row (scikit-learn's rule and defaults, 1e-4 and 10).
    early_stopping, validation_fraction:
        Hold out this fraction and apply the rule to its score instead (accuracy), keeping
        the best epoch's weights.
    random_state:
        None, an int or a ``numpy.random.RandomState``: seeds weights and shuffling.
    verbose:
        0 silent, 1 a progress bar per epoch, 2 one line per epoch.
    warm_start:
        ``fit`` continues from the fitted weights instead of starting over.

    Attributes
    ----------
    classes_:
        The class labels (n_classes,); for multilabel targets ``arange(k)``.
    network_:
        The trained ``barenet.DeepNeuralNetwork``.
    loss_curve_, n_iter_:
        The training loss per epoch, and the number of epochs run.
    best_loss_, validation_scores_, best_validation_score_:
        As scikit-learn's: the lowest training loss (None with early stopping); the
        validation score per epoch and the best one (None without early stopping).
    n_features_in_, feature_names_in_:
        The number of features, and their names when X was a DataFrame with string columns.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _output_layer(self, k: int) -> Layer:
        if self._task == "multiclass":
            return Layer(k, "softmax")
        return Layer(k, "sigmoid")

    def fit(self, X: ArrayLike, y: ArrayLike) -> BareNetClassifier:
        """Train for ``epochs`` epochs (from scratch unless ``warm_start``).

        Shapes: X (n, d); y (n,) labels of any type, or (n, k) 0/1 for multilabel.
        """
        self._check_params()
        warm = bool(self.warm_start) and hasattr(self, "network_")
        X, y = self._validate(X, y, reset=not warm)
        classes = np.arange(y.shape[1]) if self._target == "multilabel" else np.unique(y)
        if len(classes) < 2 and self._target != "multilabel":
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; y holds only one "
                f"class, {classes[0]!r}"
            )
        self._set_classes(classes, warm)
        self._train(X, self._encode(y), int(self.epochs), incremental=False)
        return self

    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None
    ) -> BareNetClassifier:
        """One epoch on (X, y), continuing from the current weights.

        ``classes`` (every label that will ever appear; for multilabel ``arange(k)``) is
        required on the first call and must match ``classes_`` on later ones.
        """
        first = not hasattr(self, "network_")
        if first:
            self._check_params()
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: every label "
                    "that y may hold, e.g. classes=np.unique(y_all)"
                )
        X, y = self._validate(X, y, reset=first)
        if classes is not None:
            self._set_classes(np.unique(np.asarray(classes)), warm=not first)
        self._train(X, self._encode(y), 1, incremental=True)
        return self

    def predict_proba(self, X: ArrayLike, batch_size: int | None = None) -> NDArray[np.float64]:
        """Class probabilities, in batches of ``batch_size`` rows (None: sized by bytes).

        Shapes: X (n, d) -> (n, n_classes); binary: [1 - p, p]
        """
        a = self._forward(X, batch_size)
        if self._task == "binary":
            return np.hstack([1.0 - a, a])
        return a

    def predict(self, X: ArrayLike, batch_size: int | None = None) -> NDArray[Any]:
        """Labels from ``classes_``: (n,); for multilabel, 0/1 indicators (n, k)."""
        p = self.predict_proba(X, batch_size)
        if self._task == "multilabel":
            return (p >= 0.5).astype(np.int64)
        return self.classes_[p.argmax(axis=1)]

    def score(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        batch_size: int | None = None,
    ) -> float:
        """Mean accuracy (every label right, for multilabel), as ``ClassifierMixin.score``,
        with the predictions made in batches."""
        predicted = self.predict(X, batch_size)
        return float(accuracy_score(y, predicted, sample_weight=sample_weight))

    # ------------------------------------------------------------------ targets

    def _validate(self, X: Any, y: Any, reset: bool) -> tuple[NDArray[Any], NDArray[Any]]:
        """Checked X (float32 or float64) and y; the target type goes in ``self._target``."""
        X, y = validate_data(self, X, y, reset=reset, dtype=_DTYPES, multi_output=True)
        if hasattr(y, "toarray"):  # a sparse multilabel indicator matrix
            y = y.toarray()
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:  # the warning scikit-learn's own classifiers give
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change "
                "the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=3,
            )
            y = y.ravel()
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"{type(self).__name__} supports binary, multiclass and multilabel (0/1 "
                f"indicator) targets; received a {kind} y of shape {y.shape}"
            )
        self._target = "multilabel" if kind == "multilabel-indicator" else "labels"
        if reset:
            self._dtype = X.dtype
        return X, y

    def _set_classes(self, classes: NDArray[Any], warm: bool) -> None:
        """Set ``classes_`` and, unless warm, a new network for them."""
        if warm:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes {classes.tolist()} differ from the fitted classes_ "
                    f"{self.classes_.tolist()}; set warm_start=False to start over"
                )
            return
        if self._target == "multilabel":
            task, k = "multilabel", len(classes)
        else:
            task, k = ("binary", 1) if len(classes) == 2 else ("multiclass", len(classes))
        self.classes_: NDArray[Any] = classes
        self._task = task
        self._new_network(self.n_features_in_, k, self._dtype)

    def _encode(self, y: NDArray[Any]) -> NDArray[Any]:
        """Targets for the network: 0/1 (binary, multilabel) or class indices (multiclass)."""
        if self._target == "multilabel":
            if self._task != "multilabel" or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has shape {y.shape}; this model was fitted on {self._task} targets "
                    f"with classes {self.classes_.tolist()}"
                )
            return y.astype(self._dtype)
        if self._task == "multilabel":
            raise ValueError("this model was fitted on multilabel targets; y must be (n, k) 0/1")
        index = np.searchsorted(self.classes_, y)
        unseen = (index >= len(self.classes_)) | (
            self.classes_[np.minimum(index, len(self.classes_) - 1)] != y
        )
        if unseen.any():
            raise ValueError(
                f"y holds label {y[np.argmax(unseen)]!r}, which is not one of classes_ "
                f"{self.classes_.tolist()}"
            )
        return index


class BareNetRegressor(RegressorMixin, _BareNetEstimator):
    """A barenet network as a scikit-learn regressor: one output or several.

    Parameters are those of ``BareNetClassifier``. The output layer has identity units and
    the loss is the mean squared error. Nothing is standardized: scale X (and y, if its values
    are large) first, e.g. ``make_pipeline(StandardScaler(), BareNetRegressor())`` and
    ``TransformedTargetRegressor``.

    Attributes: ``network_``, ``loss_curve_``, ``n_iter_``, ``best_loss_``,
    ``validation_scores_`` (R^2 per epoch), ``best_validation_score_``, ``n_features_in_``,
    ``feature_names_in_``, as in ``BareNetClassifier``.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _output_layer(self, k: int) -> Layer:
        return Layer(k, "identity")

    def fit(self, X: ArrayLike, y: ArrayLike) -> BareNetRegressor:
        """Train for ``epochs`` epochs (from scratch unless ``warm_start``).

        Shapes: X (n, d); y (n,) or (n, k).
        """
        self._check_params()
        warm = bool(self.warm_start) and hasattr(self, "network_")
        X, Y = self._validate(X, y, reset=not warm)
        if not warm:
            self._new_network(self.n_features_in_, Y.shape[1], X.dtype)
        self._train(X, Y, int(self.epochs), incremental=False)
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> BareNetRegressor:
        """One epoch on (X, y), continuing from the current weights."""
        first = not hasattr(self, "network_")
        if first:
            self._check_params()
        X, Y = self._validate(X, y, reset=first)
        if first:
            self._new_network(self.n_features_in_, Y.shape[1], X.dtype)
        self._train(X, Y, 1, incremental=True)
        return self

    def predict(self, X: ArrayLike, batch_size: int | None = None) -> NDArray[np.float64]:
        """Predicted values, in batches of ``batch_size`` rows (None: sized by bytes).

        Shapes: X (n, d) -> (n,) for a 1-D y, else (n, k)
        """
        a = self._forward(X, batch_size)
        return a[:, 0] if self._y_1d else a

    def score(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        batch_size: int | None = None,
    ) -> float:
        """R^2 (averaged over outputs), as ``RegressorMixin.score``, predicting in batches."""
        return float(r2_score(y, self.predict(X, batch_size), sample_weight=sample_weight))

    def _validate(self, X: Any, y: Any, reset: bool) -> tuple[NDArray[Any], NDArray[Any]]:
        """Checked X (float32 or float64) and Y (n, k); remembers whether y was 1-D."""
        X, y = validate_data(
            self, X, y, reset=reset, dtype=_DTYPES, multi_output=True, y_numeric=True
        )
        y = np.asarray(y, dtype=X.dtype)
        if hasattr(self, "network_") and not reset:
            k = self.network_.layers[-1].size
            if (y.shape[1] if y.ndim == 2 else 1) != k:
                raise ValueError(f"y has shape {y.shape}; this model was fitted with {k} outputs")
        if reset:
            self._y_1d = y.ndim == 1
        return X, y.reshape(len(y), -1)


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool | np.bool_)


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_) and math.isfinite(x)
