"""Model files: round trips, and every kind of bad file refused without running anything."""

import json
import os
import pickle
import re
import struct
import sys

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


def test_an_npz_of_object_arrays_is_refused_as_a_zip_unread(tmp_path):
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


# --------------------------------------------------------------------- hostile files (issue 12)


def raw_file(header_text: bytes, body: bytes = b"") -> bytes:
    """A safetensors file with this exact header text (no JSON re-encoding)."""
    return struct.pack("<Q", len(header_text)) + header_text + body


def with_meta(header: dict, meta_text: str) -> dict:
    return dict(header, __metadata__={"barenet": meta_text})


def load_error(path) -> str:
    """The ModelFileError message of loading `path`; any other exception fails the test."""
    with pytest.raises(ModelFileError) as info:
        barenet.load(path)
    message = str(info.value)
    assert len(message) <= 500, message
    return message


def test_deep_nesting_is_refused_before_parsing(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(raw_file(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    assert "nests 100001 levels deep; at most 64" in load_error(path)
    header, body = good_meta(tmp_path)
    path.write_bytes(safetensors_file(with_meta(header, "[" * 50_000 + "]" * 50_000), body))
    assert "the barenet metadata nests 50000 levels deep" in load_error(path)


@pytest.mark.parametrize("meta_text", ["[1, 2]", '"a string"', "17", "null"])
def test_metadata_that_is_not_an_object_is_refused(tmp_path, meta_text):
    header, body = good_meta(tmp_path)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(with_meta(header, meta_text), body))
    assert "is not a barenet model description" in load_error(path)


@pytest.mark.parametrize("metadata", [[1], "text", {"barenet": 5}, {"barenet": "{}", "x": 1}])
def test_safetensors_metadata_must_map_names_to_text(tmp_path, metadata):
    header, body = good_meta(tmp_path)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(dict(header, __metadata__=metadata), body))
    assert "without barenet's metadata" in load_error(path)


def test_overlaps_gaps_and_trailing_bytes_are_refused(tmp_path):
    header, body = good_meta(tmp_path)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(header, body + b"\0" * 8))
    assert "8 bytes after the last tensor" in load_error(path)
    first, second = sorted(
        (k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"]
    )[:2]
    h = json.loads(json.dumps(header))
    shift = h[first]["data_offsets"][1] - h[first]["data_offsets"][0]
    h[second]["data_offsets"] = [o - shift // 2 for o in h[second]["data_offsets"]]
    path.write_bytes(safetensors_file(h, body))
    assert "overlaps another" in load_error(path)
    h = json.loads(json.dumps(header))
    begin, end = h[first]["data_offsets"]
    h[first]["data_offsets"] = [begin + 4, end + 4]
    for key in h:
        if key not in ("__metadata__", first) and h[key]["data_offsets"][0] >= end:
            h[key]["data_offsets"] = [o + 4 for o in h[key]["data_offsets"]]
    path.write_bytes(safetensors_file(h, b"\0" * 4 + body))
    assert f"4 unclaimed bytes before tensor {first}" in load_error(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data_offsets": ["0", "36"]}, "data_offsets must be"),
        ({"data_offsets": [True, 36]}, "data_offsets must be"),
        ({"data_offsets": [0]}, "data_offsets must be"),
        ({"shape": "2x3"}, "its shape must be a list of whole numbers"),
        ({"shape": [1.5]}, "its shape must be a list of whole numbers"),
        ({"dtype": "F16"}, r"tensor b2 is F16 \[3\]; the architecture needs float32 \[3\]"),
        ({"dtype": "Q7"}, "dtype 'Q7' is not a safetensors dtype"),
        ({"dtype": ["F32"]}, r"dtype \['F32'\] is not a safetensors dtype"),  # found by fuzzing
        ({"extra": 1}, "expected keys dtype, shape, data_offsets"),
    ],
)
def test_bad_tensor_entries_are_refused(tmp_path, change, message):
    header, body = good_meta(tmp_path)
    header["b2"].update(change)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(header, body))
    assert re.search(message, load_error(path))


def test_huge_numbers_duplicate_keys_and_nan_are_refused(tmp_path):
    header, body = good_meta(tmp_path)
    text = json.dumps(header).encode()
    path = tmp_path / "m.safetensors"
    path.write_bytes(
        raw_file(text.replace(b'"shape": [3]', b'"shape": [' + b"9" * 6000 + b"]"), body)
    )
    assert "holds a 6000-digit number; at most 40" in load_error(path)
    path.write_bytes(raw_file(text.replace(b'"shape": [3]', b'"shape": [3], "shape": [3]'), body))
    assert "the safetensors header has the key 'shape' twice" in load_error(path)
    path.write_bytes(raw_file(text[:-1] + b', "b2": {}}', body))
    assert "has the key 'b2' twice" in load_error(path)
    meta = header["__metadata__"]["barenet"]
    for literal in ("NaN", "Infinity", "-Infinity"):
        bad = re.sub(r'"learning_rate": [^,]+', f'"learning_rate": {literal}', meta)
        path.write_bytes(safetensors_file(with_meta(header, bad), body))
        assert f"holds {literal}; only finite numbers are read" in load_error(path)
    bad = re.sub(r'"learning_rate": [^,]+', '"learning_rate": 1e999', meta)
    path.write_bytes(safetensors_file(with_meta(header, bad), body))
    assert "'1e999', which overflows a float" in load_error(path)
    bad = meta.replace('"loss":', '"dtype": "float32", "loss":')
    path.write_bytes(safetensors_file(with_meta(header, bad), body))
    assert "the barenet metadata has the key 'dtype' twice" in load_error(path)


def test_a_small_file_declaring_huge_layers_allocates_nothing(tmp_path, monkeypatch):
    import tracemalloc

    from barenet.network import DeepNeuralNetwork as Net

    def no_draw(*args, **kwargs):
        raise AssertionError("load drew random weights")

    header, body = good_meta(tmp_path)
    monkeypatch.setattr(Net, "initialize_params", no_draw)
    meta = json.loads(header["__metadata__"]["barenet"])
    meta["layers"][1]["size"] = 20_000
    header = with_meta(header, json.dumps(meta))
    header["W1"]["shape"], header["b1"]["shape"] = [6, 20_000], [20_000]
    header["W2"]["shape"] = [20_000, 3]
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(header, body))
    assert path.stat().st_size < 2000
    tracemalloc.start()
    try:
        message = load_error(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "claims bytes" in message and peak < 2**20


def test_a_model_loads_without_drawing_random_weights(tmp_path, monkeypatch):
    from barenet.network import DeepNeuralNetwork as Net

    model, X = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)

    def no_draw(*args, **kwargs):
        raise AssertionError("load drew random weights")

    monkeypatch.setattr(Net, "initialize_params", no_draw)
    np.testing.assert_array_equal(barenet.load(path).predict_proba(X), model.predict_proba(X))


def test_loading_needs_no_safetensors_package(tmp_path, monkeypatch):
    model, X = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)
    monkeypatch.setitem(sys.modules, "safetensors", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    np.testing.assert_array_equal(barenet.load(path).predict_proba(X), model.predict_proba(X))


def test_devices_and_sparse_giants_are_refused_unread(tmp_path):
    if os.path.exists("/dev/zero"):
        assert "/dev/zero: is not a regular file; expected a model file" in load_error("/dev/zero")
    big = tmp_path / "big.safetensors"
    with open(big, "wb") as f:  # sparse: 3 GiB claimed, nothing written
        f.truncate(3 * 2**30)
    assert "3221225472 bytes; a model file is at most 1073741824 bytes" in load_error(big)
    header, body = good_meta(tmp_path)
    big.write_bytes(safetensors_file(header, body))
    with open(big, "r+b") as f:  # a valid file, then 512 MiB of holes: refused by its size
        f.truncate(2**29)
    assert "bytes after the last tensor" in load_error(big)
    with pytest.raises(ModelFileError, match="a model file is at most 100 bytes"):
        barenet.load(big, max_bytes=100)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda m: m["layers"][1].update(init="he_magic"),
            r"layer 1: unknown initializer 'he_magic'",
        ),
        (lambda m: m["layers"][1].update(init=5), r"layer 1: unknown initializer 5"),
        (lambda m: m["layers"][1].update(size=True), "layer 1 has size True"),
        (lambda m: m["layers"][1].update(size="8"), "layer 1 has size '8'"),
        (lambda m: m["layers"][1].update(dropout="0.1"), "layer 1 has dropout '0.1'"),
        (lambda m: m["layers"][1].update(activation_config={"beta": 1}), "layer 1: .*beta"),
        (lambda m: m["layers"][1].update(activation_config={"alpha": 7}), "layer 1: .*alpha"),
        (lambda m: m["layers"][1].update(secret=1), r"layer 1 is .*expected an object with"),
        (lambda m: m.update(layers=[m["layers"][0]]), "'layers' must be a list of 2 to 1024"),
        (lambda m: m.update(layers={"a": 1}), "'layers' must be a list"),
        (lambda m: m.update(format_version=True), "format version True"),
        (lambda m: m.update(format_version=1.0), "format version 1.0"),
        (lambda m: m.update(dtype="float16"), "dtype 'float16'; expected 'float32' or 'float64'"),
        (lambda m: m.update(loss=["cross_entropy"]), r"unknown loss \['cross_entropy'\]"),
        (lambda m: m.update(loss_config=[]), "'loss_config' must be an object"),
        (lambda m: m.update(training="yes"), "'training' must be an object"),
        (lambda m: m.update(learning_rate="fast"), "learning_rate 'fast'"),
        (lambda m: m.update(hidden_trick=1), r"unexpected keys \['hidden_trick'\]"),
    ],
)
def test_every_field_of_the_architecture_is_checked(tmp_path, change, message):
    header, body = good_meta(tmp_path)
    meta = json.loads(header["__metadata__"]["barenet"])
    change(meta)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(with_meta(header, json.dumps(meta)), body))
    assert re.search(message, load_error(path))


def test_non_finite_weights_are_refused(tmp_path):
    model, _ = trained()
    path = tmp_path / "m.safetensors"
    model.save(path)
    data = bytearray(path.read_bytes())
    data[-4:] = struct.pack("<f", float("nan"))
    path.write_bytes(bytes(data))
    assert "holds NaN or infinite values" in load_error(path)


def test_messages_stay_short_for_huge_names(tmp_path):
    header, body = good_meta(tmp_path)
    header["W" * 100_000] = header.pop("W1")
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_file(header, body))
    assert "do not match the architecture's" in load_error(path)
    header, body = good_meta(tmp_path)
    meta = json.loads(header["__metadata__"]["barenet"])
    meta["layers"][1]["activation"] = "x" * 100_000
    path.write_bytes(safetensors_file(with_meta(header, json.dumps(meta)), body))
    assert "unknown activation 'xxxx" in load_error(path)


def test_a_npy_file_is_named(tmp_path):
    path = tmp_path / "m.safetensors"
    np.save(path.with_suffix(".npy"), np.zeros(3))
    path.write_bytes(path.with_suffix(".npy").read_bytes())
    assert "a .npy file; barenet model files are safetensors" in load_error(path)


# ------------------------------------------------------------------------ saving checks first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(W1=p["W1"].astype(np.float64)), r"params\['W1'\] is float64 \(6, 8\)"),
        (lambda p: p.update(b2=np.zeros(4, np.float32)), r"params\['b2'\] is float32 \(4,\)"),
        (lambda p: p.update(b2=[0.0, 0.0, 0.0]), r"params\['b2'\] is <class 'list'>"),
        (lambda p: p.pop("b2"), r"params holds \['W1', 'W2', 'b1'\]"),
        (lambda p: p.update(W3=np.zeros(1, np.float32)), r"params holds .*'W3'"),
        (lambda p: p["W1"].__setitem__((0, 0), np.inf), r"params\['W1'\] holds NaN or infinite"),
    ],
)
def test_save_checks_params_against_the_architecture(tmp_path, change, message):
    model, _ = trained()
    change(model.params)
    with pytest.raises(ModelFileError, match="cannot save .*m.safetensors: " + message):
        model.save(tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_what_load_would_refuse(tmp_path):
    model, _ = trained()
    model.learning_rate = float("nan")
    with pytest.raises(ModelFileError, match="metadata holds NaN or infinity"):
        model.save(tmp_path / "m.safetensors")
    model, _ = trained()
    model.training_summary["seed"] = 2**200
    with pytest.raises(ModelFileError, match="its metadata holds a 61-digit number; at most 40"):
        model.save(tmp_path / "m.safetensors")

    def mine(fan_in, fan_out, rng):
        return np.zeros((fan_in, fan_out))

    model, _ = trained()
    model.layers[1].init = mine
    with pytest.raises(ModelFileError, match="layer 1: its initializer 'mine' is not in barenet's"):
        model.save(tmp_path / "m.safetensors")
    from barenet.initializers import he_uniform

    model.layers[1].init = he_uniform  # a registered function is saved by its name
    model.save(tmp_path / "m.safetensors")
    assert barenet.load(tmp_path / "m.safetensors").layers[1].init == "he_uniform"


def test_saving_onto_a_link_to_a_private_file_keeps_both(tmp_path):
    model, X = trained()
    target = tmp_path / "private.safetensors"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "model.safetensors"
    link.symlink_to(target.name)
    model.save(link)
    assert link.is_symlink() and oct(target.stat().st_mode & 0o777) == "0o600"
    np.testing.assert_array_equal(barenet.load(link).predict_proba(X), model.predict_proba(X))


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


def test_save_refuses_more_layers_than_load_reads(tmp_path):
    """More layers than load reads: refused when saving, so that a saved file always loads."""
    layers = [Layer(2)] + [Layer(2, "relu") for _ in range(1100)] + [Layer(2, "softmax")]
    with pytest.raises(ModelFileError, match=r"cannot save .*2 to 1024 layers"):
        DeepNeuralNetwork(layers, seed=0).save(tmp_path / "deep.safetensors")
    assert not (tmp_path / "deep.safetensors").exists()


def test_an_initializer_named_in_any_case_saves_under_its_registry_name(tmp_path):
    model = DeepNeuralNetwork([Layer(3), Layer(2, "softmax", init="HE_NORMAL")], seed=0)
    model.save(tmp_path / "m.safetensors")
    assert barenet.load(tmp_path / "m.safetensors").layers[1].init == "he_normal"
