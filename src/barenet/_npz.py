""".npz archives read closed and bounded, for checkpoints and Keras' mnist.npz.

``np.load`` trusts the archive: it raises whatever zipfile or the .npy parser raises (TypeError,
NotImplementedError, RuntimeError, ...) and allocates what a member's header declares. ``read_npz``
checks everything first, from the sizes the archive declares: the central directory's size, each
member's name, encryption flag, compression method and uncompressed size, then each .npy header's
dtype and shape against that size; only then is a member read, into an array of exactly that
size. Pickled (object) arrays are never read. Every refusal is ``error(message)``; ``OSError``
from the file itself escapes as it is. Left out: what the arrays mean (the callers).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from math import prod
from typing import IO

import numpy as np

from ._files import read_into
from ._json import shorten

MAX_MEMBERS = 4096  # a checkpoint holds a few per layer; mnist.npz holds 4
_MAX_DIRECTORY = 2**20  # the zip's table of contents: about 100 bytes per member
_MAX_NPY_HEADER = 10_000  # NumPy's own limit for a .npy header
_END = b"PK\x05\x06"  # end of central directory record, 22 bytes plus a comment
_END64_LOCATOR = b"PK\x06\x07"
# NOTE: errors zipfile and NumPy's .npy parser raise on hostile bytes, beyond OSError
_PARSE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    SyntaxError,
    struct.error,
    NotImplementedError,
    RuntimeError,
)


class _Refused(Exception):
    """A refusal inside a member, raised past the handler of zipfile's and NumPy's errors."""


def read_npz(
    f: IO[bytes],
    size: int,
    error: Callable[[str], Exception],
    shown: str,
    *,
    max_bytes: int,
    kinds: str = "biuf",
) -> dict[str, np.ndarray]:
    """Every array of the .npz archive open as ``f`` (``size`` bytes), by name without '.npy'.

    ``max_bytes`` caps the sum of the members' declared sizes; ``kinds`` lists the dtype kinds
    accepted ('b' bool, 'i' int, 'u' uint, 'f' float, 'U' text). Arrays come back writeable, in
    native byte order. Raises ``error(message)`` naming ``shown`` for anything else.
    """
    head = f.read(4)
    if head[:4] == b"\x93NUM":
        raise error(f"{shown}: a .npy file (one array), not an .npz archive")
    if head not in (b"PK\x03\x04", _END):
        raise error(f"{shown}: not an .npz (zip) archive; it starts with {shorten(head)}")
    _check_directory(f, size, error, shown)
    f.seek(0)
    try:
        archive = zipfile.ZipFile(f)
    except _PARSE_ERRORS as err:
        raise error(f"{shown}: not a readable .npz archive ({shorten(err, 120)})") from None
    with archive:
        infos, total = archive.infolist(), 0
        if len(infos) > MAX_MEMBERS:
            raise error(f"{shown}: {len(infos)} members; at most {MAX_MEMBERS} are read")
        seen: set[str] = set()
        for info in infos:
            where = f"{shown}, member {shorten(info.filename)}"
            if info.filename in seen:
                raise error(f"{where}: appears twice in the archive")
            seen.add(info.filename)
            if not info.filename.endswith(".npy"):
                raise error(f"{where}: not a .npy array")
            if info.flag_bits & 0x1:
                raise error(f"{where}: encrypted; barenet reads only plain .npz archives")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise error(
                    f"{where}: compression method {info.compress_type}; "
                    "np.savez and np.savez_compressed write 0 (stored) or 8 (deflate)"
                )
            total += info.file_size
            if total > max_bytes:
                raise error(
                    f"{shown}: its members declare more than {max_bytes} bytes in all; "
                    "not read (is it the file you meant?)"
                )
        arrays = {}
        for info in infos:
            where = f"{shown}, member {shorten(info.filename)}"
            try:
                with archive.open(info) as member:
                    arrays[info.filename[:-4]] = _read_npy(member, info.file_size, kinds, where)
            except _Refused as err:
                raise error(str(err)) from None
            except _PARSE_ERRORS as err:
                raise error(f"{where}: unreadable ({shorten(err, 120)})") from None
    return arrays


def _read_npy(f: IO[bytes], size: int, kinds: str, where: str) -> np.ndarray:
    """One .npy member of ``size`` bytes; the header's shape and dtype must account for them."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, _MAX_NPY_HEADER)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, _MAX_NPY_HEADER)
    else:
        raise _Refused(
            f"{where}: .npy format version {version}; versions (1, 0) and (2, 0) are read"
        )
    if dtype.hasobject:
        raise _Refused(f"{where}: holds Python objects; pickles are never read")
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise _Refused(
            f"{where}: dtype {shorten(dtype.str)}; expected a plain array of kind {kinds!r}"
        )
    if dtype.itemsize == 0:  # NOTE: '<U0' or '|S0': no bytes per element, yet numpy allocates
        raise _Refused(f"{where}: dtype {shorten(dtype.str)} has elements of 0 bytes")
    left = size - f.tell()
    if prod(shape) * dtype.itemsize != left:
        raise _Refused(
            f"{where}: its header says {dtype.str} {shorten(shape)}, "
            f"{prod(shape) * dtype.itemsize} bytes, but {left} follow"
        )
    array = np.empty(shape[::-1] if fortran else shape, dtype)
    done = read_into(f, array)
    if done < left:
        raise _Refused(f"{where}: ends after {done} of {left} data bytes")
    if f.read(1):  # NOTE: also makes zipfile check the CRC at the end of the member
        raise _Refused(f"{where}: more bytes than its header declares")
    if fortran:
        array = array.T
    return array.astype(dtype.newbyteorder("="), copy=False)


def _check_directory(
    f: IO[bytes], size: int, error: Callable[[str], Exception], shown: str
) -> None:
    """Refuse a zip whose table of contents claims to be huge, before zipfile parses it.

    zipfile builds a Python object per entry of the central directory: about 8x the bytes the
    directory takes, so a hostile directory is refused by its declared size first.
    """
    tail = min(size, 22 + 0xFFFF)
    f.seek(size - tail)
    data = f.read(tail)
    # NOTE: as zipfile does: a record without comment at the very end first, else the last one
    at = len(data) - 22 if data[-22:-18] == _END and data[-2:] == b"\0\0" else data.rfind(_END)
    if at < 0 or len(data) - at < 22:
        raise error(f"{shown}: not a complete zip archive (no end record: truncated?)")
    entries, directory = struct.unpack_from("<HI", data, at + 10)
    if at >= 20 and data[at - 20 : at - 16] == _END64_LOCATOR:  # a zip64 archive
        (offset,) = struct.unpack_from("<Q", data, at - 12)
        if offset <= size - 56:
            f.seek(offset)
            record = f.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack_from("<QQ", record, 32)
    if entries > MAX_MEMBERS or directory > _MAX_DIRECTORY:
        raise error(
            f"{shown}: its table of contents claims {entries} members in {directory} bytes; "
            f"at most {MAX_MEMBERS} members in {_MAX_DIRECTORY} bytes are read"
        )
