"""The safetensors format, read by hand: header, layout and tensor bytes, each checked first.

A safetensors file is an 8-byte little-endian header length n, n bytes of JSON (an object: each
tensor's dtype, shape and byte range in the data that follow, plus text ``__metadata__``), then
the tensors' bytes. This module reads it without the safetensors package, so that nothing but
the caller's error class escapes: the header is parsed with ``_json.loads_strict``, the byte
ranges must tile the data exactly (no overlap, no gap, nothing after the last tensor), and a
tensor is read only once its shape, dtype and range are known to be the ones expected, into an
array of exactly that size. Left out: what the tensors and metadata mean (``saving.py``), and
writing (the safetensors package does it).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from math import prod
from typing import IO, Any, NamedTuple

import numpy as np

from ._files import read_into
from ._json import loads_strict, shorten

MAX_HEADER = 4 * 2**20  # barenet's headers list a few dozen tensors: a few kilobytes
DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
KNOWN_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "F16", "BF16", "U32", "I32", "F32", "U64", "I64"}
KNOWN_DTYPES |= {"F64", "F8_E4M3", "F8_E5M2"}

Error = Callable[[str], Exception]


class Tensor(NamedTuple):
    """Where one tensor's bytes are in the data part of the file."""

    key: str
    shape: tuple[int, ...]
    begin: int
    end: int


def refuse_foreign(shown: str, head: bytes, error: Error) -> None:
    """Name the common wrong files instead of a generic parse error."""
    if head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q"):
        raise error(f"{shown}: a pickle file; barenet model files are never unpickled")
    if head[:4] == b"PK\x03\x04":
        raise error(
            f"{shown}: a zip/.npz file; barenet model files are safetensors "
            "(training checkpoints are .npz: resume them with fit(resume_from=...))"
        )
    if head[:6] == b"\x93NUMPY":
        raise error(f"{shown}: a .npy file; barenet model files are safetensors")


def read_header(f: IO[bytes], size: int, error: Error, shown: str) -> tuple[dict[str, Any], int]:
    """The JSON header of the file open as ``f`` (``size`` bytes), and where the data start."""
    head = f.read(8)
    if len(head) < 8:
        refuse_foreign(shown, head, error)
        raise error(f"{shown}: truncated ({len(head)} bytes; a header needs 8 or more)")
    (n,) = struct.unpack("<Q", head)
    # NOTE: a valid header's length can start with any byte (0x80 too, like a pickle), so the
    # common wrong files are named only when the length and the "{" do not make a header
    raw = f.read(n) if n <= min(size - 8, MAX_HEADER) else b""
    if raw[:1] != b"{":
        refuse_foreign(shown, head, error)
        if n > size - 8:
            raise error(
                f"{shown}: the header claims {n} bytes but the file holds {size - 8} after its "
                "length field: truncated or not a safetensors file"
            )
        if n > MAX_HEADER:
            raise error(f"{shown}: a header of {n} bytes; at most {MAX_HEADER} are read")
        if len(raw) != n:
            raise error(f"{shown}: changed while being read")
        raise error(f"{shown}: not a safetensors file (its header does not start with '{{')")
    header = loads_strict(raw, error, f"{shown}: the safetensors header")
    if not isinstance(header, dict):
        raise error(f"{shown}: not a safetensors file (its header is not a JSON object)")
    return header, 8 + n


def check_layout(
    header: dict[str, Any],
    expected: dict[str, tuple[str, tuple[int, ...]]],
    body: int,
    error: Error,
    shown: str,
) -> list[Tensor]:
    """Check the tensors of ``header`` against ``expected`` (key -> dtype code, shape) and
    their byte ranges against the ``body`` bytes after the header; return them in file order.

    The ranges must tile [0, body) exactly: every byte belongs to exactly one tensor.
    """
    if sorted(header) != sorted(expected):
        raise error(
            f"{shown}: tensors {shorten(sorted(header), 150)} do not match the architecture's "
            f"{shorten(sorted(expected), 150)}"
        )
    tensors = []
    for key, (code, shape) in expected.items():
        info = header[key]
        bad = f"{shown}: tensor {key}: bad entry {shorten(info)}"
        if not isinstance(info, dict) or sorted(info) != ["data_offsets", "dtype", "shape"]:
            raise error(f"{bad}; expected keys dtype, shape, data_offsets")
        found, dims, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not (isinstance(dims, list) and all(type(d) is int and d >= 0 for d in dims)):
            raise error(f"{bad}; its shape must be a list of whole numbers")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise error(f"{bad}; data_offsets must be [begin, end] with 0 <= begin <= end")
        if not isinstance(found, str) or found not in KNOWN_DTYPES:
            raise error(f"{bad}; dtype {shorten(found)} is not a safetensors dtype")
        if found != code or tuple(dims) != shape:
            want = DTYPES[code].name
            raise error(
                f"{shown}: tensor {key} is {found} {shorten(dims)}; the architecture needs "
                f"{want} {list(shape)}"
            )
        begin, end = offsets
        if end - begin != prod(shape) * DTYPES[code].itemsize or end > body:
            raise error(
                f"{shown}: tensor {key} claims bytes {begin}..{end} of {body}: truncated or corrupt"
            )
        tensors.append(Tensor(key, shape, begin, end))
    tensors.sort(key=lambda t: (t.begin, t.end))
    at = 0
    for t in tensors:
        if t.begin < at:
            raise error(f"{shown}: tensor {t.key} (bytes {t.begin}..{t.end}) overlaps another")
        if t.begin > at:
            raise error(f"{shown}: {t.begin - at} unclaimed bytes before tensor {t.key}")
        at = t.end
    if at != body:
        raise error(f"{shown}: {body - at} bytes after the last tensor: corrupt or not ours")
    return tensors


def read_tensors(
    f: IO[bytes], tensors: list[Tensor], dtypes: dict[str, np.dtype[Any]], error: Error, shown: str
) -> dict[str, np.ndarray]:
    """Read ``tensors`` (from ``check_layout``) from ``f``, positioned at the data, as native
    writeable arrays of ``dtypes[key]``."""
    out = {}
    for t in tensors:
        array = np.empty(t.shape, dtypes[t.key].newbyteorder("<"))
        if read_into(f, array) < array.nbytes:
            raise error(f"{shown}: changed while being read (tensor {t.key} is cut short)")
        out[t.key] = array.astype(dtypes[t.key].newbyteorder("="), copy=False)
    if f.read(1):
        raise error(f"{shown}: changed while being read (it grew)")
    return out
