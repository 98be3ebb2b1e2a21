"""Model files: a trained network in one safetensors file, safe to load from anyone.

``model.save(path)`` writes the parameters (``W1, b1, ...``) as safetensors tensors and the
architecture as JSON in the file's metadata: the format version, each layer's size, activation
(name and parameters), initializer and dropout, the loss, the dtype, the barenet version and
a summary of the training. ``barenet.load(path)`` rebuilds the network.

Loading never executes code and never unpickles. The header is read and checked by hand
before any tensor is touched: its length against the file's size, every tensor's dtype,
shape and byte range against the architecture it claims; activations and losses are looked
up only in barenet's registries. A pickle, an ``.npz``, a truncated file, a newer format or a
header claiming more bytes than the file holds is refused with ``ModelFileError``.
Saves are atomic: a crash during a save leaves the previous file intact.

Needs the optional extra ``barenet[files]`` (the safetensors package).
"""

from __future__ import annotations

import json
import os
import struct
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations, losses
from ._files import atomic_write
from .exceptions import warn

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork

FORMAT = "barenet"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
_MAX_HEADER = 16 * 2**20  # a header lists a few dozen tensors: a few kilobytes
_DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
SUFFIX = ".safetensors"
#: suffixes of other formats: a model file saved under one of them would mislead its reader
_OTHER_FORMATS = {
    ".npz": "a NumPy archive (barenet's training checkpoints are .npz)",
    ".npy": "a NumPy array",
    ".pkl": "a pickle",
    ".pickle": "a pickle",
    ".joblib": "a joblib pickle",
    ".pt": "a PyTorch file",
    ".pth": "a PyTorch file",
    ".h5": "an HDF5 (Keras) file",
    ".hdf5": "an HDF5 (Keras) file",
    ".keras": "a Keras file",
    ".onnx": "an ONNX model",
    ".json": "JSON",
}


class ModelFileError(ValueError):
    """A file that is not a barenet model file, or one that cannot be trusted."""


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy  # NOTE: optional dependency, imported only when used
    except ImportError:
        raise ImportError(
            "model files need the safetensors package: pip install 'barenet[files]'"
        ) from None
    return safetensors.numpy


def _registered_name(obj: Any, registry: dict[str, Any], what: str, where: str) -> str:
    if registry.get(obj.name) is not type(obj):
        raise ModelFileError(
            f"cannot save {where}: its {what} {type(obj).__name__} is not in barenet's registry "
            f"({sorted(registry)}); a model file can only name registered {what}s: "
            f"give the class a name and call barenet.register({type(obj).__name__}) first"
        )
    return str(obj.name)


def architecture(model: DeepNeuralNetwork) -> dict[str, Any]:
    """The JSON-able description of a network that a model file stores."""
    from . import __version__, initializers

    layers = []
    for i, layer in enumerate(model.layers):
        act = layer.activation_function
        layers.append(
            {
                "size": layer.size,
                "activation": _registered_name(
                    act, activations.ACTIVATIONS, "activation", f"layer {i}"
                ),
                "activation_config": act.get_config(),
                "init": None if layer.init is None else initializers.name_of(layer.init),
                "dropout": layer.dropout,
            }
        )
    loss = model.loss_function
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "barenet_version": __version__,
        "dtype": model.dtype.name,
        "layers": layers,
        "loss": _registered_name(loss, losses.LOSSES, "loss", "the network"),
        "loss_config": loss.get_config(),
        "learning_rate": model.learning_rate,
        "training": getattr(model, "training_summary", None) or {},
    }


def check_suffix(path: str | os.PathLike[str]) -> None:
    """Refuse (ValueError) a model file name ending like another format's file, such as
    ``model.npz`` or ``model.pt``; warn (UserWarning) for any other suffix but .safetensors,
    none included. The CLI calls it before training, ``save`` before writing."""
    suffix = Path(path).suffix.lower()
    if suffix in _OTHER_FORMATS:
        raise ValueError(
            f"{path}: a barenet model file is safetensors, but {suffix} names "
            f"{_OTHER_FORMATS[suffix]}; save it as {Path(path).with_suffix(SUFFIX)}"
        )
    if suffix != SUFFIX:
        warn(
            f"{path}: barenet model files are safetensors and end in {SUFFIX}; "
            f"writing it under the name {Path(path).name!r} anyway"
        )


def save(model: DeepNeuralNetwork, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as a safetensors file, atomically. ``path`` should end in
    .safetensors: another format's suffix (.npz, .pkl, .pt, .h5, ...) raises ValueError, any
    other suffix warns (``check_suffix``)."""
    check_suffix(path)
    st = _safetensors_numpy()
    meta = architecture(model)
    tensors = {key: np.ascontiguousarray(value) for key, value in model.params.items()}
    data = st.save(tensors, metadata={FORMAT: json.dumps(meta)})
    with atomic_write(path) as f:
        f.write(data)


def _refuse_foreign(path: Path, head: bytes) -> None:
    """Name the common wrong files instead of a generic parse error."""
    if head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q"):
        raise ModelFileError(f"{path}: a pickle file; barenet model files are never unpickled")
    if head[:4] == b"PK\x03\x04":
        raise ModelFileError(
            f"{path}: a zip/.npz file; barenet model files are safetensors "
            "(training checkpoints are .npz: resume them with fit(resume_from=...))"
        )


def _read_header(path: Path, data: bytes) -> tuple[dict[str, Any], int]:
    """The safetensors JSON header and where the tensor bytes start, both checked."""
    if len(data) < 8:
        _refuse_foreign(path, data)
        raise ModelFileError(f"{path}: truncated ({len(data)} bytes; a header needs 8 or more)")
    (n,) = struct.unpack("<Q", data[:8])
    # NOTE: a valid header's length can start with any byte (0x80 too, like a pickle), so the
    # common wrong files are named only when the length and the "{" do not make a header
    if n > min(len(data) - 8, _MAX_HEADER) or data[8:9] != b"{":
        _refuse_foreign(path, data[:8])
    if n > min(len(data) - 8, _MAX_HEADER):
        raise ModelFileError(
            f"{path}: the header claims {n} bytes but the file holds {len(data) - 8} after "
            "its length field: truncated or not a safetensors file"
        )
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{path}: not a safetensors file (header: {err})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: not a safetensors file (header is not an object)")
    return header, 8 + n


def _read_meta(path: Path, header: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(header.pop("__metadata__")[FORMAT])
    except (KeyError, TypeError, json.JSONDecodeError):
        raise ModelFileError(
            f"{path}: a safetensors file without barenet's metadata; it was not written by "
            "model.save"
        ) from None
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if meta.get("format") != FORMAT or version not in SUPPORTED_VERSIONS:
        raise ModelFileError(
            f"{path}: model file format version {version!r}; this barenet reads versions "
            f"{list(SUPPORTED_VERSIONS)}. Upgrade barenet to load it."
        )
    return meta


def _build(path: Path, meta: dict[str, Any]) -> DeepNeuralNetwork:
    """The network a model file describes, with registry lookups only."""
    from .initializers import INITIALIZERS
    from .layers import Layer
    from .network import DeepNeuralNetwork

    try:
        layers = []
        for spec in meta["layers"]:
            name = spec["activation"]
            if name not in activations.ACTIVATIONS:
                raise ModelFileError(
                    f"{path}: unknown activation {name!r}; known: {sorted(activations.ACTIVATIONS)}"
                    ". If it is your own class, barenet.register it before loading"
                )
            act = activations.ACTIVATIONS[name](**spec.get("activation_config", {}))
            init = spec.get("init") if spec.get("init") in INITIALIZERS else None
            layers.append(Layer(spec["size"], act, init=init, dropout=spec.get("dropout", 0.0)))
        loss_name = meta["loss"]
        if loss_name not in losses.LOSSES:
            raise ModelFileError(
                f"{path}: unknown loss {loss_name!r}; known: {sorted(losses.LOSSES)}. "
                "If it is your own class, barenet.register it before loading"
            )
        model = DeepNeuralNetwork(
            layers,
            learning_rate=meta.get("learning_rate", 0.1),
            loss=losses.LOSSES[loss_name](**meta.get("loss_config", {})),
            dtype=np.dtype(meta["dtype"]),
        )
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: invalid architecture in the metadata ({err})") from None
    model.training_summary = meta.get("training", {})
    return model


def load(path: str | os.PathLike[str]) -> DeepNeuralNetwork:
    """Read a model file written by ``model.save``; raises ``ModelFileError`` for anything else."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except OSError as err:
        raise ModelFileError(f"{path}: cannot read ({err.strerror})") from None
    header, start = _read_header(path, data)
    model = _build(path, _read_meta(path, header))
    expected = {key: value.shape for key, value in model.params.items()}
    if sorted(header) != sorted(expected):
        raise ModelFileError(
            f"{path}: tensors {sorted(header)} do not match the architecture's {sorted(expected)}"
        )
    body = len(data) - start
    for key, info in header.items():
        try:
            dtype, shape, (begin, end) = (
                _DTYPES[info["dtype"]],
                tuple(info["shape"]),
                info["data_offsets"],
            )
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(f"{path}: tensor {key}: bad entry {info!r}") from None
        if shape != expected[key] or dtype != model.dtype:
            raise ModelFileError(
                f"{path}: tensor {key} is {info['dtype']} {list(shape)}; the architecture needs "
                f"{model.dtype} {list(expected[key])}"
            )
        if not 0 <= begin <= end <= body or end - begin != prod(shape) * dtype.itemsize:
            raise ModelFileError(
                f"{path}: tensor {key} claims bytes {begin}..{end} of {body}: truncated or corrupt"
            )
    tensors = _safetensors_numpy().load(data)
    model.params = {key: np.array(tensors[key], dtype=model.dtype) for key in expected}
    return model
