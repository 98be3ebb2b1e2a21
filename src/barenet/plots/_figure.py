"""What every plot shares: matplotlib imported on demand, the PNG writer, label and image
helpers, the grid of image panels."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._files import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100  # pixels per inch of the saved PNGs: a (w, h) inch figure is (w * DPI, h * DPI) pixels
PathLike = str | os.PathLike[str]
WINNER, OTHERS = "tab:orange", "tab:blue"


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
