"""IDX files (raw, or gzip if the name ends in .gz), read closed and bounded.

Header: two zero bytes, a type code, the number of dimensions, then each dimension as a
big-endian uint32; the data follow in row-major order. The header's size is checked against the
file (raw) or against what a gzip file of that size can hold (at most ~1032:1) before the array
is allocated; only DataError escapes.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from math import prod
from pathlib import Path

import numpy as np

from .._files import open_bounded, read_into
from . import _base
from ._base import DataError, PathLike

_GZIP_MAX_RATIO = 1100  # deflate cannot expand more than ~1032:1
_IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_MAX_DIMS = 16


def read_idx(path: PathLike) -> np.ndarray:
    """Array stored in an IDX file (raw, or gzip if the name ends in .gz), native byte order.

    Raises DataError (naming the file and the byte) for a missing, unreadable, oversized or
    malformed file. Shapes: as stored, e.g. (60000, 28, 28) uint8 for MNIST images.
    """
    path = Path(path)
    zipped = path.name.endswith(".gz")
    try:
        with open_bounded(path, _base.MAX_FILE_BYTES, DataError, "IDX file") as (raw, size):
            f: io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if zipped else raw  # type: ignore[assignment]
            return _read_idx_stream(f, path, size, zipped)
    except (OSError, EOFError, zlib.error, struct.error) as exc:
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
    if zipped and offset + nbytes > min(_GZIP_MAX_RATIO * max(size, 1), _base.MAX_FILE_BYTES):
        raise DataError(
            f"{path}: {what}, more than a {size}-byte gzip file can hold "
            f"(or over the {_base.MAX_FILE_BYTES}-byte cap)"
        )
    data = np.empty(nbytes, np.uint8)
    done = read_into(f, data, 16 * _base._CHUNK)
    if done < nbytes:
        raise DataError(f"{path}: {what}, but the data end at byte {offset + done}")
    if f.read(1):
        raise DataError(f"{path}: {what}, but the data go on past byte {offset + nbytes}")
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)
