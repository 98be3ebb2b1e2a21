"""Strict JSON for the files barenet reads: one parser that refuses what a trusted file never holds.

``loads_strict`` is ``json.loads`` with limits, checked before or while parsing, never by catching
``RecursionError`` after the fact: nesting deeper than ``MAX_DEPTH`` (counted on the raw text,
outside strings, before ``json.loads`` runs), duplicate keys, the ``NaN``/``Infinity`` literals,
numbers longer than ``MAX_NUMBER_DIGITS`` characters and floats that overflow to infinity. Every
refusal is ``error(message)``, with the reader's own error class. ``shorten`` keeps what a
message quotes from a hostile file short. Left out: what the parsed values mean (the readers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_DEPTH = 64  # barenet's own files nest 6 levels deep at most
MAX_NUMBER_DIGITS = 40  # a float64 needs 17 significant digits and an exponent; an index 20


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: for quoting a hostile file in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text, ignoring brackets inside strings.

    Vectorized, so a hostile megabyte of ``[[[[`` costs milliseconds, not a recursion: escaped
    backslashes and quotes are dropped first, then the quotes that remain delimit the strings.
    """
    raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    a = np.frombuffer(raw, np.uint8)
    outside = (np.cumsum(a == ord('"'), dtype=np.int32) & 1) == 0  # a closing quote is outside
    step = (outside & ((a == ord("[")) | (a == ord("{")))).astype(np.int8)
    step -= outside & ((a == ord("]")) | (a == ord("}")))
    return max(int(np.cumsum(step, dtype=np.int32).max()), 0) if a.size else 0


def loads_strict(
    text: str | bytes,
    error: Callable[[str], Exception],
    what: str,
    *,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse JSON ``text`` (UTF-8 if bytes), refusing what barenet never writes; see the module.

    ``what`` names the text in messages, e.g. "/tmp/m.safetensors: the header"; ``max_depth``
    is the deepest nesting read (a request body needs far less than a file).
    Raises ``error(message)`` for malformed or refused JSON; nothing else escapes.
    """
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise error(f"{what} is not UTF-8 text (byte {err.start}), so not valid JSON") from None
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise error(f"{what} nests {depth} levels deep; at most {max_depth} are read")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise error(f"{what} has the key {shorten(key)} twice")
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise error(f"{what} holds {name}; only finite numbers are read")

    def integer(digits: str) -> int:
        if len(digits) > MAX_NUMBER_DIGITS:
            raise error(f"{what} holds a {len(digits)}-digit number; at most {MAX_NUMBER_DIGITS}")
        return int(digits)

    def real(digits: str) -> float:
        if len(digits) > MAX_NUMBER_DIGITS:
            raise error(
                f"{what} holds a {len(digits)}-character number; at most {MAX_NUMBER_DIGITS}"
            )
        value = float(digits)
        if not math.isfinite(value):
            raise error(f"{what} holds {shorten(digits)}, which overflows a float")
        return value

    try:
        return json.loads(
            text,
            object_pairs_hook=pairs,
            parse_constant=constant,
            parse_int=integer,
            parse_float=real,
        )
    except json.JSONDecodeError as err:
        raise error(f"{what} is not valid JSON ({err.msg} at character {err.pos})") from None


def dumps_strict(value: Any) -> str:
    """``json.dumps`` refusing NaN and infinity (ValueError), so ``loads_strict`` reads it back."""
    return json.dumps(value, allow_nan=False)
