"""Writing files atomically, for every module that writes one: checkpoints, submissions, downloads.

Left out: what goes into the files, and reading them back (checkpoints.py, datasets.py, fetch.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
