"""Argument checks shared by the network's inputs (``inputs.py``), training and the schedules.

``whole_number`` is the one check of a count (``epochs``, ``batch_size``, ``decay_steps``...):
it refuses what Python would quietly accept as a number, True and 1.7, with a message that
names the argument, what is allowed and what was received.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def whole_number(name: str, value: object, minimum: int, *, floats: bool = False) -> int:
    """``value`` as an int when it is a whole number >= minimum, else a ValueError.

    Python and NumPy integers are whole numbers; bools are not (True is no count), nor are
    strings ("3"). With ``floats``, a float of whole value is one too (1e4 is taken as 10000),
    for arguments people write in scientific notation. The message reads
    "<name> must be a whole number >= <minimum>; received <value>".
    """
    number: int | None = None
    if isinstance(value, bool | np.bool_):
        pass
    elif isinstance(value, Integral):
        number = int(value)
    elif floats and isinstance(value, Real):
        x = float(value)
        if math.isfinite(x) and x.is_integer():
            number = int(x)
    if number is None:
        raise ValueError(f"{name} must be a whole number >= {minimum}; received {value!r}")
    if number < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; received {value}")
    return number
