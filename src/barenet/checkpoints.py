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
``TrainingRun.restore`` then checks every value against the network and the optimizer before
it changes anything.

For the model files users share, see ``saving.py``; a checkpoint is for resuming training.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _npz
from ._files import atomic_write, open_bounded
from ._json import dumps_strict, loads_strict

FORMAT = "barenet-checkpoint"
VERSION = 1
MAX_FILE_BYTES = 4 * 2**30  # a 1 GiB model with Adam's two moments, and some room
_MAX_META = 16 * 2**20


class CheckpointError(ValueError):
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
    format's name and version; what they must match is ``TrainingRun.restore``'s to check.
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
