"""``BareNetRegressor``: one output or several, identity units and the mean squared error.

Its own are the output layer, y as (n, k) and R^2; training and batched inference are
``base``'s. Left out: the parameters' meaning and checks (``base``), classification
(``classifier``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..layers import Layer
from ._sklearn import RegressorMixin, r2_score, validate_data
from .base import _DTYPES, _BareNetEstimator


class BareNetRegressor(RegressorMixin, _BareNetEstimator):
    """A barenet network as a scikit-learn regressor: one output or several.

    Parameters are those of ``BareNetClassifier``. The output layer has identity units and
    the loss is the mean squared error. Nothing is standardized: scale X (and y, if its values
    are large) first, e.g. ``make_pipeline(StandardScaler(), BareNetRegressor())`` and
    ``TransformedTargetRegressor``.

    Attributes: ``network_``, ``loss_curve_``, ``n_iter_``, ``best_loss_``,
    ``validation_scores_`` (R^2 per epoch, of all outputs pooled: with several outputs not
    ``score``'s uniform average over them), ``best_validation_score_``, ``n_features_in_``,
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
