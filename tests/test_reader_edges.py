"""Hostile inputs a red-team review found after the fuzz suites (tests/test_fuzz_*.py) passed:
each reader still raises only its own error, with a short message."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import barenet
from barenet import checkpoints, datasets, images
from barenet.exceptions import MAX_MESSAGE, ShortError


def npy_bytes(header: dict, data: bytes = b"") -> bytes:
    text = repr(header).encode()
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def test_a_checkpoint_member_of_zero_byte_elements_is_refused_before_allocating(tmp_path):
    """'<U0' has elements of 0 bytes, so 2**40 of them "fit" in no data, and numpy would
    allocate them as '<U1': 4 TiB from a 242-byte file."""
    path = tmp_path / "u0.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("meta.npy", npy_bytes({"descr": "<U0", "fortran_order": False,
                                          "shape": (2**40,)}))  # fmt: skip
    with pytest.raises(checkpoints.CheckpointError, match="elements of 0 bytes"):
        checkpoints.load_checkpoint(path)


def test_a_float_image_holding_nan_is_an_image_error():
    PIL = pytest.importorskip("PIL.Image")
    a = np.full((32, 32), np.nan, np.float32)
    a[5:20, 5:20] = 1.0
    buffer = io.BytesIO()
    PIL.fromarray(a, mode="F").save(buffer, format="TIFF")
    with pytest.raises(images.ImageError, match="NaN"):
        images.read_digit(buffer.getvalue())
    with pytest.raises(images.ImageError, match="NaN"):
        images.read_digit(PIL.fromarray(a, mode="F"))


READERS = {
    "load": (barenet.load, barenet.ModelFileError),
    "from_onnx": (barenet.from_onnx, barenet.ModelFileError),
    "read_idx": (datasets.read_idx, datasets.DataError),
    "read_csv": (datasets.read_csv, datasets.DataError),
    "read_npz": (datasets.read_npz, datasets.DataError),
    "load_checkpoint": (checkpoints.load_checkpoint, checkpoints.CheckpointError),
    "read_digit": (images.read_digit, images.ImageError),
}


@pytest.mark.parametrize("name", READERS)
def test_a_nul_in_a_path_is_the_readers_error(tmp_path, name):
    read, error = READERS[name]
    with pytest.raises(error, match="NUL"):
        read(str(tmp_path / "a\0b"))


@pytest.mark.parametrize("name", READERS)
def test_a_long_path_to_garbage_gives_a_short_message(tmp_path, name):
    read, error = READERS[name]
    folder = tmp_path / ("d" * 200) / ("e" * 200)
    folder.mkdir(parents=True)
    path = folder / ("f" * 200)
    path.write_bytes(b"\x00\x00\x0e\x10" + b"\xff" * 64)  # an IDX header of 16 huge dimensions
    with pytest.raises(error) as caught:
        read(str(path))
    message = str(caught.value)
    assert len(message) <= MAX_MESSAGE, message
    # NOTE: cut in the middle of the path: the start names the file, the end still says why
    assert message.startswith(str(path)[:100]) and "f" * 60 not in message[-120:], message


def test_an_onnx_name_of_thousands_of_characters_gives_a_short_message(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    name = "n" * 5000
    graph = helper.make_graph(
        [helper.make_node("Celu", ["x"], ["y"], name=name)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])],
    )
    path = tmp_path / "long.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(barenet.ModelFileError) as caught:
        barenet.from_onnx(path)
    message = str(caught.value)
    assert len(message) <= MAX_MESSAGE and "Celu" in message, message


def test_short_errors_keep_both_ends_of_a_long_message():
    message = "start " + "x" * 2000 + " end"
    short = str(ShortError(message))
    assert len(short) == MAX_MESSAGE and short.startswith("start ") and short.endswith(" end")
    assert " ... " in short and str(ShortError("brief")) == "brief"
    for cls in (barenet.ModelFileError, barenet.CheckpointError, barenet.DataError,
                barenet.ImageError):  # fmt: skip
        assert issubclass(cls, ShortError) and issubclass(cls, ValueError)


def test_the_cli_with_stdout_closed_shows_no_traceback(tmp_path):
    """`barenet ... >&-`: Python starts with sys.stdout None."""
    for args in (["--help"], ["info", str(tmp_path / "missing.safetensors")]):
        result = subprocess.run(
            [sys.executable, "-m", "barenet", *args],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            preexec_fn=lambda: os.close(1),
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), result.stderr


def test_an_unreadable_image_names_no_python_object(tmp_path):
    pytest.importorskip("PIL")
    path = tmp_path / "bad.png"
    path.write_bytes(b"not an image at all")
    with pytest.raises(images.ImageError) as caught:
        images.read_digit(path)
    assert "object at 0x" not in str(caught.value) and "bad.png" in str(caught.value)


def test_an_onnx_file_given_to_load_points_to_from_onnx(tmp_path):
    pytest.importorskip("onnx")
    model = barenet.DeepNeuralNetwork([barenet.Layer(4), barenet.Layer(2, "softmax")], seed=0)
    model.to_onnx(tmp_path / "m.onnx")
    with pytest.raises(barenet.ModelFileError, match=r"not a safetensors file\. .*from_onnx"):
        barenet.load(tmp_path / "m.onnx")
