"""MNIST on disk: IDX, CSV and npz readers, and where `load_mnist()` looks for MNIST.

Formats read: IDX (raw or .gz, any IDX type code), the Kaggle "MNIST in CSV" files
(mnist_train.csv / mnist_test.csv), the Kaggle "Digit Recognizer" files (train.csv / test.csv),
and Keras' mnist.npz. Every malformed input raises DataError naming the file and the position.

`load_mnist()` looks in $BARENET_DATA, then in the cache (`cache_dir()`), and otherwise fetches the
four IDX files with `fetch_mnist()`, re-exported here from fetch.py. `python -m barenet.datasets
fetch|info` fetches MNIST, or shows what is cached.

Left out: downloading (fetch.py), other data sets, augmentation, batching (see training.py).

Shapes: X (n, 784) float32 in [0, 1], rows are images;  y (n,) int64 in 0..9.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._files import atomic_write
from . import toy as toy  # barenet.datasets.toy: spiral, moons, ... (NumPy only)

if TYPE_CHECKING:
    from ..fetch import fetch_mnist as fetch_mnist

PathLike = str | os.PathLike[str]

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_GZIP_MAX_RATIO = 1100  # deflate cannot expand more than ~1032:1
_CHUNK = 2**20
_IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_MAX_DIMS = 16


class DataError(ValueError):
    """A data file is missing or malformed; the message names the file and the position."""


# ----------------------------------------------------------------------------------------- IDX


def read_idx(path: PathLike) -> np.ndarray:
    """Array stored in an IDX file (raw, or gzip if the name ends in .gz), native byte order.

    Header: two zero bytes, a type code, the number of dimensions, then each dimension as a
    big-endian uint32; the data follow in row-major order.
    Shapes: as stored, e.g. (60000, 28, 28) uint8 for MNIST images.
    """
    path = Path(path)
    zipped = path.name.endswith(".gz")
    try:
        with open(path, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            f: io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if zipped else raw
            return _read_idx_stream(f, path, size, zipped)
    except (OSError, EOFError, zlib.error) as exc:
        if not zipped or isinstance(exc, FileNotFoundError):
            raise DataError(f"{path}: cannot read: {exc}") from exc
        raise DataError(f"{path}: corrupt or truncated gzip data: {exc}") from exc


def _read_idx_stream(f: io.BufferedIOBase, path: Path, size: int, zipped: bool) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4:
        raise DataError(f"{path}: file ends at byte {len(magic)}, inside the 4-byte IDX header")
    if magic[0] != 0 or magic[1] != 0:
        raise DataError(
            f"{path}: bytes 0-1 are {magic[:2].hex()}, expected 0000: not an IDX file"
            + (" (or a gzip file without .gz in its name)" if magic[:2] == b"\x1f\x8b" else "")
        )
    if magic[2] not in _IDX_TYPES:
        codes = ", ".join(f"0x{c:02X}" for c in _IDX_TYPES)
        raise DataError(f"{path}: byte 2 is type code 0x{magic[2]:02X}, expected one of {codes}")
    dtype, ndim = np.dtype(_IDX_TYPES[magic[2]]), magic[3]
    if not 1 <= ndim <= _IDX_MAX_DIMS:
        raise DataError(f"{path}: byte 3 says {ndim} dimensions, expected 1..{_IDX_MAX_DIMS}")
    head = f.read(4 * ndim)
    if len(head) < 4 * ndim:
        raise DataError(f"{path}: file ends at byte {4 + len(head)}, inside the dimension sizes")
    shape = tuple(int.from_bytes(head[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    offset, nbytes = 4 + 4 * ndim, prod(shape) * dtype.itemsize
    what = f"header (shape {shape}, {dtype.name}) implies {offset + nbytes} bytes"
    # NOTE: compare sizes before allocating, so a lying header cannot ask for terabytes.
    if not zipped and size != offset + nbytes:
        raise DataError(f"{path}: {what}, but the file has {size} bytes")
    if zipped and offset + nbytes > _GZIP_MAX_RATIO * max(size, 1):
        raise DataError(f"{path}: {what}, more than a {size}-byte gzip file can hold")
    data = np.empty(nbytes, np.uint8)
    view, done = data.data, 0
    while done < nbytes:
        n = f.readinto(view[done : done + 16 * _CHUNK])
        if not n:
            raise DataError(f"{path}: {what}, but the data end at byte {offset + done}")
        done += n
    if zipped and f.read(1):
        raise DataError(f"{path}: {what}, but the data go on past byte {offset + nbytes}")
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _mnist_arrays(
    images: np.ndarray, labels: np.ndarray, src_x: str, src_y: str, label_offset: int = 0
) -> tuple:
    """Check raw MNIST images (n, 28, 28) uint8 and labels (n,), and convert them.

    `label_offset`: where the labels start in their file, for the byte offset in errors.

    Shapes: images (n, 28, 28), labels (n,) -> X (n, 784) float32, y (n,) int64
    """
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(
            f"{src_x}: expected uint8 images of shape (n, 28, 28), "
            f"found {images.dtype} of shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"{src_y}: expected integer labels of shape (n,), "
            f"found {labels.dtype} of shape {labels.shape}"
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


def _load_idx(paths: Sequence[Path]) -> tuple:
    """(X_train, y_train, X_test, y_test) from the four IDX files, in MNIST_FILES order."""
    out: list[np.ndarray] = []
    for images, labels in (paths[:2], paths[2:]):
        y = read_idx(labels)
        out += _mnist_arrays(read_idx(images), y, str(images), str(labels), 4 + 4 * y.ndim)
    return tuple(out)


# ----------------------------------------------------------------------------------------- CSV

_PIXELS_RC = ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
_PIXELS_N = ",".join(f"pixel{i}" for i in range(784))
_CSV_HEADERS = {  # header -> (has a label column, description)
    "label," + _PIXELS_RC: (True, "'label,1x1,...,28x28' (MNIST in CSV)"),
    "label," + _PIXELS_N: (True, "'label,pixel0,...,pixel783' (Digit Recognizer train.csv)"),
    _PIXELS_N: (False, "'pixel0,...,pixel783' (Digit Recognizer test.csv)"),
}


def read_csv(path: PathLike) -> tuple[np.ndarray, np.ndarray | None]:
    """Images and labels from an MNIST CSV file; labels are None for Digit Recognizer's test.csv.

    Each row is an optional label 0..9 and 784 pixels 0..255. Accepted headers:
    'label,1x1,...,28x28' (MNIST in CSV), 'label,pixel0,...,pixel783' and 'pixel0,...,pixel783'
    (Digit Recognizer).
    A UTF-8 BOM and CRLF line ends are accepted.
    Shapes: -> X (n, 784) float32 in [0, 1], y (n,) int64 or None
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            header = f.readline(max(map(len, _CSV_HEADERS)) + 8).removeprefix(b"\xef\xbb\xbf")
            text = header.rstrip(b"\r\n").decode("ascii", "replace")
            if text not in _CSV_HEADERS:
                accepted = ", ".join(desc for _, desc in _CSV_HEADERS.values())
                found = repr(text[:40] + "...") if len(text) > 40 else repr(text)
                raise DataError(f"{path}, line 1: expected a header {accepted}; found {found}")
            has_label = _CSV_HEADERS[text][0]
            names = text.split(",")
            blocks, line, rest = [], 2, b""
            while True:  # blocks of whole lines, so memory stays near the size of the result
                data = f.read(4 * _CHUNK)
                if data:
                    cut = data.rfind(b"\n") + 1
                    chunk, rest = (rest + data[:cut], data[cut:]) if cut else (b"", rest + data)
                else:  # end of file; the last line may lack its line end
                    chunk, rest = (rest + b"\n" if rest else b""), b""
                if not chunk:
                    if not data:
                        break
                    continue
                blocks.append(_csv_block(chunk, path, line, names, has_label))
                line += len(blocks[-1])
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    if not blocks:
        raise DataError(f"{path}: no data rows after the header (line 1)")
    n, start = sum(len(b) for b in blocks), int(has_label)
    X = np.empty((n, 784), np.float32)
    i = 0
    for b in blocks:
        np.divide(b[:, start:], 255, out=X[i : i + len(b)], dtype=np.float32)
        i += len(b)
    y = np.concatenate([b[:, 0] for b in blocks]).astype(np.int64) if has_label else None
    return X, y


def _csv_block(chunk: bytes, path: Path, line: int, names: list[str], has_label: bool) -> Any:
    """Rows of `chunk` (whole lines, the first being `line`) as uint8, label first if any.

    Vectorized: every cell must be 1 to 3 digits between ',' or '\\n'. Anything else, or a value
    out of range, goes to the line-by-line scan, which parses odd but valid cells (spaces, leading
    zeros) and otherwise reports the first bad line and column.
    Shapes: -> (rows, len(names)) uint8
    """
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n")
    rows, cols = chunk.count(b"\n"), len(names)
    a = np.frombuffer(b"\n\n\n" + chunk, np.uint8)  # 3 separators first: no edge cases below
    d = a - np.uint8(48)  # digit values; ',' and '\n' wrap around to > 9
    digit = d <= 9
    ends = np.flatnonzero(~digit)[3:]  # each cell ends at a ',' or '\n'
    if ends.size == rows * cols:
        seps = a[ends].reshape(rows, cols)
        two = digit[:-1] & digit[1:]
        if (
            (seps[:, :-1] == 44).all()
            and (seps[:, -1] == 10).all()
            and (digit[2:-1] | digit[3:]).all()  # no empty cell
            and not (two[:-2] & two[2:]).any()  # no cell of 4 or more digits
        ):
            # NOTE: the cell ending at p is d[p-3:p], its hundreds digit counts if d[p-2] is a digit
            np.multiply(d, digit, out=d)
            v = d[1:-2] * np.uint16(10)
            v += d[2:-1]
            v += d[:-3] * two[1:-1] * np.uint16(100)
            v = v[ends - 3].reshape(rows, cols)
            if v.max() <= 255 and (not has_label or v[:, 0].max() <= 9):
                return v.astype(np.uint8)
    return _csv_scan(chunk, path, line, names, has_label)


def _csv_scan(chunk: bytes, path: Path, line: int, names: list[str], has_label: bool) -> Any:
    out = np.empty((chunk.count(b"\n"), len(names)), np.uint8)
    for i, row in enumerate(chunk.split(b"\n")[:-1]):
        where = f"{path}, line {line + i}"
        cells = row.split(b",")
        if len(cells) != len(names):
            raise DataError(f"{where}: expected {len(names)} fields, found {len(cells)}")
        for j, cell in enumerate(cells):
            top, kind = (9, "a label") if has_label and j == 0 else (255, "a pixel value")
            s = cell.strip()
            if not s.isdigit() or int(s) > top:
                found = "an empty cell" if not s else repr(cell.decode("ascii", "replace"))
                raise DataError(
                    f"{where}, column {j + 1} ({names[j]}): expected {kind} 0..{top}, found {found}"
                )
            out[i, j] = int(s)
    return out


def write_submission(path: PathLike, labels: Iterable[int] | np.ndarray) -> None:
    """Write Digit Recognizer predictions as 'ImageId,Label' rows, ImageId from 1, atomically.

    Shapes: labels (n,) integers 0..9
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-D integer array, got {y.dtype} of shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"labels must be in 0..9, got values from {y.min()} to {y.max()}")
    text = "ImageId,Label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(y.tolist(), 1))
    with atomic_write(path) as f:
        f.write(text.encode("ascii"))


# ----------------------------------------------------------------------------------------- npz


def read_npz(path: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST from Keras' mnist.npz (x_train, y_train, x_test, y_test; x as (n, 28, 28) uint8).

    Shapes: -> X_train (n, 784), y_train (n,), X_test (m, 784), y_test (m,)
    """
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DataError(f"{path}: missing arrays {missing}; it holds {sorted(npz.files)}")
            arrays = {k: npz[k] for k in keys}
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a readable npz file of numeric arrays: {exc}") from exc
    out: list[np.ndarray] = []
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        out += _mnist_arrays(arrays[x], arrays[y], f"{path}[{x}]", f"{path}[{y}]")
    return out[0], out[1], out[2], out[3]


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
    for directory in ([Path(env)] if env else []) + [cache_dir()]:
        found = _load_dir(directory) if directory.is_dir() else None
        if found is not None:
            return found
        tried.append(_not_found(directory))
    if not download:
        raise DataError(
            f"MNIST not found and download=False: {' '.join(tried)} "
            "Run `python -m barenet.datasets fetch` or set $BARENET_DATA to a directory holding it."
        )
    from ..fetch import fetch_mnist  # NOTE: not at the top: fetch.py imports this module

    cache = fetch_mnist()
    return _load_idx([cache / name for name in MNIST_FILES])


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
    """`python -m barenet.datasets fetch|info`; returns the exit status."""
    from ..fetch import MNIST_SHA256, _sha256, fetch_mnist

    parser = argparse.ArgumentParser(
        prog="python -m barenet.datasets", description="Fetch MNIST, or show what is cached."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download MNIST into the cache (quick if already there)")
    commands.add_parser("info", help="show the cache directory, its files and $BARENET_DATA")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(f"MNIST is in {fetch_mnist()}")
            return 0
        cache = cache_dir()
        print(f"cache: {cache}")
        for name in MNIST_FILES:
            file = cache / name
            if not file.is_file():
                print(f"  {name:<24} missing")
                continue
            ok = "sha256 ok" if _sha256(file) == MNIST_SHA256[name] else "sha256 MISMATCH"
            print(f"  {name:<24} {file.stat().st_size:>10} bytes  {ok}")
        env = os.environ.get("BARENET_DATA")
        print(f"BARENET_DATA: {env}" if env else "BARENET_DATA: not set")
        return 0
    except (DataError, OSError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1


def __getattr__(name: str) -> Any:
    """`fetch_mnist`, imported from fetch.py on first use: fetch.py imports this module."""
    if name == "fetch_mnist":
        from ..fetch import fetch_mnist

        return fetch_mnist
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
