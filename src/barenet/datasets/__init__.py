"""MNIST on disk: IDX, CSV and npz readers, and where `load_mnist()` looks for MNIST.

Formats read: IDX (raw or .gz, any IDX type code), the Kaggle "MNIST in CSV" files
(mnist_train.csv / mnist_test.csv), the Kaggle "Digit Recognizer" files (train.csv / test.csv),
and Keras' mnist.npz. Every malformed input raises DataError naming the file and the position.

`load_mnist()` looks in $BARENET_DATA, then in the cache (`cache_dir()`, where each file is checked
against its pinned sha256), and otherwise fetches the four IDX files with `fetch_mnist()`,
re-exported here from fetch.py. `python -m barenet.datasets fetch|info` fetches MNIST, or shows
what is cached: it runs `barenet data fetch|info` (barenet.cli.data, which does the printing).
The readers live in idx.py, csv.py and npz.py: each is closed (only DataError escapes, whatever
the bytes) and bounded (a regular file of at most MAX_FILE_BYTES, sizes in a header checked
against the file before anything is allocated).

Left out: downloading (fetch.py), other data sets, augmentation, batching (see training.py).

Shapes: X (n, 784) float32 in [0, 1], rows are images;  y (n,) int64 in 0..9.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import DataWarning, warn
from . import toy as toy  # barenet.datasets.toy: spiral, moons, ... (NumPy only)
from ._base import MAX_FILE_BYTES, MNIST_FILES, DataError, PathLike, mnist_arrays
from .csv import read_csv, write_submission
from .idx import read_idx
from .npz import read_npz

if TYPE_CHECKING:
    from ..fetch import fetch_mnist as fetch_mnist

__all__ = [
    "MAX_FILE_BYTES",
    "MNIST_FILES",
    "DataError",
    "cache_dir",
    "fetch_mnist",
    "load_mnist",
    "main",
    "read_csv",
    "read_idx",
    "read_npz",
    "write_submission",
]


def _load_idx(paths: Sequence[Path]) -> tuple:
    """(X_train, y_train, X_test, y_test) from the four IDX files, in MNIST_FILES order."""
    out: list[np.ndarray] = []
    for images, labels in (paths[:2], paths[2:]):
        y = read_idx(labels)
        out += mnist_arrays(read_idx(images), y, str(images), str(labels), 4 + 4 * y.ndim)
    return tuple(out)


# ------------------------------------------------------------------------------------- finding

_LOOKED_FOR = (
    "the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,"
    " t10k-labels-idx1-ubyte, each optionally .gz), or mnist_train.csv with mnist_test.csv,"
    " or mnist.npz"
)


def cache_dir() -> Path:
    """Directory that fetched data go to: $XDG_CACHE_HOME/barenet, else ~/.cache/barenet."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "barenet"


def load_mnist(
    path: PathLike | None = None, *, download: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as (X_train, y_train, X_test, y_test), from `path` or from where it is looked for.

    `path` is a directory holding the IDX files, mnist_train.csv + mnist_test.csv, or mnist.npz.
    With path=None: $BARENET_DATA, then `cache_dir()`, then `fetch_mnist()` if `download`.
    A directory of yours (`path`, $BARENET_DATA) is read as it is: it may hold any data in
    these formats. The cache is barenet's: only its four IDX files (raw or .gz) are read, each
    checked against its pinned sha256 (hashed once per change of the file, see
    `fetch.cached_sha256`). One that does not match is fetched again with a DataWarning, or,
    with download=False, refused with a DataError naming it.
    Shapes: -> X_train (60000, 784) float32 in [0, 1], y_train (60000,) int64,
               X_test (10000, 784), y_test (10000,)
    """
    if path is not None:
        directory = Path(path)
        if not directory.is_dir():
            raise DataError(f"{directory}: not a directory; expected one holding {_LOOKED_FOR}")
        found = _load_dir(directory)
        if found is None:
            raise DataError(_not_found(directory))
        return found
    env = os.environ.get("BARENET_DATA")
    tried = []
    if env:
        found = _load_dir(Path(env)) if Path(env).is_dir() else None
        if found is not None:
            return found
        tried.append(_not_found(Path(env)))
    from .. import fetch  # NOTE: not at the top: fetch.py imports this module

    cache = cache_dir()
    files, altered = _verified_cache(cache, fetch)
    if len(files) == len(MNIST_FILES):
        _passed_over(env, tried, cache)
        return _load_idx(files)
    if not download:
        if altered:
            raise DataError(
                f"{altered[0]}; download=False, so it is not fetched again: delete it, or run "
                "`barenet data fetch` (or `python -m barenet.datasets fetch`)"
            )
        tried.append(_not_found(cache))
        raise DataError(
            f"MNIST not found and download=False: {' '.join(tried)} "
            "Run `barenet data fetch` (or `python -m barenet.datasets fetch`), or set "
            "$BARENET_DATA to a directory holding it."
        )
    cache = fetch.fetch_mnist()  # warns about the altered files it fetches again
    _passed_over(env, tried, cache)
    return _load_idx([cache / name for name in MNIST_FILES])


def _passed_over(env: str | None, tried: list[str], cache: Path) -> None:
    """A DataWarning when $BARENET_DATA was set but held no MNIST, so that the cache's is used:
    a typo in it must not pass unnoticed."""
    if env and tried:
        warn(
            f"$BARENET_DATA is set, but {tried[0]} Loading MNIST from the cache ({cache}) instead.",
            DataWarning,
        )


def _verified_cache(cache: Path, fetch: Any) -> tuple[list[Path], list[str]]:
    """The cache's MNIST files whose sha256 is the pinned one, and why the others are not."""
    files, altered = [], []
    for file in _idx_paths(cache).values():
        why = fetch.altered(file, fetch.MNIST_SHA256[file.name])
        if why is None:
            files.append(file)
        else:
            altered.append(why)
    return files, altered


def _idx_paths(directory: Path) -> dict[str, Path]:
    found = {}
    for name in MNIST_FILES:
        for file in (directory / name, directory / f"{name}.gz"):
            if file.is_file():
                found[name] = file
                break
    return found


def _load_dir(directory: Path) -> tuple | None:
    """The first complete MNIST train/test pair in `directory`, or None if there is none."""
    idx = _idx_paths(directory)
    if len(idx) == len(MNIST_FILES):
        return _load_idx([idx[name] for name in MNIST_FILES])
    train_csv, test_csv = directory / "mnist_train.csv", directory / "mnist_test.csv"
    if train_csv.is_file() and test_csv.is_file():
        (X_train, y_train), (X_test, y_test) = read_csv(train_csv), read_csv(test_csv)
        for file, y in ((train_csv, y_train), (test_csv, y_test)):
            if y is None:
                raise DataError(f"{file}: has no label column; expected header 'label,1x1,...'")
        return X_train, y_train, X_test, y_test
    if (directory / "mnist.npz").is_file():
        return read_npz(directory / "mnist.npz")
    return None


def _not_found(directory: Path) -> str:
    """Why `directory` holds no usable MNIST pair, with a hint at what it does hold."""
    if not directory.is_dir():
        return f"{directory}: no such directory."
    why = f"{directory}: no MNIST train/test pair; looked for {_LOOKED_FOR}."
    idx = _idx_paths(directory)
    if idx:
        missing = [name for name in MNIST_FILES if name not in idx]
        why += f" Found {', '.join(p.name for p in idx.values())} but not {', '.join(missing)}."
    if (directory / "train.csv").is_file() or (directory / "test.csv").is_file():
        why += (
            " train.csv/test.csv are Kaggle Digit Recognizer files: their test.csv has no labels,"
            " so it cannot serve as a test set; read them with read_csv() instead."
        )
    return why


# ----------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m barenet.datasets fetch|info`; returns the exit status. It is the command
    line's `barenet data fetch|info` (`barenet.cli.data`, where the printing is)."""
    from ..cli.data import datasets_main

    return datasets_main(argv)


def __getattr__(name: str) -> Any:
    """`fetch_mnist`, imported from fetch.py on first use: fetch.py imports this module."""
    if name == "fetch_mnist":
        from ..fetch import fetch_mnist

        return fetch_mnist
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
