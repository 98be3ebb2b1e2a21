"""Files in and out, for every module that touches one: atomic writes and bounded reads.

``atomic_write`` serves checkpoints, model files, submissions and downloads; ``open_bounded`` and
``read_bounded`` are the one gate every reader passes (regular file, size within a cap) before it
reads a byte. Left out: what goes into the files and how they are parsed (the readers' modules).
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


_STALE_SECONDS = 5.0  # a .part file this old, and not locked by its writer, is a killed save's


@contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a new file '.<name>.<random>.part' next to ``path``; on success fsync it and rename
    it to ``path``.

    The rename stays in one directory, so a crash leaves either the old file or the new one, never
    half of one. On any exception (KeyboardInterrupt included) the temporary file is removed and
    ``path`` is left as it was. What the user had is kept: when ``path`` is a symbolic link, the
    file it points to is replaced (the temporary file goes next to that file) and the link stays;
    an existing file's permission bits are copied to the new one (a new file gets the umask's).
    ``.part`` files that killed saves of this same path left behind are removed first (see
    ``_remove_stale_parts``).
    """
    target = Path(os.path.realpath(path))  # NOTE: through every link, to the file that is kept
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {os.fspath(path)}: the directory {target.parent} does not exist"
        )
    _remove_stale_parts(target)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)  # NOTE: 0o666 lets the umask decide, unlike mkstemp's 0o600
    try:
        with os.fdopen(fd, "wb") as f:
            _lock(f)
            if mode is not None:
                os.chmod(tmp, mode)
            yield f
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:
                os.replace(tmp, target)
        if fcntl is None:  # NOTE: Windows cannot rename a file that is still open
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _lock(f: IO[bytes]) -> None:
    """Hold an exclusive flock on ``f`` until it is closed (after the rename), so that a
    concurrent save of the same path sees its .part file is in use. Best effort: a file system
    without flock (some network mounts) only loses that protection."""
    if fcntl is not None:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass


def _remove_stale_parts(target: Path) -> None:
    """Remove the '.<name>.<8 hex>.part' files of ``target`` that killed saves left behind.

    A save in progress holds an exclusive ``flock`` on its .part file until the rename, so a
    .part file is removed only when its lock can be taken (its writer is gone) and it is older
    than ``_STALE_SECONDS`` (so that one just created, not yet locked, is never touched): a
    concurrent save of the same path, in this process or another, keeps its file. Without
    ``fcntl`` (Windows) the age alone decides; an open file cannot be removed there anyway.
    Failures are ignored: cleaning up never stops a save.
    """
    prefix, now = f".{target.name}.", time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".part")):
            continue
        middle = entry.name[len(prefix) : -len(".part")]
        if len(middle) != 8 or any(c not in "0123456789abcdef" for c in middle):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < _STALE_SECONDS:
                continue
            if fcntl is None:
                os.unlink(entry.path)
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: in use
                os.unlink(entry.path)
            finally:
                os.close(fd)
        except OSError:
            continue


# ------------------------------------------------------------------------------------- reading


@contextmanager
def open_bounded(
    path: str | os.PathLike[str],
    cap: int,
    error: Callable[[str], Exception],
    what: str = "file",
    *,
    follow_symlinks: bool = True,
) -> Iterator[tuple[IO[bytes], int]]:
    """Open ``path`` for reading if it is a regular file of at most ``cap`` bytes; yield
    (file, size). Every reader goes through here (or ``read_bounded``) before reading a byte.

    A directory, a device (``/dev/zero``), a pipe or a socket is refused with ``error(message)``,
    and so is a file larger than ``cap``, before anything is read: a reader never holds more
    than what a plain file of sane size can give it. ``OSError`` (missing file, no permission)
    escapes as it is. The message names the path, what was expected and what was found.
    ``follow_symlinks=False`` opens with O_NOFOLLOW where the system has it: a link as the last
    component is an OSError (ELOOP), for a caller that resolved and checked the path itself.
    """
    shown = os.fspath(path)
    # NOTE: O_NONBLOCK, so that opening a FIFO with no writer does not hang before fstat refuses it
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    if ("\0" if isinstance(shown, str) else b"\0") in shown:  # os.open: a bare ValueError
        raise error(f"{shown!r}: a file name cannot hold a NUL character")
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "is a directory" if stat.S_ISDIR(info.st_mode) else "is not a regular file"
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


def read_into(f: IO[bytes] | io.BufferedIOBase, array: np.ndarray, chunk: int = 2**24) -> int:
    """Fill ``array`` (C-contiguous) with the next bytes of ``f``, ``chunk`` bytes a read at
    most; the number of bytes read, less than ``array.nbytes`` when ``f`` ended first."""
    view, done = array.reshape(-1).view(np.uint8).data, 0
    while done < len(view):
        n = f.readinto(view[done : done + chunk])  # type: ignore[union-attr]
        if not n:
            break
        done += n
    return done


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
