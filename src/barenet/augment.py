"""Data augmentation for images: new training samples made from old ones, per batch.

An augmentation is any function ``(X_batch, rng) -> X_batch`` passed to ``fit(augment=...)``;
``fit`` applies it to each training batch (never to validation data or at prediction time)
with its own seeded generator, so runs stay reproducible. Provided: ``random_shift``, which
moves each image by a few pixels, the classic way to teach an MLP that a digit is the same
digit a little to the left.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import Array


def random_shift(
    max_shift: int = 2, image_shape: tuple[int, int] = (28, 28)
) -> Callable[[Array, np.random.Generator], Array]:
    """An augmentation that shifts each image by whole pixels, up to ``max_shift`` in each
    direction independently, filling the uncovered border with zeros (MNIST's background).

    Shapes: X (n, height * width) -> (n, height * width)
    """
    height, width = image_shape
    if not 0 <= max_shift < min(height, width):
        raise ValueError(f"max_shift must be in [0, {min(height, width)}); received {max_shift}")

    def shift(X: Array, rng: np.random.Generator) -> Array:
        n = len(X)
        if X.shape[1] != height * width:
            raise ValueError(
                f"random_shift expects images of {height}x{width} = {height * width} pixels "
                f"per row; received {X.shape[1]}"
            )
        s = max_shift
        padded = np.zeros((n, height + 2 * s, width + 2 * s), dtype=X.dtype)
        padded[:, s : s + height, s : s + width] = X.reshape(n, height, width)
        dy, dx = rng.integers(-s, s + 1, size=(2, n))
        # output pixel (r, c) of image i is input pixel (r - dy_i, c - dx_i): a gather
        rows = (np.arange(height) + s)[None, :] - dy[:, None]  # (n, height)
        cols = (np.arange(width) + s)[None, :] - dx[:, None]  # (n, width)
        out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
        return out.reshape(n, height * width)

    return shift
