"""What every check uses: the learner's workbook, the verdict, and comparisons that explain.

A check raises ``Fail(hint)`` when the learner's answer is wrong; the hint names what is wrong
(a shape, a sign, a factor, a missing mask) and, failing that, the first wrong number with the
inputs that gave it. An exception in the learner's own code is described by
``describe_exception``: its type, its message, and the file, line and code where it happened.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..activations import Array
from .workbook import load_module

#: tolerances of every comparison: loose enough for float32 or reordered sums in the learner's
#: code, tight enough that every mistake in the catalogue is far outside them
RTOL, ATOL = 1e-5, 1e-8

Where = Callable[[tuple[int, ...]], str]
Variants = Sequence[tuple[str, Any]]


class Fail(Exception):
    """The learner's answer is wrong; the message is the hint."""


class Workbook:
    """A learner's workbook folder: its files, each loaded (run) once, on first use."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).resolve()
        self._loaded: dict[str, ModuleType | BaseException] = {}

    def module(self, file: str) -> ModuleType:
        """The learner's file as a module; the same exception again if it failed to load."""
        if file not in self._loaded:
            path = self.directory / file
            if not path.is_file():
                raise Fail(
                    f"{file} is missing from {self.directory}. Write a fresh workbook into "
                    f"another folder (barenet exercises OTHER_DIR) and copy {file} from there."
                )
            try:
                self._loaded[file] = load_module(path)
            except Exception as err:
                self._loaded[file] = err
        loaded = self._loaded[file]
        if isinstance(loaded, BaseException):
            raise loaded
        return loaded

    def get(self, file: str, name: str) -> Any:
        """What the learner's file defines under ``name``, or Fail when it defines nothing."""
        value = getattr(self.module(file), name, None)
        if value is None:
            raise Fail(f"{file} defines no {name}: keep the name the workbook gave it")
        return value


def as_array(value: Any, what: str) -> Array:
    """``value`` as a float64 array, or Fail saying what it is instead."""
    if value is None:
        raise Fail(f"{what} is None: did you forget to return it?")
    try:
        array = np.asarray(value)
    except Exception:
        raise Fail(f"{what} is a {type(value).__name__}, not an array of numbers") from None
    if array.dtype.kind not in "biuf":
        raise Fail(f"{what} is a {type(value).__name__}, not an array of numbers")
    return array.astype(np.float64)


def close(got: Array, expected: Any) -> bool:
    """Same shape and the same numbers (NaN where the other has NaN), within RTOL and ATOL."""
    expected = np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    )


def expect_array(
    value: Any,
    expected: Any,
    what: str,
    *,
    variants: Variants = (),
    where: Where | None = None,
    nonfinite: str = "",
    factors: Mapping[float, str] | None = None,
) -> None:
    """Pass when ``value`` equals ``expected``; else Fail with the most specific hint.

    In order: a known mistake (``variants``: pairs of hint and the wrong answer it gives), the
    shape, NaN or inf (``nonfinite`` says why they arise), a constant factor (``factors`` names
    some, e.g. {n: "..."}; -1 is a sign), and else the first wrong element, described by
    ``where(index)``.
    """
    got = as_array(value, what)
    expected = np.asarray(expected, dtype=np.float64)
    if close(got, expected):
        return
    for hint, variant in variants:
        if close(got, variant):
            raise Fail(hint)
    if got.shape != expected.shape:
        raise Fail(f"{what} has shape {got.shape}; expected {expected.shape}")
    finite = np.isfinite(got)
    if not finite.all() and np.isfinite(expected).all():
        i = _first(~finite)
        at = f" for {where(i)}" if where else ""
        raise Fail(f"{what} holds {got[i]}{at}" + (f": {nonfinite}" if nonfinite else ""))
    factor = _constant_factor(got, expected)
    if factor is not None:
        for c, hint in (factors or {}).items():
            if np.isclose(factor, c, rtol=1e-4):
                raise Fail(hint)
        if np.isclose(factor, -1.0, rtol=1e-4):
            raise Fail(f"a sign: {what} is the negative of the right answer")
        raise Fail(f"off by a constant factor: {what} is {factor:.4g} times the right answer")
    wrong = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    i = _first(wrong)
    at = f" for {where(i)}" if where else f" at {list(i)}"
    raise Fail(f"wrong values: {what} is {got[i]:.6g}{at}; expected {expected[i]:.6g}")


def _first(mask: Array) -> tuple[int, ...]:
    return tuple(int(j) for j in np.argwhere(mask)[0])


def _constant_factor(got: Array, expected: Array) -> float | None:
    """c when got = c * expected everywhere (c not 0 or 1), else None."""
    nonzero = np.abs(expected) > ATOL
    if not nonzero.any() or not np.allclose(got[~nonzero], 0.0, atol=ATOL):
        return None
    ratios = got[nonzero] / expected[nonzero]
    c = float(ratios.flat[0])
    if c == 0 or np.isclose(c, 1.0) or not np.allclose(ratios, c, rtol=1e-4):
        return None
    return c


def grid(name: str, array: Array) -> Where:
    """A ``where`` that names an element of one input: "z[1, 2] = -0.5"."""

    def where(i: tuple[int, ...]) -> str:
        return f"{name}[{', '.join(map(str, i))}] = {array[i]:.6g}"

    return where


def describe_exception(err: BaseException, directory: Path, hints: Mapping[str, str]) -> str:
    """A FAIL hint for an exception: not written yet, or what was raised, where, and a tip.

    ``hints`` maps a piece of "ExceptionType: message" to a tip for that exercise, e.g.
    "matmul" to why the shapes of a product did not line up.
    """
    if isinstance(err, SyntaxError) and err.filename and Path(err.filename).parent == directory:
        code = f": {err.text.strip()}" if err.text else ""
        return f"SyntaxError in {Path(err.filename).name}, line {err.lineno}{code} ({err.msg})"
    frames = [
        frame
        for frame in traceback.extract_tb(err.__traceback__)
        if Path(frame.filename).resolve().parent == directory
    ]
    if isinstance(err, NotImplementedError) and frames:
        frame = frames[-1]
        return (
            "not written yet: write your code in place of the raise NotImplementedError "
            f"({Path(frame.filename).name}, line {frame.lineno})"
        )
    text = f"{type(err).__name__}: {err}".strip()
    if frames:
        frame = frames[-1]
        line = f": {frame.line}" if frame.line else ""
        message = (
            f"your code raised {text} ({Path(frame.filename).name}, line {frame.lineno}{line})"
        )
    else:
        message = f"the check could not use what your code returned: {text}"
    tips = [tip for piece, tip in hints.items() if piece.lower() in text.lower()]
    return f"{message}. {tips[0]}" if tips else message
