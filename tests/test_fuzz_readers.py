"""Hostile input for every file reader: whatever the bytes, only the reader's own error escapes.

Each reader is seeded with a valid small file and fed structured mutations of it: byte flips,
insertions, deletions and truncations aimed mostly at the header, integers written over the
fields that declare sizes, dimensions and offsets, and, for the JSON and .npy headers, values
swapped for hostile ones (huge numbers, deep nesting, wrong types, duplicate keys). The reader
may accept a mutated file that is still valid; it may refuse it with its documented error
(ModelFileError, CheckpointError, DataError) or OSError, in at most 500 characters; anything else
fails the test. The hypothesis profile (tests/conftest.py) keeps each test to a few seconds;
BARENET_FUZZ=long runs thousands of examples. Inputs that once broke a reader are kept below
as explicit regression cases.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import json
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import barenet  # noqa: E402
from _helpers import idx_bytes  # noqa: E402
from barenet import (  # noqa: E402
    CheckpointError,
    DataError,
    DeepNeuralNetwork,
    Layer,
    ModelFileError,
    optimizers,
)
from barenet.checkpoints import load_checkpoint  # noqa: E402
from barenet.datasets import read_csv, read_idx, read_npz  # noqa: E402
from barenet.training import TrainingRun  # noqa: E402

FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
needs_safetensors = pytest.mark.skipif(
    importlib.util.find_spec("safetensors") is None, reason="saving needs barenet[files]"
)
INTERESTING = [0, 1, 2, 3, 7, 8, 0x7F, 0x80, 0xFF, 0xFFFF, 2**31 - 1, 2**31, 2**32 - 1, 2**63]


# ------------------------------------------------------------------------------- the seed files


def net() -> DeepNeuralNetwork:
    return DeepNeuralNetwork([Layer(3), Layer(4, "relu"), Layer(2, "softmax")], seed=0)


def data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


@functools.cache
def seed(name: str) -> bytes:
    """A valid small file for each reader, made once."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    labels = np.array([3, 7], np.uint8)
    if name == "idx":
        return idx_bytes(images[:1, :4, :4])
    if name == "idx16":
        return idx_bytes(np.arange(6, dtype=">i2").reshape(2, 3))
    if name == "csv":
        header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
        rows = [",".join(map(str, [int(labels[i]), *images[i].ravel().tolist()])) for i in (0, 1)]
        return ("\n".join([header, *rows]) + "\n").encode()
    buffer = io.BytesIO()
    if name == "npz":
        np.savez(buffer, x_train=images, y_train=labels, x_test=images[:1], y_test=labels[:1])
        return buffer.getvalue()
    if name == "npz_deflate":
        np.savez_compressed(buffer, x_train=images, y_train=labels, x_test=images, y_test=labels)
        return buffer.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        model = net()
        checkpoint = Path(tmp) / "c.npz"
        model.fit(*data(), epochs=1, optimizer="adam", checkpoint=str(checkpoint), verbose=0)
        if name == "checkpoint":
            return checkpoint.read_bytes()
        model.save(Path(tmp) / "m.safetensors")
        return (Path(tmp) / "m.safetensors").read_bytes()


def mutations_of(name: str, focus: int | None = None) -> st.SearchStrategy[bytes]:
    """Byte-level mutations of seed `name`, aimed at its first `focus` bytes."""
    return st.deferred(lambda: byte_mutations(seed(name), focus or len(seed(name))))


# --------------------------------------------------------------------------------- mutations


@st.composite
def byte_mutations(draw, data: bytes, focus: int) -> bytes:
    """A few edits of `data`, most of them within its first `focus` bytes (the header)."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        span = max(1, min(len(out), focus if draw(st.booleans()) else len(out)))
        at = draw(st.integers(0, span))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "int"]))
        if kind == "flip" and at < len(out):
            out[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del out[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del out[at:]
        elif kind == "int":
            width = draw(st.sampled_from([1, 2, 4, 8]))
            value = draw(st.sampled_from(INTERESTING) | st.integers(0, 2**64 - 1))
            order = draw(st.sampled_from(["little", "big"]))
            out[at : at + width] = (value % 2 ** (8 * width)).to_bytes(width, order)
    return bytes(out)


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["F32", "F64", "relu", "softmax", "he_normal", "barenet", "float64"])
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
RAW_JSON = st.sampled_from(
    [
        "NaN",
        "-Infinity",
        "1e999",
        "9" * 5000,
        "[" * 3000 + "]" * 3000,
        '{"a": 1, "a": 2}',
        '"\\ud800"',
    ]
)


@st.composite
def json_mutation(draw, value):
    """`value` (parsed JSON) with one node replaced, removed or added; or raw hostile text
    spliced in, returned as text."""
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, [*path, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, [*path, i])

    walk(value, [])
    path = draw(st.sampled_from(paths[1:] or paths))
    value = json.loads(json.dumps(value))
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1] if path else None
    action = draw(st.sampled_from(["replace", "delete", "add", "raw"]))
    if last is None:
        return json.dumps(draw(JSON_VALUES))
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    elif action == "raw":
        marker = "\u0000MARK\u0000"
        parent[last] = marker
        return json.dumps(value).replace(json.dumps(marker), draw(RAW_JSON))
    else:
        parent[last] = draw(JSON_VALUES)
    return json.dumps(value)


@st.composite
def model_mutations(draw, data: bytes) -> bytes:
    """A model file with its safetensors header or its barenet metadata mutated as JSON."""
    (n,) = struct.unpack("<Q", data[:8])
    header, body = json.loads(data[8 : 8 + n]), data[8 + n :]
    if draw(st.booleans()):
        meta = json.loads(header["__metadata__"]["barenet"])
        header["__metadata__"]["barenet"] = draw(json_mutation(meta))
        text = json.dumps(header)
    else:
        text = draw(json_mutation(header))
    raw = text.encode("utf-8", "surrogatepass")
    length = len(raw) + draw(st.sampled_from([0, 0, 0, 1, -1, 8]))
    return struct.pack("<Q", max(length, 0)) + raw + body


@st.composite
def npz_mutations(draw, data: bytes) -> bytes:
    """An .npz with one member's .npy header rewritten, or zip fields overwritten."""
    out = bytearray(data)
    if draw(st.booleans()):  # the .npy header text of a member stored uncompressed
        starts = [i for i in range(len(out)) if out.startswith(b"\x93NUMPY", i)]
        if starts:
            at = draw(st.sampled_from(starts))
            end = out.index(b"\n", at)
            text = out[at + 10 : end].decode("latin-1")
            key = draw(st.sampled_from(["'descr': ", "'shape': ", "'fortran_order': "]))
            new = draw(
                st.sampled_from(
                    ["'|O'", "'<c16'", "'V8'", "(99999999, 99999)", "(-1,)", "()", "True"]
                )
                | st.text(max_size=12)
            )
            head, sep, tail = text.partition(key)
            value_end = tail.find(", '") if tail.find(", '") >= 0 else tail.find("}")
            text = head + sep + new + tail[max(value_end, 0) :]
            out[at + 10 : end] = text.encode("latin-1", "replace")
    else:  # declared sizes, methods and flags in the local and central headers
        fields = []
        for signature, offsets in (
            (b"PK\x03\x04", (6, 8, 18, 22)),
            (b"PK\x01\x02", (8, 10, 20, 24, 42)),
        ):
            i = out.find(signature)
            while i >= 0:
                fields += [i + o for o in offsets]
                i = out.find(signature, i + 1)
        end = out.rfind(b"PK\x05\x06")
        fields += [end + 10, end + 12, end + 16] if end >= 0 else []
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.sampled_from(fields))
            width = 2 if draw(st.booleans()) else 4
            value = draw(st.sampled_from(INTERESTING) | st.integers(0, 2**32 - 1))
            out[at : at + width] = (value % 2 ** (8 * width)).to_bytes(width, "little")
    return bytes(out)


# ------------------------------------------------------------------------------------- checks


def assert_closed(read, path: Path, allowed: type[Exception]) -> None:
    """`read(path)` returns, or raises `allowed` or OSError with a short message."""
    try:
        read(path)
    except (allowed, OSError) as err:
        assert len(str(err)) <= 500, str(err)


def restore(path: Path) -> None:
    load_checkpoint(path)  # the reader first; then the checks against a network
    X, y = data()
    run = TrainingRun(
        model=net(),
        optimizer=optimizers.get("adam"),
        rng=np.random.default_rng(0),
        epochs=2,
        batch_size=4,
        X=X,
        Y=np.eye(2, dtype=np.float32)[y],
    )
    run.restore(str(path))


@pytest.fixture(scope="module")
def spot(tmp_path_factory) -> Path:
    """One directory the fuzz tests overwrite files in, example after example."""
    return tmp_path_factory.mktemp("fuzz")


@st.composite
def gzipped(draw) -> bytes:
    packed = gzip.compress(draw(mutations_of("idx", 16)), mtime=0)
    return draw(byte_mutations(packed, 24)) if draw(st.booleans()) else packed  # the stream too


@st.composite
def csv_cells(draw) -> bytes:
    """The seed CSV with one cell replaced."""
    cells = seed("csv").split(b",")
    i = draw(st.integers(0, len(cells) - 1))
    cells[i] = draw(
        st.binary(max_size=8)
        | st.sampled_from([b"", b"256", b"-1", b" 7 ", b"\r", b"\n\n", b"9" * 20_000, b"1,"])
    )
    return b",".join(cells)


@st.composite
def checkpoint_meta(draw) -> bytes:
    """The seed checkpoint with the JSON in its meta member mutated."""
    with np.load(io.BytesIO(seed("checkpoint"))) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["meta"] = np.array(draw(json_mutation(json.loads(str(arrays["meta"])))))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def model_header_size() -> int:
    return 8 + struct.unpack("<Q", seed("model")[:8])[0]


# --------------------------------------------------------------------------------- the tests


@FUZZ
@given(mutations_of("idx", 16) | mutations_of("idx16", 12))
@example(b"\x00\x00\x08\x03" + struct.pack(">3I", 4_000_000_000, 28, 28))
@example(b"\x00\x00\x08\x11" + bytes(68))
def test_idx(spot, mutated):
    (spot / "f-idx").write_bytes(mutated)
    assert_closed(read_idx, spot / "f-idx", DataError)


@FUZZ
@given(gzipped())
@example(gzip.compress(b"\x00\x00\x08\x03" + struct.pack(">3I", 4_000_000_000, 28, 28)))
@example(b"\x1f\x8b\x08\x00 broken")
def test_idx_gz(spot, mutated):
    (spot / "f.gz").write_bytes(mutated)
    assert_closed(read_idx, spot / "f.gz", DataError)


@FUZZ
@given(mutations_of("csv") | csv_cells())
def test_csv(spot, mutated):
    (spot / "f.csv").write_bytes(mutated)
    assert_closed(read_csv, spot / "f.csv", DataError)


@FUZZ
@given(st.deferred(lambda: npz_mutations(seed("npz")) | npz_mutations(seed("npz_deflate"))))
@example(b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }")
@example(b"PK\x03\x04 truncated")
def test_npz(spot, mutated):
    (spot / "f.npz").write_bytes(mutated)
    assert_closed(read_npz, spot / "f.npz", DataError)


@FUZZ
@given(mutations_of("npz", 128) | mutations_of("npz_deflate", 128))
def test_npz_bytes(spot, mutated):
    (spot / "f.npz").write_bytes(mutated)
    assert_closed(read_npz, spot / "f.npz", DataError)


@FUZZ
@given(st.deferred(lambda: npz_mutations(seed("checkpoint"))) | mutations_of("checkpoint", 256))
def test_checkpoint(spot, mutated):
    (spot / "c.npz").write_bytes(mutated)
    assert_closed(restore, spot / "c.npz", CheckpointError)


@FUZZ
@given(checkpoint_meta())
def test_checkpoint_meta(spot, mutated):
    (spot / "c.npz").write_bytes(mutated)
    assert_closed(restore, spot / "c.npz", CheckpointError)


@needs_safetensors
@FUZZ
@given(st.deferred(lambda: model_mutations(seed("model"))))
def test_model_file_json(spot, mutated):
    (spot / "m.safetensors").write_bytes(mutated)
    assert_closed(barenet.load, spot / "m.safetensors", ModelFileError)


@needs_safetensors
@FUZZ
@given(st.deferred(lambda: byte_mutations(seed("model"), model_header_size())))
def test_model_file_bytes(spot, mutated):
    (spot / "m.safetensors").write_bytes(mutated)
    assert_closed(barenet.load, spot / "m.safetensors", ModelFileError)


# ------------------------------------------------------------------ inputs that once broke one


@needs_safetensors
@pytest.mark.parametrize(
    ("name", "content"),
    [
        (  # a header object whose first value nests 10,001 deep: refused by the depth count
            "deep nesting",
            struct.pack("<Q", 20_007) + b'{"a":' + b"[" * 10_001 + b"]" * 10_001 + b"}",
        ),
        ("metadata a list", None),
        ("string offset", None),
        ("4000 digits", None),
        ("dtype a list", None),  # found by test_model_file_json
        ("pickle-looking length", struct.pack("<Q", 128 + 256) + b"{" + b" " * 383),
    ],
)
def test_model_file_regressions(spot, name, content):
    if content is None:
        (n,) = struct.unpack("<Q", seed("model")[:8])
        header, body = json.loads(seed("model")[8 : 8 + n]), seed("model")[8 + n :]
        if name == "metadata a list":
            header["__metadata__"]["barenet"] = "[1, 2]"
        elif name == "dtype a list":
            header["b1"]["dtype"] = ["F32"]
        elif name == "string offset":
            header["b1"]["data_offsets"] = ["0", "16"]
        else:
            header["b1"]["shape"] = [int("9" * 4000)]
        raw = json.dumps(header).encode()
        content = struct.pack("<Q", len(raw)) + raw + body
    (spot / "m.safetensors").write_bytes(content)
    reason = {"deep nesting": "nests", "4000 digits": "digit"}.get(name)
    with pytest.raises(ModelFileError, match=reason):
        barenet.load(spot / "m.safetensors")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_npz_regressions(spot, method):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as z:
        z.writestr("x_train.npy", b"\x93NUMPY")
    (spot / "f.npz").write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match="compression method"):
        read_npz(spot / "f.npz")
    with pytest.raises(CheckpointError, match="compression method"):
        load_checkpoint(spot / "f.npz")
