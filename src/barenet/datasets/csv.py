"""MNIST CSV files: Kaggle's "MNIST in CSV" and "Digit Recognizer" files, read closed and bounded.

The file is read in blocks of whole lines, so memory stays near the size of the result; a line
longer than a few rows is refused as soon as it is seen, with its line number. Only DataError
escapes. Also here: `write_submission`, Digit Recognizer's answer file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_write, open_bounded
from . import _base
from ._base import DataError, PathLike

_LONGEST_ROW = 785 * 4 + 1  # 785 cells of 3 digits and their separators, and a CR
_MAX_LINE = 16 * 1024  # about 5 rows: room for odd but valid spacing, refused beyond it
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
        with open_bounded(path, _base.MAX_FILE_BYTES, DataError, "CSV file") as (f, _):
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
                data = f.read(4 * _base._CHUNK)
                if data:
                    cut = data.rfind(b"\n") + 1
                    chunk, rest = (rest + data[:cut], data[cut:]) if cut else (b"", rest + data)
                else:  # end of file; the last line may lack its line end
                    chunk, rest = (rest + b"\n" if rest else b""), b""
                if chunk:
                    blocks.append(_csv_block(chunk, path, line, names, has_label))
                    line += len(blocks[-1])
                if len(rest) > _MAX_LINE:  # NOTE: at once, not after holding a huge line
                    raise DataError(_too_long(path, line, len(rest)))
                if not data:
                    break
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
        if len(row) > _MAX_LINE:
            raise DataError(_too_long(path, line + i, len(row)))
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


def _too_long(path: Path, line: int, n: int) -> str:
    return (
        f"{path}, line {line}: over {_MAX_LINE} bytes ({n} so far); "
        f"an MNIST row is at most {_LONGEST_ROW} bytes: not an MNIST CSV file"
    )


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
