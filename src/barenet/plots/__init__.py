"""Pictures of a trained network: curves, confusion matrix, mistakes, weights, probabilities,
and the decision boundary of a network on a plane.

Every function returns a ``matplotlib.figure.Figure`` and, given ``path``, also writes it there as
a PNG (atomically) of exactly ``figsize * DPI`` pixels. It draws with matplotlib's object-oriented
API, never pyplot: no GUI backend, no global figure list, nothing to close.

matplotlib is an optional dependency (``pip install 'barenet[plot]'``), imported only inside the
functions, so ``import barenet.plots`` works without it; ``import barenet`` never imports this
module. Left out: showing figures on screen (``fig`` displays itself in Jupyter) and styling
options.

The package, by what a plot shows:

    curves.py    training_curves
    classes.py   confusion_matrix, probabilities
    grids.py     misclassified, first_layer_weights (grids of images)
    boundary.py  decision_boundary
    _figure.py   what they share: the lazy import, the PNG writer, the image grid

and here ``save_all``, which writes the plots of a trained classifier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..callbacks import History
from ..metrics import confusion_matrix as _confusion_counts
from ._figure import DPI, PathLike, _labels, _require_matplotlib
from .boundary import decision_boundary
from .classes import confusion_matrix, probabilities
from .curves import training_curves
from .grids import first_layer_weights, misclassified

if TYPE_CHECKING:
    from ..network import DeepNeuralNetwork

__all__ = [
    "DPI",
    "confusion_matrix",
    "decision_boundary",
    "first_layer_weights",
    "misclassified",
    "probabilities",
    "save_all",
    "training_curves",
]


def save_all(
    model: DeepNeuralNetwork,
    history: History | Mapping[str, Sequence[float]],
    X_test: ArrayLike,
    y_test: ArrayLike,
    directory: PathLike,
    image_shape: tuple[int, int] = (28, 28),
    validation_label: str = "validation",
) -> list[Path]:
    """Write the plots of a trained classifier into ``directory``; return the paths written.

    ``validation_label`` is what the history's val_* curves are called (see training_curves).

    training_curves.png always; for classifiers (softmax, or one sigmoid unit) also
    confusion_matrix.png; for every task but regression probabilities.png (test sample 0).
    misclassified.png and first_layer_weights.png only when a sample is an image of
    ``image_shape`` (784 = 28 x 28 values for MNIST); for other inputs they are skipped.

    Shapes: X_test (n, d); y_test (n,) labels or (n, k) one-hot
    """
    _require_matplotlib()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    X = np.asarray(X_test)
    is_image = X.ndim == 2 and X.shape[1] == math.prod(image_shape)
    written = [out / "training_curves.png"]
    training_curves(history, written[-1], validation_label=validation_label)

    if model.task in ("multiclass", "binary"):
        t, p = _labels(y_test, "y_test"), model.predict(X)
        k = 2 if model.task == "binary" else model.layers[-1].size
        written.append(out / "confusion_matrix.png")
        confusion_matrix(_confusion_counts(t, p, n_classes=k), written[-1])
        if is_image:
            written.append(out / "misclassified.png")
            misclassified(X, t, p, written[-1], image_shape=image_shape)
    if is_image:
        written.append(out / "first_layer_weights.png")
        first_layer_weights(model, written[-1], image_shape=image_shape)
    if model.task != "regression" and len(X):
        proba = model.predict_proba(X[:1])[0]
        if model.task == "binary":  # one sigmoid unit: P(class 1); show both classes
            proba = np.array([1.0 - proba[0], proba[0]])
        written.append(out / "probabilities.png")
        probabilities(proba, written[-1], image=X[0].reshape(image_shape) if is_image else None)
    return written
