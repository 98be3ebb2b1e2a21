"""No subnormal numbers in an optimizer's state.

An entry whose gradient stays 0 (a pixel that is almost always blank) only decays,
``m *= beta1`` step after step, until it falls below the smallest normal number of its dtype,
where every multiplication is many times slower on x86. So every few steps (``flush_interval``:
as many as it takes the fastest-decaying state to shrink 1000-fold, 65 for beta1 = 0.9) each
state entry smaller than the smallest normal number times 1000 (at most) is set to 0: none can
turn subnormal before the next flush, and such an entry is far too small to move a parameter.
The flush costs one pass over the state every ``flush_interval`` steps (65 for Adam's defaults).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..activations import Array


def flush_interval(decays: Sequence[float]) -> int:
    """Steps between two flushes: the fewest that shrink a state 1000-fold, over ``decays``,
    what each state array is multiplied by at a step whose gradient is 0."""
    return min(_steps_to_shrink_1000_fold(d) for d in decays)


def flush_subnormals(
    state: dict[str, list[Array]],
    scratch: dict[str, list[Array]],
    decays: Sequence[float],
    every: int,
) -> None:
    """Set to 0 each state entry too small to stay normal until the next flush, ``every`` steps
    on: |s| < tiny / decay**every, where tiny is the dtype's smallest normal number.

    ``state`` and ``scratch`` are an optimizer's, keyed by parameter: its state arrays (in the
    order of ``decays``) and its scratch buffers, the first of which the flush overwrites.
    """
    for key, arrays in state.items():
        buffers = scratch.get(key)
        if buffers is None:
            continue
        tmp = buffers[0]
        for s, decay in zip(arrays, decays, strict=True):
            threshold = float(np.finfo(s.dtype).tiny) / (decay**every if decay else 1.0)
            np.abs(s, out=tmp)
            np.greater_equal(tmp, threshold, out=tmp)  # 1.0 where s stays, 0.0 where not
            s *= tmp


def _steps_to_shrink_1000_fold(decay: float) -> int:
    """How many multiplications by ``decay`` it takes to shrink a number 1000-fold, from 1
    to 1000 (a state that does not decay, decay 0, is flushed every 1000 steps)."""
    if decay <= 0.0:
        return 1000
    return max(1, min(1000, int(math.log(1e-3) / math.log(decay))))
