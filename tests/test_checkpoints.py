"""Checkpoints: hostile .npz files get CheckpointError, and a failed restore changes nothing."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile

import numpy as np
import pytest

from barenet import CheckpointError, DeepNeuralNetwork, Layer
from barenet import checkpoints as ckpt
from barenet.checkpoints import load_checkpoint


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def net(dtype=np.float32) -> DeepNeuralNetwork:
    return DeepNeuralNetwork([Layer(4), Layer(5, "relu"), Layer(2, "softmax")], seed=1, dtype=dtype)


@pytest.fixture
def good(tmp_path):
    """A real checkpoint after one epoch of Adam, and its arrays."""
    path = tmp_path / "c.npz"
    net().fit(*data(), epochs=1, optimizer="adam", checkpoint=str(path), verbose=0)
    with np.load(path) as npz:
        return path, {k: npz[k] for k in npz.files}


def meta_of(arrays) -> dict:
    return json.loads(str(arrays["meta"]))


def error_of(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert len(str(info.value)) <= 500
    return str(info.value)


def resume_error(path) -> str:
    """Resume from `path`, which must fail with CheckpointError and leave the network as it was."""
    model = net()
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(CheckpointError) as info:
        model.fit(*data(), epochs=2, optimizer="adam", resume_from=str(path), verbose=0)
    for key, value in before.items():
        np.testing.assert_array_equal(model.params[key], value)
    assert len(str(info.value)) <= 500
    return str(info.value)


def test_a_good_checkpoint_round_trips(good):
    path, arrays = good
    params, state, meta = load_checkpoint(path)
    assert sorted(params) == ["W1", "W2", "b1", "b2"] and meta["epochs_done"] == 1
    assert state["iterations"] == arrays["optimizer/iterations"]
    assert all(a.flags.writeable for a in params.values())


def test_a_npy_named_npz_and_other_files(tmp_path):
    path = tmp_path / "c.npz"
    np.save(path.with_suffix(".npy"), np.zeros(3))
    path.write_bytes(path.with_suffix(".npy").read_bytes())
    assert "c.npz: a .npy file (one array), not an .npz archive" in error_of(path)
    path.write_bytes(b"hello")
    assert "not an .npz (zip) archive" in error_of(path)
    assert "no such checkpoint file" in error_of(tmp_path / "missing.npz")
    assert "is a directory; expected a checkpoint file" in error_of(tmp_path)


def zip_with(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "method", "message"),
    [
        ({"readme.txt": b"hi"}, zipfile.ZIP_STORED, "member 'readme.txt': not a .npy array"),
        ({"meta.npy": b"not an npy"}, zipfile.ZIP_STORED, "member 'meta.npy': unreadable"),
        (
            {"param/W1.npy": npy(np.array([{"a": 1}], dtype=object))},
            zipfile.ZIP_STORED,
            "holds Python objects; pickles are never read",
        ),
        (
            {"param/W1.npy": npy(np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]))},
            zipfile.ZIP_STORED,
            "dtype .*expected a plain array",
        ),
        ({"meta.npy": npy(np.array("{}"))}, zipfile.ZIP_BZIP2, "compression method 12"),
        ({"meta.npy": npy(np.array("{}"))}, zipfile.ZIP_LZMA, "compression method 14"),
        ({"x.npy": npy(np.zeros(2))}, zipfile.ZIP_DEFLATED, r"no 'meta' entry"),
        ({"meta.npy": npy(np.zeros(2))}, zipfile.ZIP_STORED, "'meta' is float64 .*not text"),
    ],
)
def test_members_that_are_not_plain_arrays(tmp_path, members, method, message):
    path = tmp_path / "c.npz"
    path.write_bytes(zip_with(members, method))
    assert re.search(message, error_of(path))


def test_an_encrypted_member_is_refused(tmp_path):
    data = bytearray(zip_with({"meta.npy": npy(np.array("{}"))}))
    # NOTE: zipfile cannot encrypt; set the "encrypted" flag bit in both headers by hand
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature) + flags_at
        data[at : at + 2] = struct.pack("<H", struct.unpack("<H", data[at : at + 2])[0] | 1)
    path = tmp_path / "c.npz"
    path.write_bytes(bytes(data))
    assert "member 'meta.npy': encrypted" in error_of(path)


def test_declared_sizes_are_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    path.write_bytes(zip_with({"param/W1.npy": npy(np.zeros((100, 100)))}))
    monkeypatch.setattr(ckpt, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(ckpt, "_MAX_META", 0)
    assert "bytes; a checkpoint file is at most 1000 bytes" in error_of(path)
    monkeypatch.setattr(ckpt, "MAX_FILE_BYTES", 10**6)
    raw = zip_with({"param/W1.npy": npy(np.zeros((100, 100)))}, zipfile.ZIP_DEFLATED)
    path.write_bytes(raw)
    assert len(raw) < 1000  # the file is small; what it declares is not
    monkeypatch.setattr(ckpt, "MAX_FILE_BYTES", 2000)
    assert "its members declare more than 2000 bytes in all" in error_of(path)


def test_a_npy_header_lying_about_its_size_is_refused(tmp_path):
    body = bytearray(npy(np.zeros((2, 3), np.float32)))
    at = body.find(b"(2, 3)")
    body[at : at + 6] = b"(9, 9)"  # claims 324 bytes, holds 24
    path = tmp_path / "c.npz"
    path.write_bytes(zip_with({"param/W1.npy": bytes(body)}))
    assert "its header says <f4 (9, 9), 324 bytes, but 24 follow" in error_of(path)


def test_a_huge_table_of_contents_is_refused(tmp_path):
    data = bytearray(zip_with({"meta.npy": npy(np.array("{}"))}))
    end = data.rfind(b"PK\x05\x06")
    data[end + 12 : end + 16] = struct.pack("<I", 2**31)  # central directory size
    path = tmp_path / "c.npz"
    path.write_bytes(bytes(data))
    assert "table of contents claims 1 members in 2147483648 bytes" in error_of(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "barenet-checkpoint", "version": 1, "x": NaN}', "holds NaN"),
        ('{"format": "barenet-checkpoint", "version": 1, "version": 1}', "key 'version' twice"),
        ("[" * 10_000 + "]" * 10_000, "nests 10000 levels deep"),
        ("[1, 2]", r"not a barenet checkpoint \(format '\[1, 2\]'\)"),
        ('{"format": "barenet-checkpoint", "version": true}', "checkpoint version 'True'"),
        ("{", "the metadata is not valid JSON"),
    ],
)
def test_bad_meta_json(tmp_path, good, text, message):
    path, arrays = good
    np.savez(path, **(arrays | {"meta": np.array(text)}))
    assert re.search(message, error_of(path))


def edit_meta(path, arrays, change):
    meta = meta_of(arrays)
    change(meta)
    np.savez(path, **(arrays | {"meta": np.array(json.dumps(meta))}))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["rng"]["state"].update(state="x"), "bad random generator state"),
        (lambda m: m["rng"].update(bit_generator="MT19937"), "bad random generator state"),
        (lambda m: m.update(rng=[1, 2]), "bad random generator state"),
        (lambda m: m["rng"]["state"].update(state=-1), "bad random generator state"),
        (lambda m: m.update(epochs_done=1.7), "epochs_done is '1.7'; expected a whole number"),
        (lambda m: m.update(epochs_done="1"), "epochs_done is '1'"),
        (lambda m: m.update(history={"epoch": "x"}), "its history is not"),
        (lambda m: m.update(optimizer=None), "written by optimizer 'None'"),
        (lambda m: m.update(layer_sizes=[4, 6, 2]), r"written for layer sizes \[4, 6, 2\]"),
        (lambda m: m.pop("history"), r"incomplete or corrupt checkpoint \(KeyError: no 'history'"),
    ],
)
def test_bad_state_is_refused_and_nothing_changes(tmp_path, good, change, message):
    path, arrays = good
    edit_meta(path, arrays, change)
    assert re.search(message, resume_error(path))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("param/W1", np.zeros((4, 5)), r"W1 should be float32 \(4, 5\); found float64 \(4, 5\)"),
        ("param/W1", np.zeros((5, 4), np.float32), r"W1 should be float32 \(4, 5\); found"),
        ("param/W1", np.full((4, 5), np.nan, np.float32), "W1 holds NaN or infinite values"),
        (
            "param/W1",
            np.zeros((4, 5), np.complex64),
            r"member 'param/W1.npy': dtype '<c8'; expected a plain",
        ),
        ("param/W9", np.zeros(2, np.float32), r"holds parameters \['W1', 'W2', 'W9'"),
        ("optimizer/m/W1", np.zeros((3, 3), np.float32), "optimizer state m/W1 .* does not fit"),
        ("optimizer/iterations", np.array(-1), "bad optimizer state"),
        ("optimizer/q/W1", np.zeros((4, 5), np.float32), "bad optimizer state"),
    ],
)
def test_wrong_arrays_are_refused_and_nothing_changes(tmp_path, good, key, value, message):
    path, arrays = good
    np.savez(path, **(arrays | {key: value}))
    assert re.search(message, resume_error(path))


def test_a_checkpoint_with_nan_in_its_meta_is_not_written(tmp_path):
    with pytest.raises(CheckpointError, match="holds NaN or infinity"):
        ckpt.save_checkpoint(tmp_path / "c.npz", params={}, optimizer_state={}, meta={"x": np.nan})
    assert list(tmp_path.iterdir()) == []
