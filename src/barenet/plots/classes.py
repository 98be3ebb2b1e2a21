"""How a classifier does: the confusion matrix of a test set, one sample's probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..reports import PROBABILITY_DIGITS
from ._figure import OTHERS, WINNER, PathLike, _as_image, _finish, _require_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    colors = [WINNER if i == best else OTHERS for i in range(k)]
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
