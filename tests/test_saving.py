"""Model files: round trips, and every kind of bad file refused without running anything."""

import json
import pickle
import struct

import numpy as np
import pytest

import barenet
from barenet import DeepNeuralNetwork, Layer, ModelFileError
from barenet.activations import LeakyReLU

pytest.importorskip("safetensors")


def trained(dtype=np.float32):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6)).astype(dtype)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    model = DeepNeuralNetwork(
        [Layer(6), Layer(8, LeakyReLU(0.2), init="he_uniform", dropout=0.1), Layer(3, "softmax")],
        seed=0,
        dtype=dtype,
    )
    model.fit(X, y, epochs=2, optimizer="adam", verbose=0)
    return model, X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_keeps_everything(tmp_path, dtype):
    model, X = trained(dtype)
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = barenet.load(path)
    assert loaded.dtype == dtype
    for key, value in model.params.items():
        np.testing.assert_array_equal(loaded.params[key], value)
        assert loaded.params[key].flags.writeable
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.layers[1].activation_function == LeakyReLU(0.2)
    assert loaded.layers[1].init == "he_uniform" and loaded.layers[1].dropout == 0.1
    assert loaded.loss_function.name == "cross_entropy"
    assert loaded.training_summary["epochs"] == 2
    assert loaded.training_summary["optimizer"]["name"] == "adam"
    assert loaded.summary() == model.summary()


def test_summary_table():
    model = DeepNeuralNetwork([Layer(4), Layer(3, "relu", dropout=0.5), Layer(2, "softmax")])
    lines = model.summary().splitlines()
    assert lines[0].split() == ["layer", "size", "activation", "parameters", "initializer"]
    assert lines[3].split() == ["1", "3", "ReLU()", "+", "dropout", "0.5", "15", "he_normal"]
    assert lines[4].split() == ["2", "2", "Softmax()", "8", "glorot_uniform"]
    assert lines[-1] == "23 parameters, float32, loss cross_entropy, task multiclass"


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    model, _ = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)
    before = path.read_bytes()

    import barenet.saving

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(barenet.saving, "atomic_write", _failing_atomic_write(boom))
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def _failing_atomic_write(fail):
    """The real atomic_write, but the write itself is interrupted halfway."""
    from contextlib import contextmanager

    from barenet._files import atomic_write

    @contextmanager
    def wrapper(path):
        with atomic_write(path) as f:

            class Half:
                def write(self, data):
                    f.write(data[: len(data) // 2])
                    fail()

            yield Half()

    return wrapper


class Payload:
    """Unpickling this would create a file: proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(Payload(str(marker))))
    with pytest.raises(
        ModelFileError, match="a pickle file; barenet model files are never unpickled"
    ):
        barenet.load(path)
    assert not marker.exists()


def test_npz_and_object_arrays_are_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, W1=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ModelFileError, match=r"a zip/\.npz file"):
        barenet.load(path)


def test_truncated_files_are_refused(tmp_path):
    model, _ = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)
    data = path.read_bytes()
    for cut in (0, 5, 20, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="truncated"):
            barenet.load(path)


def safetensors_file(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def good_meta(tmp_path):
    model, _ = trained()
    path = tmp_path / "good.safetensors"
    model.save(path)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def test_a_header_claiming_enormous_tensors_is_refused(tmp_path):
    header, body = good_meta(tmp_path)
    header["W1"]["shape"] = [10**9, 10**9]
    header["W1"]["data_offsets"] = [0, 4 * 10**18]
    path = tmp_path / "huge.safetensors"
    path.write_bytes(safetensors_file(header, body))
    with pytest.raises(ModelFileError, match=r"tensor W1 is F32 \[1000000000, 1000000000\]"):
        barenet.load(path)
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(ModelFileError, match="the header claims 4611686018427387904 bytes"):
        barenet.load(path)


def test_offsets_beyond_the_file_are_refused(tmp_path):
    header, body = good_meta(tmp_path)
    begin, end = header["b2"]["data_offsets"]
    header["b2"]["data_offsets"] = [begin + 10**6, end + 10**6]
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(header, body))
    with pytest.raises(ModelFileError, match="tensor b2 claims bytes"):
        barenet.load(path)


def test_unknown_names_and_newer_versions_are_refused(tmp_path):
    header, body = good_meta(tmp_path)
    path = tmp_path / "m.safetensors"
    meta = json.loads(header["__metadata__"]["barenet"])

    def write(change):
        m = json.loads(json.dumps(meta))
        change(m)
        h = dict(header, __metadata__={"barenet": json.dumps(m)})
        path.write_bytes(safetensors_file(h, body))

    write(lambda m: m["layers"][1].update(activation="os.system"))
    with pytest.raises(ModelFileError, match=r"unknown activation 'os.system'; known: \["):
        barenet.load(path)
    write(lambda m: m.update(loss="evil"))
    with pytest.raises(ModelFileError, match="unknown loss 'evil'"):
        barenet.load(path)
    write(lambda m: m.update(format_version=99))
    with pytest.raises(
        ModelFileError, match=r"format version 99; this barenet reads versions \[1\]"
    ):
        barenet.load(path)
    write(lambda m: m["layers"][1].update(size=9))
    with pytest.raises(ModelFileError, match=r"tensor \w+ is F32 .* the architecture needs"):
        barenet.load(path)


def test_foreign_safetensors_and_missing_files(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "other.safetensors"
    st.save_file({"weight": np.zeros((2, 2), np.float32)}, str(path))
    with pytest.raises(ModelFileError, match="without barenet's metadata"):
        barenet.load(path)
    with pytest.raises(ModelFileError, match="no such model file"):
        barenet.load(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        barenet.load(tmp_path / "junk.safetensors")


def test_a_users_own_activation_cannot_be_saved(tmp_path):
    class Mine(barenet.ActivationFunction):
        name = "mine"

        def activate(self, z):
            return z

        def derive(self, da, z, a):
            return da

    model = DeepNeuralNetwork([Layer(2), Layer(2, Mine())])
    with pytest.raises(
        ModelFileError, match="layer 1: its activation Mine is not in barenet's registry"
    ):
        model.save(tmp_path / "m.safetensors")
    assert not list(tmp_path.iterdir())


def test_saving_into_a_missing_directory_names_it(tmp_path):
    model, _ = trained()
    with pytest.raises(FileNotFoundError, match=r"the directory .*nowhere does not exist"):
        model.save(tmp_path / "nowhere" / "m.safetensors")


def test_a_header_length_whose_first_byte_looks_like_pickle_still_loads(tmp_path):
    # The header length is little-endian: a length of 256 * m + 128 starts with 0x80, the
    # first byte of a pickle. Pad a real file's JSON header (safetensors pads with spaces)
    # to such a length and check it still loads.
    model, X = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header, body = data[8 : 8 + n].rstrip(b" "), data[8 + n :]
    padded = 256 * (len(header) // 256 + 1) + 128
    path.write_bytes(struct.pack("<Q", padded) + header.ljust(padded, b" ") + body)
    assert path.read_bytes()[:1] == b"\x80"
    np.testing.assert_array_equal(barenet.load(path).predict_proba(X), model.predict_proba(X))


def test_deep_neural_network_load_is_barenet_load(tmp_path):
    model, X = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)
    loaded = DeepNeuralNetwork.load(path)
    assert type(loaded) is DeepNeuralNetwork and loaded is not model
    np.testing.assert_array_equal(loaded.predict_proba(X), barenet.load(path).predict_proba(X))


@pytest.mark.parametrize("name", ["model.npz", "model.pkl", "model.PT", "model.h5", "m.onnx"])
def test_another_formats_suffix_is_refused_before_writing(tmp_path, name):
    model, _ = trained()
    with pytest.raises(
        ValueError, match=r"is safetensors, but \.\w+ names .*; save it as .*\.safetensors"
    ):
        model.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["model", "model.bin", "model.st"])
def test_an_unusual_suffix_warns_and_writes(tmp_path, name):
    model, X = trained()
    with pytest.warns(UserWarning, match=r"end in \.safetensors") as record:
        model.save(tmp_path / name)
    assert record[0].filename == __file__
    np.testing.assert_array_equal(barenet.load(tmp_path / name).predict(X), model.predict(X))


def test_the_safetensors_suffix_in_any_case_is_quiet(tmp_path):
    import warnings

    model, _ = trained()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "Model.SafeTensors")
