"""Gradient clipping by the global norm: every gradient scaled by one factor, so the direction
of the whole gradient is kept."""

from __future__ import annotations

import math

import numpy as np

from ..activations import Array
from ..schedules import _check_number


def global_norm(grads: dict[str, Array]) -> float:
    """sqrt(sum over every array of sum(g**2)): the L2 norm of all gradients as one vector."""
    # NOTE: vdot flattens without a copy and accumulates in the arrays' dtype; float32 is
    # precise enough to decide on clipping.
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads: dict[str, Array], max_norm: float) -> float:
    """Scale every gradient by max_norm / norm when their global norm exceeds max_norm.

    The scaling is in place and common to all arrays, so the direction of the whole gradient is
    kept and its norm becomes max_norm. Returns the norm before clipping. A non-finite norm
    (the training diverged) leaves the gradients as they are; check the returned value.
    """
    max_norm = _check_number("clip_by_global_norm", "max_norm", max_norm, "> 0", lambda x: x > 0)
    norm = global_norm(grads)
    if max_norm < norm < math.inf:
        scale = max_norm / norm
        for g in grads.values():
            g *= scale
    return norm
