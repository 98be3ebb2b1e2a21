"""_files.py: the bounded-read gate every reader passes, and atomic writes."""

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from barenet._files import atomic_write, fcntl, open_bounded, read_bounded


class Refused(ValueError):
    pass


def test_read_bounded_returns_a_small_regular_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    assert read_bounded(path, 3, Refused) == b"abc"
    with open_bounded(path, 3, Refused) as (f, size):
        assert size == 3 and f.read() == b"abc"


def test_a_file_over_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:  # sparse: 1 GiB claimed, nothing written
        f.truncate(2**30)
    with pytest.raises(Refused, match=r"big\.bin: 1073741824 bytes; a model file is at most 10"):
        read_bounded(path, 10, Refused, "model file")


@pytest.mark.parametrize("target", ["/dev/zero", "dir"])
def test_devices_and_directories_are_not_regular_files(tmp_path, target):
    path = tmp_path if target == "dir" else target
    if target != "dir" and not os.path.exists(target):
        pytest.skip(f"{target} does not exist here")
    with pytest.raises(Refused, match="directory" if target == "dir" else "not a regular file"):
        read_bounded(path, 2**20, Refused)


def test_a_fifo_without_writer_is_refused_not_waited_on(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "pipe"
    os.mkfifo(path)
    with pytest.raises(Refused, match="not a regular file"):
        read_bounded(path, 2**20, Refused)


def test_a_missing_file_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_bounded(tmp_path / "missing", 10, Refused)


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW here")
def test_a_link_is_not_followed_when_asked_not_to(tmp_path):
    (tmp_path / "f.bin").write_bytes(b"abc")
    (tmp_path / "link").symlink_to(tmp_path / "f.bin")
    with open_bounded(tmp_path / "link", 3, Refused) as (f, _):
        assert f.read() == b"abc"
    with pytest.raises(OSError), open_bounded(tmp_path / "link", 3, Refused, follow_symlinks=False):
        pass
    with open_bounded(tmp_path / "f.bin", 3, Refused, follow_symlinks=False) as (f, _):
        assert f.read() == b"abc"


# ------------------------------------------------------------- atomic writes keep what was there


def write(path, data: bytes) -> None:
    with atomic_write(path) as f:
        f.write(data)


def test_writing_onto_a_symlink_replaces_the_file_it_points_to(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "real" / "model.bin"
    target.write_bytes(b"old")
    link = tmp_path / "links" / "model.bin"
    link.symlink_to(os.path.relpath(target, link.parent))  # relative, as `ln -s` makes them
    chain = tmp_path / "chain.bin"
    chain.symlink_to(link)
    write(chain, b"new")
    assert chain.is_symlink() and link.is_symlink() and not target.is_symlink()
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "chain.bin", "links", "model.bin", "model.bin", "real"
    ]  # fmt: skip
    dangling = tmp_path / "links" / "later.bin"
    dangling.symlink_to(tmp_path / "real" / "later.bin")
    write(dangling, b"made")
    assert dangling.is_symlink() and (tmp_path / "real" / "later.bin").read_bytes() == b"made"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_an_existing_files_permission_bits_are_kept(tmp_path, mode):
    path = tmp_path / "m.bin"
    path.write_bytes(b"old")
    path.chmod(mode)
    write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == mode and path.read_bytes() == b"new"


def test_a_new_file_gets_the_umasks_bits(tmp_path):
    old = os.umask(0o027)
    try:
        write(tmp_path / "m.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.bin").stat().st_mode) == 0o640


def part(tmp_path, name: str, age: float) -> Path:
    path = tmp_path / name
    path.write_bytes(b"half a file")
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def test_the_next_save_removes_the_part_files_killed_saves_left(tmp_path):
    stale = part(tmp_path, ".m.bin.0123abcd.part", age=60)
    young = part(tmp_path, ".m.bin.89abcdef.part", age=0)  # maybe a save that just began
    other = part(tmp_path, ".other.bin.0123abcd.part", age=60)  # another path's
    odd = part(tmp_path, ".m.bin.not-hex!.part", age=60)  # not our name pattern
    write(tmp_path / "m.bin", b"x")
    assert not stale.exists() and young.exists() and other.exists() and odd.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [young.name, other.name, odd.name, "m.bin"]
    )


@pytest.mark.skipif(fcntl is None, reason="no flock here")
def test_a_part_file_a_concurrent_save_is_writing_is_kept(tmp_path):
    busy = part(tmp_path, ".m.bin.0badcafe.part", age=60)  # old, but its writer is alive
    code = (
        "import fcntl, sys, time\n"
        f"f = open({str(busy)!r}, 'ab')\n"
        "fcntl.flock(f.fileno(), fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline() == "locked\n"
        write(tmp_path / "m.bin", b"x")
        assert busy.exists()
    finally:
        writer.communicate("")
    write(tmp_path / "m.bin", b"y")  # its writer is gone: now it is a killed save's
    assert not busy.exists()


def test_two_saves_of_one_path_at_once_both_succeed(tmp_path):
    path = tmp_path / "m.bin"
    with atomic_write(path) as first:
        first.write(b"first")
        own = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        os.utime(own[0], (time.time() - 60,) * 2)  # as if the first save were slow
        write(path, b"second")  # removes nothing the first save needs
        assert own[0].exists()
    assert path.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["m.bin"]
