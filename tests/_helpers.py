"""Helpers shared by test_datasets.py and test_fetch.py: tiny MNIST-like IDX files, in memory."""

from __future__ import annotations

import ast
import hashlib
import struct
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IDX_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(arr: np.ndarray, code: int | None = None, shape: tuple | None = None) -> bytes:
    """IDX encoding of `arr`; `code` and `shape` override the header, to forge bad files."""
    arr = np.asarray(arr)
    code = IDX_CODES[arr.dtype.str[1:]] if code is None else code
    shape = arr.shape if shape is None else shape
    header = struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def tiny_mnist(seed: int = 0, n_train: int = 3, n_test: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        NAMES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        NAMES[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        NAMES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        NAMES[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def imports_outside_stdlib(module: ModuleType) -> set[str]:
    """Top-level absolute imports of `module` that are not in the standard library."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    top = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top |= {
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    return {name for name in top if name.split(".")[0] not in sys.stdlib_module_names}
