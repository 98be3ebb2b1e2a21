"""The decision boundary of a network on a plane (or its fitted curve, for one input)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._figure import WINNER, PathLike, _finish, _labels, _require_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..network import DeepNeuralNetwork


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
        ax.plot(grid, model.predict(grid[:, None]), color=WINNER, lw=2, label="network")
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
