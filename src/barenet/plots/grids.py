"""Grids of images: the misclassified test images, the first layer's weights as pictures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._figure import (
    PathLike,
    _check_image_width,
    _finish,
    _image_grid,
    _labels,
    _require_matplotlib,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..network import DeepNeuralNetwork


def misclassified(
    X: ArrayLike,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    path: PathLike | None = None,
    max_images: int = 25,
    image_shape: tuple[int, int] = (28, 28),
) -> Figure:
    """The first ``max_images`` misclassified images, each titled "true → predicted".

    With no mistakes, a figure that says so.
    Shapes: X (n, h*w); y_true, y_pred (n,) labels or (n, k) one-hot; image_shape (h, w)
    """
    Figure = _require_matplotlib()
    X = np.asarray(X)
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if X.ndim != 2 or not len(X) == len(t) == len(p):
        raise ValueError(
            f"X must be (n, d) with one label per row in y_true and y_pred; "
            f"got X {X.shape}, y_true {t.shape}, y_pred {p.shape}"
        )
    _check_image_width(X.shape[1], image_shape, "X")
    wrong = np.flatnonzero(t != p)
    if len(wrong) == 0:
        fig = Figure(figsize=(5, 2), layout="constrained")
        ax = fig.subplots()
        ax.text(
            0.5,
            0.5,
            f"No misclassified images:\nall {len(t)} are right.",
            ha="center",
            va="center",
            fontsize=13,
        )
        ax.set_axis_off()
        return _finish(fig, path)

    shown = wrong[: max(1, int(max_images))]
    fig, axes = _image_grid(Figure, len(shown), cell=(1.6, 1.8))
    more = f", the first {len(shown)} shown" if len(shown) < len(wrong) else ""
    fig.suptitle(f"{len(wrong)} of {len(t)} misclassified (true → predicted){more}")
    for ax, i in zip(axes.flat, shown, strict=False):
        ax.imshow(X[i].reshape(image_shape), cmap="gray_r")
        ax.set_title(f"{t[i]} → {p[i]}", fontsize=10)
    return _finish(fig, path)


def first_layer_weights(
    model_or_W1: DeepNeuralNetwork | ArrayLike,
    path: PathLike | None = None,
    max_units: int = 64,
    image_shape: tuple[int, int] = (28, 28),
) -> Figure:
    """Each first-layer unit's incoming weights W1[:, j] drawn as an image, red + and blue -.

    One color scale for all units, symmetric around 0, so white is a weight of 0.
    Shapes: W1 (h*w, units); image_shape (h, w); the first max_units units are drawn
    """
    Figure = _require_matplotlib()
    params = getattr(model_or_W1, "params", None)
    W1 = np.asarray(params["W1"] if params is not None else model_or_W1)
    if W1.ndim != 2:
        raise ValueError(f"W1 must be (d, units); got shape {W1.shape}")
    _check_image_width(W1.shape[0], image_shape, "W1")
    m = min(W1.shape[1], max(1, int(max_units)))
    W = W1[:, :m]
    limit = float(np.abs(W).max()) or 1.0

    fig, axes = _image_grid(Figure, m, cell=(1.1, 1.1), colorbar=True)
    for j, ax in zip(range(m), axes.flat, strict=False):
        im = ax.imshow(W[:, j].reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(im, cax=fig.axes[-1], label="weight")
    shown = f"units 0-{m - 1} of {W1.shape[1]}" if m < W1.shape[1] else f"all {m} units"
    fig.suptitle(f"First-layer weights W1[:, j], {shown}")
    return _finish(fig, path)
