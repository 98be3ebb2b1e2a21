"""Tests for barenet.datasets: tiny generated files in tmp_path; fetching goes to a local server.

Nothing here touches the network; test_real_mnist_from_cache reads the real MNIST if it is cached.
The IDX writers are in _helpers.py, the server and `isolated` in conftest.py; fetch_mnist's own
tests are in test_fetch.py.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _helpers import NAMES, idx_bytes, imports_outside_stdlib, sha256, tiny_mnist
from barenet import DataWarning, datasets, fetch
from barenet.datasets import (
    DataError,
    cache_dir,
    load_mnist,
    main,
    read_csv,
    read_idx,
    read_npz,
    write_submission,
)

pytestmark = pytest.mark.usefixtures("isolated")

HEADER_RC = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
HEADER_PIXELS = ",".join(f"pixel{i}" for i in range(784))
HEADERS = {"mnist": HEADER_RC, "train": "label," + HEADER_PIXELS, "test": HEADER_PIXELS}


# ------------------------------------------------------------------------------------- helpers


def write_idx_set(directory: Path, arrays: dict[str, np.ndarray], gz: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        data = idx_bytes(arr)
        (directory / (name + ".gz" if gz else name)).write_bytes(
            gzip.compress(data) if gz else data
        )
    return directory


def csv_bytes(images: np.ndarray, labels: np.ndarray | None, header: str = "mnist") -> bytes:
    """CSV text of (n, 28, 28) images, with labels first unless `header` is 'test'."""
    rows = []
    for i, img in enumerate(images.reshape(len(images), 784).tolist()):
        rows.append(",".join(map(str, ([int(labels[i])] if labels is not None else []) + img)))
    return (HEADERS[header] + "\n" + "\n".join(rows) + "\n").encode()


def tiny_sums(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """The pinned checksums, as if `arrays` were the real MNIST (raw and .gz names)."""
    raw = {name: sha256(idx_bytes(a)) for name, a in arrays.items()}
    return raw | {f"{name}.gz": digest for name, digest in raw.items()}


def data_files(directory: Path) -> list[str]:
    """The files in `directory`, but the cache's checksum stamp."""
    return sorted(p.name for p in directory.iterdir() if p.name != fetch.STAMP)


def as_X(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), 784).astype(np.float32) / np.float32(255)


# ----------------------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", ">i4", ">f4", ">f8"])
def test_read_idx_round_trips_every_type_code(tmp_path, dtype, gz):
    rng = np.random.default_rng(1)
    arr = (rng.standard_normal((2, 3, 4)) * 100).astype(dtype)
    path = tmp_path / ("x.idx.gz" if gz else "x.idx")
    path.write_bytes(gzip.compress(idx_bytes(arr)) if gz else idx_bytes(arr))
    out = read_idx(path)
    assert out.dtype == arr.dtype.newbyteorder("=") and out.dtype.isnative
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


def test_read_idx_one_dimension_and_empty(tmp_path):
    (tmp_path / "a").write_bytes(idx_bytes(np.arange(5, dtype=np.uint8)))
    (tmp_path / "b").write_bytes(idx_bytes(np.zeros((0, 28, 28), np.uint8)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), np.arange(5))
    assert read_idx(tmp_path / "b").shape == (0, 28, 28)


GOOD = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file ends at byte 0, inside the 4-byte IDX header"),
        (b"\x00\x00", "file ends at byte 2, inside the 4-byte IDX header"),
        (b"\x01\x00" + GOOD[2:], "bytes 0-1 are 0100, expected 0000"),
        (b"\x1f\x8b\x08\x00" + GOOD[4:], "not an IDX file \\(or a gzip file without .gz"),
        (b"\x00\x00\x0a\x01" + GOOD[4:], "byte 2 is type code 0x0A, expected one of 0x08"),
        (b"\x00\x00\x08\x00", "byte 3 says 0 dimensions, expected 1..16"),
        (b"\x00\x00\x08\x11" + bytes(68), "byte 3 says 17 dimensions"),
        (GOOD[:9], "file ends at byte 9, inside the dimension sizes"),
        (GOOD[:-1], "implies 18 bytes, but the file has 17 bytes"),
        (GOOD + b"\x00", "implies 18 bytes, but the file has 19 bytes"),
        (b"\x00\x00\x08\x03" + struct.pack(">3I", 4_000_000_000, 28, 28) + bytes(1000), "the file"),
    ],
)
def test_read_idx_rejects_bad_raw_files(tmp_path, data, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(DataError, match=re.escape(str(path)) + ": .*" + message):
        read_idx(path)


def test_read_idx_refuses_a_huge_gzip_header_before_allocating(tmp_path):
    path = tmp_path / "huge.gz"
    header = b"\x00\x00\x08\x03" + struct.pack(">3I", 4_000_000_000, 28, 28)
    path.write_bytes(gzip.compress(header + bytes(1000)))
    with pytest.raises(DataError, match=r"implies 3136000000016 bytes, more than a \d+-byte gzip"):
        read_idx(path)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda gz: gz[: len(gz) // 2], "corrupt or truncated gzip data"),
        (lambda gz: gz[:10] + bytes(len(gz) - 10), "corrupt or truncated gzip data"),
        (lambda gz: b"not gzip at all", "corrupt or truncated gzip data"),
        (lambda gz: b"", "file ends at byte 0, inside the 4-byte IDX header"),
        (lambda gz: gzip.compress(GOOD + bytes(5)), "data go on past byte 18"),
        (lambda gz: gzip.compress(GOOD[:-2]), "data end at byte 16"),
    ],
    ids=["truncated", "corrupt", "not-gzip", "empty", "too-long", "too-short"],
)
def test_read_idx_rejects_bad_gzip(tmp_path, mangle, message):
    path = tmp_path / "bad.gz"
    path.write_bytes(mangle(gzip.compress(GOOD)))
    with pytest.raises(DataError, match=re.escape(str(path)) + ": .*" + message):
        read_idx(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope: cannot read"):
        read_idx(tmp_path / "nope")


@pytest.mark.parametrize("reader", [read_idx, read_csv, read_npz])
def test_readers_refuse_devices_directories_and_oversized_files(tmp_path, monkeypatch, reader):
    with pytest.raises(DataError, match="is a directory"):
        reader(tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(DataError, match="/dev/zero: is not a regular file"):
            reader("/dev/zero")
    path = tmp_path / ("big.csv" if reader is read_csv else "big")
    with open(path, "wb") as f:  # sparse: 8 GiB claimed, nothing written
        f.truncate(8 * 2**30)
    with pytest.raises(DataError, match=r"8589934592 bytes; a \w+ file is at most 4294967296"):
        reader(path)
    monkeypatch.setattr(datasets._base, "MAX_FILE_BYTES", 10)
    path.write_bytes(GOOD if reader is read_idx else b"x" * 11)
    with pytest.raises(DataError, match="is at most 10 bytes, so it is not read"):
        reader(path)


def test_read_idx_gzip_declaring_more_than_the_cap(tmp_path, monkeypatch):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((10, 28, 28), np.uint8))))
    monkeypatch.setattr(datasets._base, "MAX_FILE_BYTES", 5000)
    with pytest.raises(DataError, match=r"implies 7856 bytes, more than .*5000-byte cap"):
        read_idx(path)


# --------------------------------------------------------------------------------- load (IDX)


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_load_mnist_from_idx_directory(tmp_path, gz):
    arrays = tiny_mnist()
    X, y, X_test, y_test = load_mnist(write_idx_set(tmp_path / "d", arrays, gz=gz))
    assert X.shape == (3, 784) and X.dtype == np.float32 and X.flags.c_contiguous
    assert y.dtype == np.int64 and X_test.shape == (2, 784) and y_test.shape == (2,)
    np.testing.assert_array_equal(X, as_X(arrays[NAMES[0]]))
    np.testing.assert_array_equal(y, arrays[NAMES[1]])
    np.testing.assert_array_equal(X_test, as_X(arrays[NAMES[2]]))
    assert 0.0 <= X.min() and X.max() <= 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {NAMES[1]: np.zeros(2, np.uint8)},
            "holds 3 images but .*labels-idx1-ubyte holds 2 labels",
        ),
        ({NAMES[0]: np.zeros((3, 27, 28), np.uint8)}, r"images of shape \(n, 28, 28\), found"),
        ({NAMES[0]: np.zeros((3, 28, 28), np.int16)}, "expected uint8 images .* found int16"),
        (
            {NAMES[3]: np.array([1, 10], np.uint8)},
            r"label 10 at index 1 \(byte offset 9\) is outside",
        ),
        ({NAMES[1]: np.zeros((3, 1), np.uint8)}, r"expected integer labels of shape \(n,\)"),
    ],
)
def test_load_mnist_rejects_mismatched_idx(tmp_path, change, message):
    directory = write_idx_set(tmp_path / "d", {**tiny_mnist(), **change})
    with pytest.raises(DataError, match=message):
        load_mnist(directory)


def test_load_mnist_explains_what_it_looked_for(tmp_path):
    with pytest.raises(DataError, match=r"no MNIST train/test pair; looked for the four IDX .*npz"):
        load_mnist(tmp_path)
    (tmp_path / NAMES[0]).write_bytes(b"")
    with pytest.raises(DataError, match="Found train-images-idx3-ubyte but not train-labels"):
        load_mnist(tmp_path)
    with pytest.raises(DataError, match="not a directory"):
        load_mnist(tmp_path / NAMES[0])


def test_load_mnist_refuses_digit_recognizer_files(tmp_path):
    images = tiny_mnist()[NAMES[0]]
    (tmp_path / "train.csv").write_bytes(csv_bytes(images, np.arange(3), "train"))
    (tmp_path / "test.csv").write_bytes(csv_bytes(images, None, "test"))
    with pytest.raises(DataError, match=r"Digit Recognizer .* no labels.*read_csv"):
        load_mnist(tmp_path)


# ----------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("header", ["mnist", "train", "test"])
def test_read_csv_reads_each_format(tmp_path, header):
    arrays = tiny_mnist()
    images, labels = arrays[NAMES[0]], arrays[NAMES[1]]
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes(images, None if header == "test" else labels, header))
    X, y = read_csv(path)
    assert X.shape == (3, 784) and X.dtype == np.float32 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, as_X(images))
    if header == "test":
        assert y is None
    else:
        assert y is not None and y.dtype == np.int64
        np.testing.assert_array_equal(y, labels)


def test_read_csv_accepts_bom_crlf_one_row_and_no_final_newline(tmp_path):
    images = tiny_mnist()[NAMES[0]][:1]
    text = csv_bytes(images, np.array([7]))
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n")[:-2])
    X, y = read_csv(path)
    assert X.shape == (1, 784)
    np.testing.assert_array_equal(X, as_X(images))
    np.testing.assert_array_equal(y, [7])


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_read_csv_well_formed_files_never_need_the_slow_scan(tmp_path, monkeypatch, newline):
    def slow(*args):
        raise AssertionError("slow scan used")

    monkeypatch.setattr(datasets.csv, "_csv_scan", slow)
    arrays = tiny_mnist()
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes(arrays[NAMES[0]], arrays[NAMES[1]]).replace(b"\n", newline))
    np.testing.assert_array_equal(read_csv(path)[0], as_X(arrays[NAMES[0]]))


def test_read_csv_slow_path_parses_odd_but_valid_cells(tmp_path):
    # '007' and ' 12 ' fail the fast path's 1-to-3-digit rule and are parsed line by line
    cells = ["3", "0007", " 12 "] + ["0"] * 781 + ["255"]
    path = tmp_path / "x.csv"
    path.write_text(HEADER_RC + "\n" + ",".join(cells) + "\n")
    X, y = read_csv(path)
    np.testing.assert_array_equal(X[0, :3] * 255, [7, 12, 0])
    assert X[0, -1] == 1.0 and y.tolist() == [3]


def test_read_csv_across_many_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets._base, "_CHUNK", 300)  # 1200-byte blocks: rows straddle them
    arrays = tiny_mnist(n_train=9)
    images, labels = arrays[NAMES[0]], arrays[NAMES[1]]
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes(images, labels))
    X, y = read_csv(path)
    np.testing.assert_array_equal(X, as_X(images))
    np.testing.assert_array_equal(y, labels)
    lines = path.read_bytes().split(b"\n")
    lines[8] = lines[8][:2] + b"x" + lines[8][lines[8].index(b",", 2) :]
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError, match=r"x.csv, line 9, column 2 \(1x1\): expected a pixel"):
        read_csv(path)


def bad_row(cells_at: dict[int, str]) -> str:
    cells = ["1"] + ["0"] * 784
    for j, text in cells_at.items():
        cells[j] = text
    return ",".join(cells)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (bad_row({}) + ",0", "line 3: expected 785 fields, found 786"),
        (bad_row({})[2:], "line 3: expected 785 fields, found 784"),
        ("", "line 3: expected 785 fields, found 1"),
        (
            bad_row({5: "1.5"}),
            r"line 3, column 6 \(1x5\): expected a pixel value 0..255, found '1.5'",
        ),
        (bad_row({5: ""}), r"line 3, column 6 \(1x5\): .* found an empty cell"),
        (bad_row({784: "256"}), r"line 3, column 785 \(28x28\): .*0..255, found '256'"),
        (bad_row({9: "1234"}), r"line 3, column 10 \(1x9\): .*found '1234'"),
        (bad_row({2: "-1"}), r"line 3, column 3 \(1x2\): .*found '-1'"),
        (bad_row({1: "1e3"}), r"line 3, column 2 \(1x1\): .*found '1e3'"),
        (bad_row({0: "10"}), r"line 3, column 1 \(label\): expected a label 0..9, found '10'"),
        (bad_row({0: "x"}), r"line 3, column 1 \(label\): expected a label 0..9, found 'x'"),
    ],
)
def test_read_csv_rejects_bad_rows(tmp_path, row, message):
    path = tmp_path / "mnist_train.csv"
    path.write_text(HEADER_RC + "\n" + bad_row({}) + "\n" + row + "\n" + bad_row({}) + "\n")
    with pytest.raises(DataError, match=re.escape(str(path)) + ", " + message):
        read_csv(path)


def test_read_csv_refuses_a_huge_line_at_once(tmp_path):
    import tracemalloc

    path = tmp_path / "mnist_train.csv"
    with open(path, "wb") as f:
        f.write((HEADER_RC + "\n" + bad_row({}) + "\n").encode())
        f.write(b"1," * (20 * 2**20))  # a 40 MB third line, no line end
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"line 3: over 16384 bytes \(\d+ so far\); an MNIST"):
            read_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 24 * 2**20  # a few 4 MiB blocks, not 13x the line
    path.write_text(HEADER_RC + "\n" + bad_row({}) + "\n" + "1," * 10_000 + "\n")
    with pytest.raises(DataError, match="line 3: over 16384 bytes"):  # a long line inside a block
        read_csv(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"line 1: expected a header 'label,1x1,...,28x28' \(MNIST in CSV\), .*found ''"),
        ("a,b,c\n1,2,3\n", r"line 1: expected a header .*'pixel0,...,pixel783'.*found 'a,b,c'"),
        (HEADER_RC.replace("1x2", "1x3") + "\n", "line 1: expected a header"),
        (HEADER_RC + "\n", r"no data rows after the header \(line 1\)"),
        (HEADER_RC + "\r\n", "no data rows"),
    ],
)
def test_read_csv_rejects_bad_headers(tmp_path, text, message):
    path = tmp_path / "x.csv"
    path.write_text(text, newline="")
    with pytest.raises(DataError, match=re.escape(str(path)) + ".*" + message):
        read_csv(path)


def test_load_mnist_from_csv_pair(tmp_path):
    arrays = tiny_mnist()
    (tmp_path / "mnist_train.csv").write_bytes(csv_bytes(arrays[NAMES[0]], arrays[NAMES[1]]))
    (tmp_path / "mnist_test.csv").write_bytes(csv_bytes(arrays[NAMES[2]], arrays[NAMES[3]]))
    _, y, X_test, _ = load_mnist(str(tmp_path))
    np.testing.assert_array_equal(X_test, as_X(arrays[NAMES[2]]))
    np.testing.assert_array_equal(y, arrays[NAMES[1]])
    (tmp_path / "mnist_test.csv").write_bytes(csv_bytes(arrays[NAMES[2]], None, "test"))
    with pytest.raises(DataError, match=r"mnist_test\.csv: has no label column"):
        load_mnist(tmp_path)


def test_write_submission(tmp_path):
    path = tmp_path / "out" / "submission.csv"
    path.parent.mkdir()
    path.write_text("old")
    write_submission(path, np.array([3, 0, 9]))
    assert path.read_bytes() == b"ImageId,Label\n1,3\n2,0\n3,9\n"
    assert [p.name for p in path.parent.iterdir()] == ["submission.csv"]
    for labels, message in [([[1]], "1-D integer"), ([1.0], "1-D integer"), ([10], "0..9")]:
        with pytest.raises(ValueError, match=message):
            write_submission(path, labels)
    assert path.read_bytes().startswith(b"ImageId")


def test_write_submission_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "out" / "submission.csv"
    path.parent.mkdir()
    path.write_text("old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_submission(path, [1, 2])
    assert path.read_text() == "old" and len(list(path.parent.iterdir())) == 1


# ----------------------------------------------------------------------------------------- npz


def keras_npz(path: Path, **change) -> Path:
    arrays = tiny_mnist()
    keys = {"x_train": NAMES[0], "y_train": NAMES[1], "x_test": NAMES[2], "y_test": NAMES[3]}
    contents = {k: arrays[name] for k, name in keys.items()} | change
    np.savez(path, **{k: v for k, v in contents.items() if v is not None})
    return path


def test_read_npz_and_load_mnist(tmp_path):
    arrays = tiny_mnist()
    keras_npz(tmp_path / "mnist.npz")
    X, y, X_test, y_test = read_npz(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(X, as_X(arrays[NAMES[0]]))
    np.testing.assert_array_equal(y_test, arrays[NAMES[3]])
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(load_mnist(tmp_path)[2], X_test)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y_test": None}, r"missing arrays \['y_test'\]; it holds \['x_test', 'x_train'"),
        ({"x_train": np.zeros((3, 784), np.uint8)}, r"\[x_train\]: expected uint8 images .*784"),
        ({"x_test": np.zeros((2, 28, 28))}, r"\[x_test\]: expected uint8 images .*float64"),
        ({"y_train": np.array([1, 2, 11])}, r"\[y_train\]: label 11 at index 2 is outside 0..9"),
        ({"y_train": np.array([1, 2])}, r"\[x_train\] holds 3 images but .*\[y_train\] holds 2"),
        ({"y_test": np.array([1, None])}, r"member 'y_test\.npy': holds Python objects; pickles"),
    ],
)
def test_read_npz_rejects_bad_contents(tmp_path, change, message):
    path = keras_npz(tmp_path / "mnist.npz", **change)
    with pytest.raises(DataError, match=re.escape(str(path)) + ".*" + message):
        read_npz(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"not an \.npz \(zip\) archive; it starts with b''"),
        (b"PK\x03\x04 truncated", "not a complete zip archive"),
        (b"\x93NUMPY nonsense", r"a \.npy file \(one array\), not an \.npz archive"),
    ],
)
def test_read_npz_rejects_unreadable_files(tmp_path, data, message):
    path = tmp_path / "mnist.npz"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"mnist\.npz: " + message):
        read_npz(path)


def test_read_npz_is_closed_for_hostile_archives(tmp_path):
    import io
    import zipfile

    path = tmp_path / "mnist.npz"
    np.save(tmp_path / "x.npy", np.zeros(3))
    path.write_bytes((tmp_path / "x.npy").read_bytes())
    with pytest.raises(DataError, match=r"mnist\.npz: a \.npy file \(one array\)"):
        read_npz(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("x_train.npy", b"x")
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match=r"member 'x_train\.npy': compression method 12"):
        read_npz(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("x_train.npy", b"\x93NUMPY\x01\x00" + b"garbage")
        z.writestr("notes.txt", b"hello")
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match=r"member 'notes\.txt': not a \.npy array"):
        read_npz(path)


# ------------------------------------------------------------------------------- where MNIST is


def test_load_mnist_looks_in_barenet_data_then_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "MNIST_SHA256", tiny_sums(tiny_mnist(n_train=4)))
    assert cache_dir() == tmp_path / "xdg" / "barenet"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "barenet"
    write_idx_set(cache_dir(), tiny_mnist(n_train=4))
    assert len(load_mnist(download=False)[0]) == 4
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "data"))
    with pytest.warns(DataWarning, match="BARENET_DATA is set, but .*data: no such directory"):
        assert len(load_mnist(download=False)[0]) == 4  # no such directory: on to the cache
    (tmp_path / "data").mkdir()
    with pytest.warns(DataWarning, match="BARENET_DATA is set, but .*no MNIST train/test pair"):
        assert len(load_mnist(download=False)[0]) == 4  # empty: on to the cache
    write_idx_set(tmp_path / "data", tiny_mnist(n_train=5), gz=True)
    assert len(load_mnist(download=False)[0]) == 5


def test_load_mnist_without_data_or_download(tmp_path, monkeypatch):
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "data"))
    with pytest.raises(DataError, match=r"download=False: .*data: no such directory.*xdg.*fetch"):
        load_mnist(download=False)


# ---------------------------------------------------------------------------------- fetching


def test_load_mnist_downloads_into_the_cache(monkeypatch, mirrors, sums):
    monkeypatch.setattr(fetch, "MIRRORS", (mirrors["good"],))
    monkeypatch.setattr(fetch, "MNIST_SHA256", sums)
    X = load_mnist()[0]
    assert X.shape == (40, 784) and data_files(cache_dir()) == sorted(NAMES)


def test_an_altered_cached_file_is_refused_or_fetched_again(monkeypatch, mirrors, sums, tiny_raw):
    monkeypatch.setattr(fetch, "MIRRORS", (mirrors["good"],))
    monkeypatch.setattr(fetch, "MNIST_SHA256", sums)
    load_mnist()
    labels = cache_dir() / NAMES[1]
    data = bytearray(labels.read_bytes())
    data[-1] = (data[-1] + 1) % 10  # one wrong label: a valid IDX file, silently wrong before
    labels.write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"{re.escape(str(labels))}: sha256 is .*not the pinned"):
        load_mnist(download=False)
    with pytest.warns(DataWarning, match=f"{NAMES[1]}: sha256 is .*altered or is corrupt"):
        y = load_mnist()[1]
    assert labels.read_bytes() == tiny_raw[NAMES[1]]
    np.testing.assert_array_equal(y, np.frombuffer(tiny_raw[NAMES[1]][8:], np.uint8))


def test_a_users_own_directory_is_not_hashed(tmp_path, monkeypatch):
    def no_hash(path):
        raise AssertionError(f"hashed {path}")

    monkeypatch.setattr(fetch, "_sha256", no_hash)
    write_idx_set(tmp_path / "mine", tiny_mnist(n_train=7))
    assert len(load_mnist(tmp_path / "mine")[0]) == 7
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "mine"))
    assert len(load_mnist(download=False)[0]) == 7


# ----------------------------------------------------------------------------------------- CLI


def test_cli_info_and_fetch(monkeypatch, capsys, mirrors, sums, tmp_path):
    monkeypatch.setenv("BARENET_DATA", "/some/where")
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"cache: {cache_dir()}" in out and "BARENET_DATA: /some/where" in out
    assert out.count(" missing") == 4

    assert main(["fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not fetch") and err.count("\n") == 1

    monkeypatch.setattr(fetch, "MIRRORS", (mirrors["good"],))
    monkeypatch.setattr(fetch, "MNIST_SHA256", sums)
    assert main(["fetch"]) == 0
    assert capsys.readouterr().out == f"MNIST is in {cache_dir()}\n"
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert main(["info"]) == 0  # tiny files: present, but not the real MNIST
    assert capsys.readouterr().out.count("sha256 MISMATCH") == 4


def test_module_imports_only_the_standard_library_and_numpy():
    assert imports_outside_stdlib(datasets) == {"numpy"}


def test_module_runs_as_a_script():
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "barenet.datasets", "info"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("cache: "), done.stderr


def test_a_failed_fetch_as_a_script_is_one_line_not_a_traceback():
    # `python -m barenet.datasets fetch` offline: opening a URL fails, and there is no npm on PATH
    code = (
        "import runpy, sys, urllib.request\n"
        "def offline(*args, **kwargs): raise OSError('offline')\n"
        "urllib.request.OpenerDirector.open = offline\n"
        "sys.argv[1:] = ['fetch']\n"
        "runpy.run_module('barenet.datasets', run_name='__main__', alter_sys=True)\n"
    )
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("error: could not fetch"), done.stderr
    assert done.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------- real MNIST


@pytest.mark.mnist
def test_real_mnist_from_cache(mnist):
    X, y, X_test, y_test = mnist
    assert X.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y.shape == (60000,) and y_test.shape == (10000,)
    assert X.dtype == X_test.dtype == np.float32 and y.dtype == y_test.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0 and 0.1 < X.mean() < 0.15
    for labels in (y, y_test):
        counts = np.bincount(labels, minlength=10)
        assert len(counts) == 10 and counts.min() > 0.08 * len(labels)
    assert np.bincount(y_test).tolist()[:2] == [980, 1135]
