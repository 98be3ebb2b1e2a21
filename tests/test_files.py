"""_files.py: the bounded-read gate every reader passes, and atomic writes."""

import os

import pytest

from barenet._files import open_bounded, read_bounded


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
