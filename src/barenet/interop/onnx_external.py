"""Tensor values kept beside an ONNX file (a TensorProto's ``external_data``), read bounded.

``torch.onnx.export(..., dynamo=True)`` and ``onnx.save_model(..., save_as_external_data=True)``
write each large tensor's bytes to a sibling file (``NAME.onnx.data`` by default) and leave in the
model only where they are, as string pairs:

    location = "m.onnx.data", offset = "50176" (default 0), length = "640" (default: to the end)

``ExternalData.read`` takes those bytes back the way a careful loader does, refusing with the
caller's error (``ModelFileError``), naming the tensor and the location, whatever is not so:

- ``location`` is a plain file name (no directory part, no ``..``, no drive, no NUL) in the model
  file's own directory, and stays there after links are followed; the file is then opened without
  following links, so a link swapped in after the check is refused too;
- the file passes the bounded gate (regular file, at most ``cap`` bytes), opened once per file;
- ``offset`` and ``length`` are decimal integers, ``length`` is the tensor's declared size (the
  product of its dims times the item size, checked before the file is even opened) and the range
  lies within the file; the ranges of different tensors never overlap, and all the tensors read
  from outside together hold at most ``cap`` bytes;
- ``checksum``, when present, is the SHA-1 of the whole file, as onnx.proto defines it;
- any other key (onnx's own ``basepath`` included) is refused.

Each tensor is read with one seek and one read into an array of the checked size; nothing is
mapped into memory. Left out: writing external data (barenet's ``to_onnx`` writes one file).
"""

from __future__ import annotations

import hashlib
import io
import os
from bisect import bisect_right
from collections.abc import Callable
from contextlib import ExitStack
from math import prod
from typing import Any, cast

import numpy as np

from .._files import open_bounded

_KEYS = ("location", "offset", "length", "checksum")


class _DataFile:
    """One opened external data file: its size, the ranges read from it so far, its SHA-1."""

    def __init__(self, f: io.BufferedIOBase, size: int) -> None:
        self.f, self.size = f, size
        self.starts: list[int] = []  # sorted; ends[i] and names[i] belong to starts[i]
        self.ends: list[int] = []
        self.names: list[str] = []
        self.sha1: str | None = None

    def overlap(self, start: int, end: int) -> str | None:
        """The tensor whose range meets [start, end), if any (ranges are kept sorted)."""
        i = bisect_right(self.starts, start)
        if i > 0 and self.ends[i - 1] > start:
            return self.names[i - 1]
        if i < len(self.starts) and self.starts[i] < end:
            return self.names[i]
        return None

    def claim(self, start: int, end: int, name: str) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        self.names.insert(i, name)

    def digest(self) -> str:
        if self.sha1 is None:
            sha1 = hashlib.sha1(usedforsecurity=False)
            self.f.seek(0)
            for chunk in iter(lambda: self.f.read(2**20), b""):
                sha1.update(chunk)
            self.sha1 = sha1.hexdigest()
        return self.sha1


class ExternalData:
    """The external data files of one model file, opened as tensors ask for them; a context
    manager that closes them all.

    ``error(message)`` makes the exception raised (the message already names the model file);
    ``cap`` bounds each data file and the bytes of all external tensors together.
    """

    def __init__(self, model_path: str, cap: int, error: Callable[[str], Exception]) -> None:
        self.model_path, self.cap, self.error = model_path, cap, error
        self.folder = os.path.realpath(os.path.dirname(os.path.abspath(model_path)))
        self.files: dict[str, _DataFile] = {}  # by resolved path
        self.by_inode: dict[tuple[int, int], _DataFile] = {}  # two names of one file share ranges
        self.total = 0
        self._stack = ExitStack()

    def __enter__(self) -> ExternalData:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def refuse(self, why: str) -> Exception:
        return self.error(f"{self.model_path}: {why}")

    def read(self, t: Any, dtype: np.dtype[Any], where: str) -> np.ndarray:
        """The values of the TensorProto ``t`` (data_location EXTERNAL), shaped by its dims.

        ``where`` names the tensor in messages; its dims were checked (non-negative, at most 2).
        """
        entries: dict[str, str] = {}
        for entry in t.external_data:
            if entry.key in entries:
                raise self.refuse(f"{where}: external data key {entry.key[:100]!r} is given twice")
            entries[entry.key] = entry.value
        if "location" not in entries:
            raise self.refuse(f"{where}: its data is external but no 'location' says where")
        location = entries["location"]
        where = f"{where} in {location[:200]!r}"
        for key in entries:
            if key not in _KEYS:
                raise self.refuse(
                    f"{where}: external data key {key[:100]!r} is not read; "
                    f"expected only {list(_KEYS)}"
                )
        if t.raw_data or any(
            len(getattr(t, f)) for f in ("float_data", "double_data", "int64_data")
        ):
            raise self.refuse(f"{where}: values both in the model file and in another file")
        offset = self._integer(entries, "offset", where)
        length = self._integer(entries, "length", where)
        n = prod(int(d) for d in t.dims)  # NOTE: the caller refused 0 and negative dimensions
        need = n * dtype.itemsize
        if length is not None and length != need:
            raise self.refuse(
                f"{where}: {n} {dtype.name} values need {need} bytes, external data says {length}"
            )
        data = self._open(location, where)
        start = 0 if offset is None else offset
        end = start + need
        if end > data.size:
            raise self.refuse(
                f"{where}: bytes {start} to {end} ({n} {dtype.name} values) lie beyond the file, "
                f"which holds {data.size} bytes"
            )
        if length is None and end != data.size:
            raise self.refuse(
                f"{where}: without a length the values run from byte {start} to the end, "
                f"{data.size}, but {n} {dtype.name} values need {need} bytes"
            )
        self.total += need
        if self.total > self.cap:
            raise self.refuse(
                f"{where}: external tensors of more than {self.cap} bytes in all; not read"
            )
        other = data.overlap(start, end)
        if other is not None:
            raise self.refuse(f"{where}: bytes {start} to {end} overlap those of {other}")
        data.claim(start, end, where)
        if "checksum" in entries:
            expected = entries["checksum"].lower()
            if len(expected) != 40 or any(c not in "0123456789abcdef" for c in expected):
                raise self.refuse(f"{where}: checksum {expected[:100]!r} is not a SHA-1 hex digest")
            if data.digest() != expected:
                raise self.refuse(
                    f"{where}: the file's SHA-1 is {data.digest()}, its checksum says {expected}"
                )
        values = np.empty(n, dtype=dtype)
        data.f.seek(start)
        got = data.f.readinto(values.data.cast("B"))
        if got != need:
            raise self.refuse(f"{where}: {need} bytes expected, {got} read: the file changed")
        return values.reshape(list(t.dims))

    def _integer(self, entries: dict[str, str], key: str, where: str) -> int | None:
        if key not in entries:
            return None
        value = entries[key]
        # NOTE: int() alone would take "-1", " 1", "1_0", non-ASCII digits and raise on 5000 digits
        if not 0 < len(value) <= 20 or any(c not in "0123456789" for c in value):
            raise self.refuse(f"{where}: {key} {value[:100]!r} is not a non-negative integer")
        return int(value)

    def _open(self, location: str, where: str) -> _DataFile:
        """The opened file named ``location`` next to the model file, checked as the module says."""
        plain = (
            location not in ("", ".", "..")
            and not any(c in location for c in "/\\:\0")
            and not os.path.isabs(location)
        )
        if not plain:
            raise self.refuse(
                f"{where}: the location must be a plain file name next to the model file "
                "(no directory, no '..', no drive, no NUL)"
            )
        resolved = os.path.realpath(os.path.join(self.folder, location))
        if os.path.dirname(resolved) != self.folder:
            raise self.refuse(
                f"{where}: a link to {resolved}, outside {self.folder}, the model file's "
                "directory; keep the data file itself next to the model file"
            )
        if resolved in self.files:
            return self.files[resolved]
        try:
            f, size = self._stack.enter_context(
                open_bounded(
                    resolved,
                    self.cap,
                    lambda why: self.refuse(f"{where}: {why}"),
                    "file of external tensor data",
                    follow_symlinks=False,
                )
            )
            inode = os.fstat(f.fileno())
        except OSError as err:
            raise self.refuse(
                f"{where}: cannot open {resolved} ({err.strerror or err}); the data file must be "
                "next to the model file, under the name the model gives"
            ) from None
        # NOTE: open_bounded's file is os.fdopen(fd, "rb"): buffered, with readinto
        data = _DataFile(cast(io.BufferedIOBase, f), size)
        data = self.by_inode.setdefault((inode.st_dev, inode.st_ino), data)
        self.files[resolved] = data
        return data
