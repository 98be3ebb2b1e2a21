"""Pictures of a trained network: curves, confusion matrix, mistakes, weights, probabilities,
and the decision boundary of a network on a plane.

Every function returns a ``matplotlib.figure.Figure`` and, given ``path``, also writes it there as
a PNG (atomically) of exactly ``figsize * DPI`` pixels. It draws with matplotlib's object-oriented
API, never pyplot: no GUI backend, no global figure list, nothing to close.

matplotlib is an optional dependency (``pip install 'barenet[plot]'``), imported only inside the
functions, so ``import barenet.plots`` works without it; ``import barenet`` never imports this
module. Left out: showing figures on screen (``fig`` displays itself in Jupyter) and styling
options.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._files import atomic_write
from .callbacks import History
from .metrics import confusion_matrix as _confusion_counts
from .reports import PROBABILITY_DIGITS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .network import DeepNeuralNetwork

DPI = 100  # pixels per inch of the saved PNGs: a (w, h) inch figure is (w * DPI, h * DPI) pixels
PathLike = str | os.PathLike[str]
_WINNER, _OTHERS = "tab:orange", "tab:blue"


def _require_matplotlib() -> type[Figure]:
    """matplotlib's Figure class, or an ImportError that names the extra to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            "barenet.plots needs matplotlib, which is not installed; "
            "install it with: pip install 'barenet[plot]'"
        ) from err
    return Figure


def _finish(fig: Figure, path: PathLike | None) -> Figure:
    """Write fig to path as a PNG when a path is given (atomically), and return it."""
    if path is not None:
        with atomic_write(path) as f:
            fig.savefig(f, format="png", dpi=DPI)
    return fig


def _labels(y: ArrayLike, name: str) -> NDArray[Any]:
    """Class labels (n,) from labels (n,), one column (n, 1) or one-hot rows (n, k)."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name} must be labels (n,) or one-hot rows (n, k); got {y.shape}")
    return y


def _image_grid(
    figure_class: type[Figure], m: int, cell: tuple[float, float], colorbar: bool = False
) -> tuple[Figure, NDArray[Any]]:
    """A figure with the squarest grid of m image panels (axes hidden), each cell (w, h) inches,
    room for a suptitle, and with ``colorbar`` a colorbar axes as the figure's last axes.

    NOTE: laid out by hand in inches: constrained layout costs a third of the drawing time
    once there are dozens of panels.
    """
    cols = max(1, math.ceil(math.sqrt(m)))
    rows = math.ceil(m / cols)
    title, margin, bar = 0.55, 0.1, (1.0 if colorbar else 0.0)
    width = max(cell[0] * cols + bar + 2 * margin, 4.0)
    height = cell[1] * rows + title + margin
    fig = figure_class(figsize=(width, height))
    top, bottom, right = 1 - title / height, margin / height, 1 - (bar + margin) / width
    spacing = {"wspace": 0.1, "hspace": 0.25}
    axes = fig.subplots(
        rows,
        cols,
        squeeze=False,
        gridspec_kw={
            "left": margin / width,
            "right": right,
            "top": top,
            "bottom": bottom,
            **spacing,
        },
    )
    for ax in axes.flat:
        ax.set_axis_off()
    if colorbar:
        fig.add_axes(
            (1 - 0.95 / width, bottom + 0.1 * (top - bottom), 0.15 / width, 0.8 * (top - bottom))
        )
    return fig, axes


def _check_image_width(d: int, image_shape: tuple[int, int], what: str) -> None:
    if d != math.prod(image_shape):
        raise ValueError(
            f"{what} has {d} values per image, but image_shape={tuple(image_shape)} needs "
            f"{math.prod(image_shape)}; pass the image_shape of your data"
        )


def training_curves(
    history: History | Mapping[str, Sequence[float]],
    path: PathLike | None = None,
    validation_label: str = "validation",
) -> Figure:
    """Loss and the task's metric per epoch (two panels), train and validation where logged.

    ``validation_label`` names the val_* curves in the legend: "test (reported only)" when,
    as in ``barenet train``, the validation data is the test set, never used to choose.

    Shapes: history.history[key] (epochs,) for key in loss, <metric>, val_loss, val_<metric>
    """
    Figure = _require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    logs = dict(history.history if isinstance(history, History) else history)
    if not logs or not logs.get("loss"):
        raise ValueError(f"history holds no epochs to plot; its keys are {sorted(logs)}")
    n = len(logs["loss"])
    epochs = [e + 1 for e in history.epoch] if isinstance(history, History) else range(1, n + 1)
    # The metric is whatever fit logged besides the loss: "accuracy" or "r2".
    panels = ["loss", *(k for k in logs if k != "loss" and not k.startswith("val_"))][:2]
    titles = {"loss": "Loss", "accuracy": "Accuracy", "r2": "R²"}

    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels, strict=False):
        marker = "o" if n <= 30 else None  # NOTE: one epoch is a single point: show it
        ax.plot(epochs, logs[key], marker=marker, label="train")
        if f"val_{key}" in logs:
            ax.plot(epochs, logs[f"val_{key}"], marker=marker, label=validation_label)
        ax.set_title(titles.get(key, key))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return _finish(fig, path)


def confusion_matrix(
    cm: ArrayLike, path: PathLike | None = None, class_names: Sequence[str] | None = None
) -> Figure:
    """Heatmap of C[i, j], the count of true class i predicted as j, with the counts written in.

    Shapes: cm (k, k), rows true classes and columns predicted ones; class_names (k,)
    """
    Figure = _require_matplotlib()
    C = np.asarray(cm)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"cm must be a square (k, k) matrix; got shape {C.shape}")
    k = len(C)
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise ValueError(f"class_names has {len(names)} names for a {k}x{k} confusion matrix")

    fig = Figure(figsize=(6.4, 5.6), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(C, cmap="Blues")
    fig.colorbar(im, ax=ax, label="samples")
    total = C.sum()
    accuracy = f" (accuracy {np.trace(C) / total:.1%})" if total else ""
    ax.set_title(f"Confusion matrix{accuracy}")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(k), names)
    if k <= 30:  # NOTE: beyond that the numbers no longer fit in their cells
        dark = C.max() / 2
        for (i, j), count in np.ndenumerate(C):
            ax.text(
                j,
                i,
                f"{count:g}",
                ha="center",
                va="center",
                fontsize=8 if k > 12 else 9,
                color="white" if count > dark else "black",
            )
    return _finish(fig, path)


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


def probabilities(
    proba: ArrayLike,
    path: PathLike | None = None,
    image: ArrayLike | None = None,
    image_shape: tuple[int, int] | None = None,
) -> Figure:
    """One sample's class probabilities as bars, the most likely class highlighted; optionally
    the image beside them.

    Shapes: proba (k,) or (1, k); image (h, w), or (h*w,) with image_shape (default: square)
    """
    Figure = _require_matplotlib()
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 2 and p.shape[0] == 1:
        p = p[0]
    if p.ndim != 1 or len(p) == 0:
        raise ValueError(f"proba must be one sample's (k,) probabilities; got shape {p.shape}")
    k, best = len(p), int(p.argmax())

    fig = Figure(figsize=(8, 3.2) if image is not None else (5.5, 3.2), layout="constrained")
    if image is not None:
        ax_image, ax = fig.subplots(1, 2, width_ratios=[1, 2])
        ax_image.imshow(_as_image(image, image_shape), cmap="gray_r")
        ax_image.set_axis_off()
    else:
        ax = fig.subplots()
    colors = [_WINNER if i == best else _OTHERS for i in range(k)]
    ax.bar(range(k), p, color=colors)
    ax.set_xticks(range(k))
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    if p.min() >= 0 and p.max() <= 1:
        ax.set_ylim(0, 1.12)  # room for the label of a bar at 1
    digits = PROBABILITY_DIGITS  # NOTE: as many decimals as `barenet predict` prints
    if k <= 12:  # NOTE: beyond that the labels overlap
        ax.bar_label(ax.containers[0], fmt=f"%.{digits}f", fontsize=7, padding=2)
    ax.set_title(f"predicted {best} (p = {p[best]:.{digits}f})")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


def _as_image(image: ArrayLike, image_shape: tuple[int, int] | None) -> NDArray[Any]:
    """A 2-D image from a 2-D array, or a flat one of image_shape (default: square)."""
    a = np.asarray(image)
    if a.ndim == 2 and image_shape is None:
        return a
    side = math.isqrt(a.size)
    shape = image_shape or (side, side)
    if a.size != math.prod(shape):
        raise ValueError(
            f"image has {a.size} values: give image_shape, or a 2-D image; expected {shape}"
        )
    return a.reshape(shape)


def decision_boundary(
    model: DeepNeuralNetwork,
    X: ArrayLike,
    y: ArrayLike,
    ax: Any = None,
    *,
    path: PathLike | None = None,
    resolution: int = 200,
) -> Figure:
    """The classic picture of a network on a plane: every point coloured by the class predicted
    there (paler where the network is less sure), the samples on top in their true class's
    colour. For a regression network with one input: the fitted curve over the data.

    Draws on ``ax`` when given (and returns its figure), else on a new figure.
    Shapes: classifiers X (n, 2), y (n,) labels or (n, k) one-hot; regression X (n, 1), y (n,)
    """
    Figure = _require_matplotlib()
    import matplotlib

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    d = model.layers[0].size
    if X.ndim != 2 or X.shape[1] != d or len(X) != len(y) or len(X) == 0:
        raise ValueError(
            f"X must be (n, {d}) for this network's {d} inputs, with one target per row in y; "
            f"got X {X.shape}, y {y.shape}"
        )
    regression = model.task == "regression"
    if regression and (d != 1 or model.layers[-1].size != 1):
        raise ValueError(
            f"decision_boundary draws regression networks with 1 input and 1 output; this one "
            f"maps {d} -> {model.layers[-1].size}"
        )
    if not regression and d != 2:
        raise ValueError(f"decision_boundary draws classifiers of 2 inputs; this one has {d}")
    if isinstance(resolution, bool) or not 2 <= int(resolution) <= 2000:
        raise ValueError(f"resolution must be in 2..2000 grid points; received {resolution!r}")
    resolution = int(resolution)
    if ax is None:
        fig = Figure(figsize=(6, 5), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.get_figure()
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.maximum(high - low, 1e-3)
    low, high = low - pad, high + pad

    if regression:
        grid = np.linspace(low[0], high[0], resolution)
        ax.scatter(X[:, 0], y.reshape(len(X), -1)[:, 0], s=10, alpha=0.6, label="data")
        ax.plot(grid, model.predict(grid[:, None]), color=_WINNER, lw=2, label="network")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"Fitted curve (R² {model.score(X, y):.3f})")
        ax.legend()
        ax.grid(alpha=0.3)
        return _finish(fig, path)

    labels = _labels(y, "y").astype(np.int64)
    gx, gy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    proba = model.predict_proba(np.column_stack([gx.ravel(), gy.ravel()]))
    if proba.shape[1] == 1:  # one sigmoid unit: P(class 1)
        proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
    k = max(proba.shape[1], int(labels.max()) + 1)
    palette = matplotlib.colormaps["tab10" if k <= 10 else "tab20"]
    colors = np.array([palette(i % palette.N)[:3] for i in range(k)])
    winner = proba.argmax(axis=1)
    # certainty 0 where all classes are equally likely, 1 where one class has it all
    certainty = (proba.max(axis=1) - 1.0 / proba.shape[1]) / (1.0 - 1.0 / proba.shape[1])
    strength = (0.1 + 0.35 * certainty)[:, None]
    image = 1.0 - strength * (1.0 - colors[winner])  # the class colour over white
    ax.imshow(
        image.reshape(resolution, resolution, 3),
        origin="lower",
        extent=(low[0], high[0], low[1], high[1]),
        aspect="auto",
        interpolation="nearest",
    )
    for c in range(k):
        mine = labels == c
        if mine.any():
            ax.scatter(
                *X[mine].T,
                s=14,
                color=colors[c],
                edgecolors="black",
                linewidths=0.4,
                label=f"class {c}",
            )
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"Decision boundary (accuracy {model.score(X, labels):.1%} on these points)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    return _finish(fig, path)


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
