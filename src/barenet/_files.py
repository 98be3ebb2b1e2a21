"""Files in and out, for every module that touches one: atomic writes and bounded reads.

``atomic_write`` serves checkpoints, model files, submissions and downloads; ``open_bounded`` and
``read_bounded`` are the one gate every reader passes (regular file, size within a cap) before it
reads a byte. Left out: what goes into the files and how they are parsed (the readers' modules).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a new file '.<name>.<random>.part' next to ``path``; on success fsync it and rename
    it to ``path``.

    The rename stays in one directory, so a crash leaves either the old file or the new one, never
    half of one. On any exception (KeyboardInterrupt included) the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the directory {path.parent} does not exist")
    fd = os.open(tmp, flags, 0o666)  # NOTE: 0o666 lets the umask decide, unlike mkstemp's 0o600
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------- reading


@contextmanager
def open_bounded(
    path: str | os.PathLike[str], cap: int, error: Callable[[str], Exception], what: str = "file"
) -> Iterator[tuple[IO[bytes], int]]:
    """Open ``path`` for reading if it is a regular file of at most ``cap`` bytes; yield
    (file, size). Every reader goes through here (or ``read_bounded``) before reading a byte.

    A directory, a device (``/dev/zero``), a pipe or a socket is refused with ``error(message)``,
    and so is a file larger than ``cap``, before anything is read: a reader never holds more
    than what a plain file of sane size can give it. ``OSError`` (missing file, no permission)
    escapes as it is. The message names the path, what was expected and what was found.
    """
    shown = os.fspath(path)
    # NOTE: O_NONBLOCK, so that opening a FIFO with no writer does not hang before fstat refuses it
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise error(f"{shown}: {kind}; expected a {what}")
        if info.st_size > cap:
            raise error(
                f"{shown}: {info.st_size} bytes; a {what} is at most {cap} bytes, so it is not read"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f, info.st_size


def read_bounded(
    path: str | os.PathLike[str], cap: int, error: Callable[[str], Exception], what: str = "file"
) -> bytes:
    """The whole content of the regular file ``path``, at most ``cap`` bytes (see ``open_bounded``).

    A file that grows while it is read is refused too: never more than the size first seen.
    """
    with open_bounded(path, cap, error, what) as (f, size):
        data = f.read(size + 1)
    if len(data) != size:
        raise error(f"{os.fspath(path)}: changed while being read ({size} bytes, then {len(data)})")
    return data
