"""Training checkpoints: everything needed to resume ``fit`` exactly where it stopped.

A checkpoint holds the weights, the optimizer's state, the random generator's state, the
number of completed epochs and the history so far, in one ``.npz`` file: arrays under
``param/<key>`` and ``optimizer/<key>``, the rest as JSON text under ``meta``. Files are written
atomically: a temporary file in the same directory, flushed to disk, then renamed over the
target, so a crash leaves either the old file or the new one, never half of one
(``atomic_write``, from ``_files.py``).

Reading is closed and bounded: only ``CheckpointError`` escapes, whatever the bytes. The file
must be a regular file of at most ``MAX_FILE_BYTES``; the archive is read by ``_npz.read_npz``
(declared sizes checked before reading, numeric arrays only, never a pickle) and ``meta`` by
``_json.loads_strict`` (no duplicate keys, NaN, oversized numbers or deep nesting).

``save_run`` writes a ``fit``'s state (its ``TrainingRun``) into a checkpoint, and
``restore_run`` reads one back into a run, checking every value against the network and the
optimizer before it changes anything.

For the model files users share, see ``saving.py``; a checkpoint is for resuming training.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _npz, optimizers
from ._files import atomic_write, open_bounded
from ._json import dumps_strict, loads_strict
from .exceptions import ShortError

if TYPE_CHECKING:
    from .training import TrainingRun

FORMAT = "barenet-checkpoint"
VERSION = 1
MAX_FILE_BYTES = 4 * 2**30  # a 1 GiB model with Adam's two moments, and some room
_MAX_META = 16 * 2**20


class CheckpointError(ShortError):
    """A checkpoint file that cannot be used: missing, corrupt, or for another network."""


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    params: dict[str, np.ndarray],
    optimizer_state: dict[str, np.ndarray],
    meta: dict[str, Any],
) -> None:
    """Write a checkpoint atomically. ``meta`` must be JSON-serializable, with finite numbers
    (``load_checkpoint`` refuses NaN); a non-finite value raises ``CheckpointError``."""
    arrays = {f"param/{k}": v for k, v in params.items()}
    arrays.update({f"optimizer/{k}": np.asarray(v) for k, v in optimizer_state.items()})
    try:
        text = dumps_strict({"format": FORMAT, "version": VERSION, **meta})
    except ValueError:
        raise CheckpointError(
            f"cannot write {os.fspath(path)}: the history or state holds NaN or infinity"
        ) from None
    loads_strict(text, CheckpointError, f"cannot write {os.fspath(path)}: its metadata")
    arrays["meta"] = np.array(text)
    with atomic_write(path) as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


def load_checkpoint(
    path: str | os.PathLike[str],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    """Read a checkpoint: (params, optimizer_state, meta). Raises CheckpointError.

    params are float arrays, optimizer_state numeric arrays, meta a JSON object with this
    format's name and version; what they must match is ``restore_run``'s to check.
    """
    shown = os.fspath(path)

    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{shown}: {why}")

    try:
        with open_bounded(path, MAX_FILE_BYTES, CheckpointError, "checkpoint file") as (f, size):
            arrays = _npz.read_npz(
                f, size, CheckpointError, shown, max_bytes=MAX_FILE_BYTES + _MAX_META, kinds="biufU"
            )
    except FileNotFoundError:
        raise fail("no such checkpoint file") from None
    except OSError as err:
        raise fail(f"cannot read ({err.strerror or err})") from None
    text = arrays.pop("meta", None)
    if text is None:
        raise fail("not a barenet checkpoint (no 'meta' entry)")
    if text.shape != () or text.dtype.kind != "U" or text.dtype.itemsize > 4 * _MAX_META:
        raise fail(f"not a barenet checkpoint ('meta' is {text.dtype} {text.shape}, not text)")
    meta = loads_strict(str(text), CheckpointError, f"{shown}: the metadata")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise fail(f"not a barenet checkpoint (format {str(found)[:60]!r})")
    if type(meta.get("version")) is not int or meta.get("version") != VERSION:
        raise fail(
            f"checkpoint version {str(meta.get('version'))[:20]!r}; this barenet reads {VERSION}"
        )
    params, state = {}, {}
    for name, array in arrays.items():
        group, _, key = name.partition("/")
        if group == "param" and key and array.dtype.kind == "f":
            params[key] = array
        elif group == "optimizer" and key and array.dtype.kind in "biuf":
            state[key] = array
        else:
            raise fail(f"unexpected member {name[:60]!r} ({array.dtype} {array.shape[:8]})")
    return params, state, meta


def save_run(run: TrainingRun, path: str, epochs_done: int) -> None:
    """Write a run's weights, optimizer state, random state, completed epochs and history."""
    save_checkpoint(
        path,
        params=run.model.params,
        optimizer_state=run.optimizer.state_dict(),
        meta={
            "epochs_done": epochs_done,
            "optimizer": optimizers.serialize(run.optimizer),
            "rng": run.rng.bit_generator.state,
            "history": {"epoch": run.history.epoch, "history": run.history.history},
            "layer_sizes": [layer.size for layer in run.model.layers],
        },
    )


def restore_run(run: TrainingRun, path: str) -> int:
    """Load a checkpoint into a run; returns the number of epochs it had completed.

    Everything is checked before anything changes (raises ``CheckpointError``): the layer
    sizes, each parameter's key, shape, dtype and finiteness, the optimizer's name and
    state, the random state, the history and the epoch count.
    """
    params, state, meta = load_checkpoint(path)
    model = run.model

    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{path}: {why}")  # NOTE: at most 500 characters (ShortError)

    for name in ("layer_sizes", "optimizer", "rng", "history", "epochs_done"):
        if name not in meta:
            raise fail(f"incomplete or corrupt checkpoint (KeyError: no {name!r} in its meta)")
    sizes = [layer.size for layer in model.layers]
    if meta.get("layer_sizes") != sizes:
        raise fail(
            f"written for layer sizes {meta.get('layer_sizes')}, but this network has {sizes}"
        )
    if sorted(params) != sorted(model.params):
        raise fail(f"holds parameters {sorted(params)}; this network has {sorted(model.params)}")
    for key, value in model.params.items():
        found = params[key]
        if found.shape != value.shape or found.dtype != value.dtype:
            raise fail(
                f"{key} should be {value.dtype} {value.shape}; found {found.dtype} {found.shape}"
            )
        if not np.isfinite(found).all():
            raise fail(f"{key} holds NaN or infinite values")
    for full_key, value in state.items():
        key = full_key.partition("/")[2]
        if full_key != "iterations" and (
            key not in params or value.shape != params[key].shape or not np.isfinite(value).all()
        ):
            raise fail(f"optimizer state {full_key} ({value.dtype} {value.shape}) does not fit")
    optimizer, history, epochs_done = (
        meta.get("optimizer"),
        meta.get("history"),
        meta.get("epochs_done"),
    )
    saved = optimizer.get("name") if isinstance(optimizer, dict) else None
    if saved != run.optimizer.name:
        raise fail(
            f"written by optimizer {str(saved)[:40]!r}, but this fit uses "
            f"{run.optimizer.name!r}; pass the same optimizer to resume"
        )
    if type(epochs_done) is not int or epochs_done < 0:
        raise fail(f"epochs_done is {str(epochs_done)[:40]!r}; expected a whole number >= 0")
    if not (
        isinstance(history, dict)
        and isinstance(history.get("epoch"), list)
        and all(type(e) is int for e in history["epoch"])
        and isinstance(history.get("history"), dict)
        and all(
            isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)
            for v in history["history"].values()
        )
    ):
        raise fail("its history is not {'epoch': [int, ...], 'history': {name: [number, ...]}}")
    rng = np.random.Generator(type(run.rng.bit_generator)())
    try:  # NOTE: on a scratch generator first, so a bad state changes nothing
        rng.bit_generator.state = meta["rng"]
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise fail(f"bad random generator state ({str(err)[:120]})") from None
    try:
        run.optimizer.load_state_dict(state)
    except ValueError as err:
        raise fail(f"bad optimizer state ({str(err)[:200]})") from None
    for key, value in model.params.items():
        np.copyto(value, params[key])
    run.rng.bit_generator.state = rng.bit_generator.state
    run.history.epoch = list(history["epoch"])
    run.history.history = {k: list(v) for k, v in history["history"].items()}
    return epochs_done
