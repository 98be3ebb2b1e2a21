"""What the MNIST readers share: their error, the size cap, the file names, the conversion.

Shapes: images (n, 28, 28) uint8, labels (n,) -> X (n, 784) float32 in [0, 1], y (n,) int64.
"""

from __future__ import annotations

import os

import numpy as np

from ..exceptions import ShortError

PathLike = str | os.PathLike[str]

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
MAX_FILE_BYTES = 2**32  # 4 GiB: MNIST's largest file is 47 MB, EMNIST's 640 MB
_CHUNK = 2**20


class DataError(ShortError):
    """A data file is missing or malformed; the message names the file and the position."""


def mnist_arrays(
    images: np.ndarray, labels: np.ndarray, src_x: str, src_y: str, label_offset: int = 0
) -> tuple:
    """Check raw MNIST images (n, 28, 28) uint8 and labels (n,), and convert them.

    `label_offset`: where the labels start in their file, for the byte offset in errors.

    Shapes: images (n, 28, 28), labels (n,) -> X (n, 784) float32, y (n,) int64
    """
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(
            f"{src_x}: expected uint8 images of shape (n, 28, 28), "
            f"found {images.dtype} of shape {images.shape[:8]}"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"{src_y}: expected integer labels of shape (n,), "
            f"found {labels.dtype} of shape {labels.shape[:8]}"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{src_x} holds {len(images)} images but {src_y} holds {len(labels)} labels"
        )
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        i = int(bad[0])
        at = f" (byte offset {label_offset + i * labels.itemsize})" if label_offset else ""
        raise DataError(f"{src_y}: label {labels[i]} at index {i}{at} is outside 0..9")
    X = np.divide(images.reshape(len(images), 784), 255, dtype=np.float32)
    return X, labels.astype(np.int64)
