"""``BareNetClassifier``: binary, multiclass and multilabel targets on barenet's network.

The targets decide the output layer (one sigmoid unit, softmax, or a sigmoid per label) and are
encoded for the network here; training and batched inference are ``base``'s. Left out: the
parameters' meaning and checks (``base``), regression (``regressor``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..layers import Layer
from ._sklearn import (
    ClassifierMixin,
    DataConversionWarning,
    accuracy_score,
    check_classification_targets,
    type_of_target,
    validate_data,
)
from .base import _DTYPES, _BareNetEstimator


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
