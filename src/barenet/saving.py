"""Model files: a trained network in one safetensors file, safe to load from anyone.

``model.save(path)`` writes the parameters (``W1, b1, ...``) as safetensors tensors and the
architecture as JSON in the file's metadata: the format version, each layer's size, activation
(name and parameters), initializer and dropout, the loss, the dtype, the barenet version and
a summary of the training. ``barenet.load(path)`` rebuilds the network.

Loading never executes code and never unpickles, and only ``ModelFileError`` escapes, whatever
the bytes (``_safetensors.py`` reads the format by hand). In order, before anything is built:
the file must be a regular file of at most ``MAX_FILE_BYTES``; its header at most 4 MiB, JSON
without duplicate keys, NaN/Infinity, oversized numbers or deep nesting; the metadata a barenet
architecture of a supported version whose every name is in barenet's registries (activations,
initializers, losses) and every field of the right type; the tensors exactly the ones that
architecture implies, with its dtype and shapes, tiling the data with no overlap, gap or
trailing byte. Only then are the layers built (without drawing random weights) and the tensors
read, each into an array of its checked size; NaN or infinite weights are refused too.
``save`` checks the same things before writing, so a saved file always loads. Saves are atomic
and keep a symbolic link and the file's permissions (``_files.atomic_write``).

Writing needs the optional extra ``barenet[files]`` (the safetensors package); reading does not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations, losses
from ._config import find
from ._files import atomic_write, open_bounded
from ._json import dumps_strict, loads_strict, shorten
from ._safetensors import check_layout, read_header, read_tensors
from .exceptions import ShortError, warn

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork

FORMAT = "barenet"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
MAX_FILE_BYTES = 2**30  # 1 GiB: 268 million float32 parameters; load(max_bytes=...) to change
_MAX_LAYERS = 1024
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


class ModelFileError(ShortError):
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


def _registered_init(init: Any, where: str) -> str | None:
    from .initializers import INITIALIZERS, name_of

    if init is None:
        return None
    entry = find(INITIALIZERS, init) if isinstance(init, str) else init  # as Layer resolves it
    for name, registered in INITIALIZERS.items():
        if registered is entry:
            return name  # the registry's own spelling: "HE_NORMAL" is saved as "he_normal"
    raise ModelFileError(
        f"cannot save {where}: its initializer {shorten(name_of(init))} is not in barenet's "
        f"registry ({sorted(INITIALIZERS)}); set layer.init to a registered name or None first"
    )


def architecture(model: DeepNeuralNetwork) -> dict[str, Any]:
    """The JSON-able description of a network that a model file stores."""
    from . import __version__

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
                "init": _registered_init(layer.init, f"layer {i}"),
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
    none included. ``save`` calls it before writing; ``barenet train`` is stricter, its
    ``--out`` must end in .safetensors."""
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
    """Write ``model`` to ``path`` as a safetensors file, atomically.

    Everything ``load`` checks is checked here first, so a saved file always loads: registered
    activations, initializers and loss; ``params`` with exactly the keys, shapes and dtype the
    architecture implies, finite; finite numbers in the metadata. Raises ``ModelFileError``.
    ``path`` should end in .safetensors: another format's suffix (.npz, .pkl, .pt, .h5, ...)
    raises ValueError, any other suffix warns (``check_suffix``).
    """
    check_suffix(path)
    st = _safetensors_numpy()
    meta = architecture(model)
    expected = _expected_tensors([layer.size for layer in model.layers], model.dtype)
    params = model.params
    where = f"cannot save {os.fspath(path)}"
    if sorted(params) != sorted(expected):
        raise ModelFileError(
            f"{where}: params holds {shorten(sorted(params), 150)}; the architecture needs "
            f"{sorted(expected)}"
        )
    for key, (_, shape) in expected.items():
        value = params[key]
        if not isinstance(value, np.ndarray) or value.dtype != model.dtype or value.shape != shape:
            found = f"{value.dtype} {value.shape}" if isinstance(value, np.ndarray) else type(value)
            raise ModelFileError(
                f"{where}: params[{key!r}] is {found}; the architecture needs {model.dtype} {shape}"
            )
        if not np.isfinite(value).all():
            raise ModelFileError(f"{where}: params[{key!r}] holds NaN or infinite values")
    text = architecture_text(model, meta, where)
    tensors = {key: np.ascontiguousarray(params[key]) for key in expected}
    data = st.save(tensors, metadata={FORMAT: text})
    with atomic_write(path) as f:
        f.write(data)


def architecture_text(model: DeepNeuralNetwork, meta: dict[str, Any], where: str) -> str:
    """``meta`` (``architecture(model)``) as the strict JSON that model files (and barenet's
    ONNX metadata) hold; ``ModelFileError`` starting with ``where`` for what a reader would
    refuse, such as NaN in the learning rate or the training summary, or more layers than
    ``load`` reads."""
    try:
        text = dumps_strict(meta)
    except ValueError:
        raise ModelFileError(
            f"{where}: its metadata holds NaN or infinity (learning_rate {model.learning_rate}, "
            f"training summary {shorten(meta['training'], 200)}); only finite numbers are written"
        ) from None
    # NOTE: what a reader would refuse: the strict JSON, then load's own check of the
    # architecture (layer count, sizes, names), so that a written file always reads back
    _check_architecture(where, loads_strict(text, ModelFileError, f"{where}: its metadata"))
    return text


def _expected_tensors(sizes: list[int], dtype: np.dtype[Any]) -> dict[str, tuple[str, tuple]]:
    """key -> (safetensors dtype code, shape) of every parameter, for layer ``sizes``."""
    code = "F32" if dtype == np.float32 else "F64"
    out: dict[str, tuple[str, tuple]] = {}
    for l in range(1, len(sizes)):
        out[f"W{l}"] = (code, (sizes[l - 1], sizes[l]))
        out[f"b{l}"] = (code, (sizes[l],))
    return out


# ------------------------------------------------------------------------------------- loading

_TOP_KEYS = {"format", "format_version", "barenet_version", "dtype", "layers", "loss"}
_TOP_KEYS |= {"loss_config", "learning_rate", "training"}
_LAYER_KEYS = {"size", "activation", "activation_config", "init", "dropout"}


def _read_meta(path: Path, metadata: Any) -> dict[str, Any]:
    """barenet's architecture from the safetensors ``__metadata__``, parsed strictly."""
    text = metadata.get(FORMAT) if isinstance(metadata, dict) else None
    if not isinstance(text, str) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError(
            f"{path}: a safetensors file without barenet's metadata; it was not written by "
            "model.save"
        )
    meta = loads_strict(text, ModelFileError, f"{path}: the barenet metadata")
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: the barenet metadata is not a barenet model description")
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        raise ModelFileError(
            f"{path}: model file format version {shorten(version)}; this barenet reads versions "
            f"{list(SUPPORTED_VERSIONS)}. Upgrade barenet to load it."
        )
    return meta


def _check_architecture(path: Path | str, meta: dict[str, Any]) -> list[int]:
    """Check every field of the metadata's types and names; return the layer sizes.

    Nothing is built here: the sizes are checked against the tensors first, so that a small file
    declaring huge layers never allocates them.
    """
    from .initializers import INITIALIZERS

    def fail(why: str) -> ModelFileError:
        return ModelFileError(f"{path}: invalid architecture in the metadata: {why}")

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    if not _TOP_KEYS >= meta.keys():
        raise fail(f"unexpected keys {shorten(sorted(meta.keys() - _TOP_KEYS))}")
    layers = meta.get("layers")
    if not isinstance(layers, list) or not 2 <= len(layers) <= _MAX_LAYERS:
        raise fail(f"'layers' must be a list of 2 to {_MAX_LAYERS} layers, found {shorten(layers)}")
    sizes = []
    for i, spec in enumerate(layers):
        if not isinstance(spec, dict) or not _LAYER_KEYS >= spec.keys():
            raise fail(
                f"layer {i} is {shorten(spec)}; expected an object with {sorted(_LAYER_KEYS)}"
            )
        size, name, init = spec.get("size"), spec.get("activation"), spec.get("init")
        if type(size) is not int or size < 1:
            raise fail(f"layer {i} has size {shorten(size)}; expected a whole number >= 1")
        if not isinstance(name, str) or name not in activations.ACTIVATIONS:
            raise ModelFileError(
                f"{path}, layer {i}: unknown activation {shorten(name)}; "
                f"known: {sorted(activations.ACTIVATIONS)}. If it is your own class, "
                "barenet.register it before loading"
            )
        if init is not None and (not isinstance(init, str) or init not in INITIALIZERS):
            raise ModelFileError(
                f"{path}, layer {i}: unknown initializer {shorten(init)}; "
                f"known: {sorted(INITIALIZERS)}"
            )
        if not isinstance(spec.get("activation_config", {}), dict):
            raise fail(f"layer {i}: activation_config must be an object")
        if not number(spec.get("dropout", 0.0)):
            raise fail(f"layer {i} has dropout {shorten(spec.get('dropout'))}; expected a number")
        sizes.append(size)
    loss = meta.get("loss")
    if not isinstance(loss, str) or loss not in losses.LOSSES:
        raise ModelFileError(
            f"{path}: unknown loss {shorten(loss)}; known: {sorted(losses.LOSSES)}. "
            "If it is your own class, barenet.register it before loading"
        )
    if meta.get("dtype") not in ("float32", "float64"):
        raise fail(f"dtype {shorten(meta.get('dtype'))}; expected 'float32' or 'float64'")
    if not number(meta.get("learning_rate", 0.1)):
        raise fail(f"learning_rate {shorten(meta.get('learning_rate'))}; expected a number")
    for key in ("loss_config", "training"):
        if not isinstance(meta.get(key, {}), dict):
            raise fail(f"{key!r} must be an object, found {shorten(meta.get(key))}")
    if not isinstance(meta.get("barenet_version", ""), str):
        raise fail("'barenet_version' must be text")
    return sizes


def _build(path: Path, meta: dict[str, Any]) -> DeepNeuralNetwork:
    """The network a checked architecture describes, with registry lookups only and no
    parameters: ``load`` sets those from the file."""
    from .layers import Layer
    from .network import DeepNeuralNetwork

    try:
        layers = []
        for i, spec in enumerate(meta["layers"]):
            where = f"layer {i}"
            act = activations.ACTIVATIONS[spec["activation"]](**spec.get("activation_config", {}))
            layers.append(Layer(spec["size"], act, spec.get("init"), spec.get("dropout", 0.0)))
        where = "the loss"
        loss = losses.LOSSES[meta["loss"]](**meta.get("loss_config", {}))
        where = "the network"
        model = DeepNeuralNetwork(
            layers,
            learning_rate=meta.get("learning_rate", 0.1),
            loss=loss,
            dtype=np.dtype(meta["dtype"]),
            _init=False,
        )
    except (TypeError, ValueError) as err:
        raise ModelFileError(
            f"{path}: invalid architecture in the metadata: {where}: {shorten(str(err), 200)}"
        ) from None
    model.training_summary = meta.get("training", {})
    return model


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> DeepNeuralNetwork:
    """Read a model file written by ``model.save``; raises ``ModelFileError`` for anything else.

    Nothing is allocated beyond what the file holds: a regular file of at most ``max_bytes``
    bytes, whose header (at most 4 MiB) and architecture are checked against each other before
    any tensor is read or any layer built. See the module docstring for what is refused.
    """
    path = Path(path)
    try:
        with open_bounded(path, max_bytes, ModelFileError, "model file") as (f, size):
            header, start = read_header(f, size, ModelFileError, str(path))
            meta = _read_meta(path, header.pop("__metadata__", None))
            sizes = _check_architecture(path, meta)
            expected = _expected_tensors(sizes, np.dtype(meta["dtype"]))
            tensors = check_layout(header, expected, size - start, ModelFileError, str(path))
            model = _build(path, meta)
            dtypes = {key: model.dtype for key in expected}
            params = read_tensors(f, tensors, dtypes, ModelFileError, str(path))
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except OSError as err:
        raise ModelFileError(f"{path}: cannot read ({err.strerror or err})") from None
    except ModelFileError as err:
        if path.suffix.lower() != ".onnx":
            raise
        raise ModelFileError(
            f"{str(err).rstrip('.')}. It is named .onnx: read an ONNX file with "
            "barenet.from_onnx(path), then save it with model.save('model.safetensors') for "
            "the command line"
        ) from None
    for key, value in params.items():
        if not np.isfinite(value).all():
            raise ModelFileError(f"{path}: tensor {key} holds NaN or infinite values")
    model.params = {key: params[key] for key in expected}
    return model
