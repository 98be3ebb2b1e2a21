"""Training checkpoints: everything needed to resume ``fit`` exactly where it stopped.

A checkpoint holds the weights, the optimizer's state, the random generator's state, the
number of completed epochs and the history so far, in one ``.npz`` file: arrays under
``param/<key>`` and ``optimizer/<key>``, the rest as JSON text under ``meta``. It is read with
``allow_pickle=False``, so loading never runs code. Files are written atomically: a temporary
file in the same directory, flushed to disk, then renamed over the target, so a crash leaves
either the old file or the new one, never half of one (``atomic_write``, from ``_files.py``).

For the model files users share, see ``saving.py``; a checkpoint is for resuming training.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

from ._files import atomic_write

FORMAT = "barenet-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: missing, corrupt, or for another network."""


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    params: dict[str, np.ndarray],
    optimizer_state: dict[str, np.ndarray],
    meta: dict[str, Any],
) -> None:
    """Write a checkpoint atomically. ``meta`` must be JSON-serializable."""
    arrays = {f"param/{k}": v for k, v in params.items()}
    arrays.update({f"optimizer/{k}": np.asarray(v) for k, v in optimizer_state.items()})
    arrays["meta"] = np.array(json.dumps({"format": FORMAT, "version": VERSION, **meta}))
    with atomic_write(path) as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


def load_checkpoint(
    path: str | os.PathLike[str],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    """Read a checkpoint: (params, optimizer_state, meta). Raises CheckpointError."""

    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{path}: {why}")

    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise fail("no such checkpoint file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise fail(f"not a readable checkpoint ({err})") from None
    if "meta" not in arrays:
        raise fail("not a barenet checkpoint (no 'meta' entry)")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except json.JSONDecodeError as err:
        raise fail(f"corrupt metadata ({err})") from None
    if meta.get("format") != FORMAT:
        raise fail(f"not a barenet checkpoint (format {meta.get('format')!r})")
    if meta.get("version") != VERSION:
        raise fail(f"checkpoint version {meta.get('version')!r}; this barenet reads {VERSION}")
    params = {k[6:]: v for k, v in arrays.items() if k.startswith("param/")}
    state = {k[10:]: v for k, v in arrays.items() if k.startswith("optimizer/")}
    return params, state, meta
