"""The warnings barenet emits, and the base of its reader errors (which live beside the code
that raises them).

Both are ``UserWarning``s, so Python shows each once per place by default, and
``warnings.simplefilter("error", barenet.DataWarning)`` turns one into an exception.
``warn`` issues them so that they name the line of your code that called barenet.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from types import FrameType


class DataWarning(UserWarning):
    """Data that will train badly or was not what it claimed: unscaled pixels, a cached file
    that had to be fetched again."""


class ConvergenceWarning(UserWarning):
    """Training stopped because its epochs ran out while the loss was still improving
    (scikit-learn's meaning: raise ``epochs`` or ``max_iter``)."""


#: the longest message a reader error carries
MAX_MESSAGE = 500


class ShortError(ValueError):
    """A ``ValueError`` whose message is at most MAX_MESSAGE characters, the base of
    ``ModelFileError``, ``CheckpointError``, ``DataError`` and ``ImageError``. Their messages
    quote names taken from the file (its path, a tensor's or a node's name), which can be of any
    length; past the limit, the middle of the message gives way to " ... ". A subclass whose
    message is barenet's own report, of bounded length, may set ``limit = None``."""

    limit: int | None = MAX_MESSAGE

    def __init__(self, message: object = "", *args: object) -> None:
        text = str(message)
        super().__init__(text if self.limit is None else cut_middle(text, self.limit), *args)


def cut_middle(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` if it has at most ``limit`` characters, else its two ends around " ... ": the
    start names the file, the end says what was wrong."""
    if len(text) <= limit:
        return text
    head = (limit - 5) // 2
    return text[:head] + " ... " + text[len(text) - (limit - 5 - head) :]


_REPR = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>")  # e.g. <_io.BytesIO object at 0x7f3a...>


def without_reprs(text: str, instead: str = "the data") -> str:
    """``text`` with Python object reprs (``<_io.BytesIO object at 0x7f...>``, which other
    libraries put in their messages) replaced by ``instead``."""
    return _REPR.sub(instead, text)


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
