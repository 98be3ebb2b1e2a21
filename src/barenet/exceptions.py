"""The warnings barenet emits; the errors live beside the code that raises them.

Both are ``UserWarning``s, so Python shows each once per place by default, and
``warnings.simplefilter("error", barenet.DataWarning)`` turns one into an exception.
``warn`` issues them so that they name the line of your code that called barenet.
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType


class DataWarning(UserWarning):
    """Data that will train badly or was not what it claimed: unscaled pixels, a cached file
    that had to be fetched again."""


class ConvergenceWarning(UserWarning):
    """Training stopped because its epochs ran out while the loss was still improving
    (scikit-learn's meaning: raise ``epochs`` or ``max_iter``)."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn``, attributed to the first caller outside barenet: the warning shows
    the user's line (``model.fit(...)``), not barenet's, however deep the call."""
    # NOTE: stacklevel 2 is warn's caller, sys._getframe(1); each barenet frame adds one
    frame: FrameType | None = sys._getframe(1)
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)
