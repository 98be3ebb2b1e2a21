"""_json.py: the strict JSON every reader uses, refusing before or while parsing."""

import json

import pytest

from barenet._json import MAX_DEPTH, dumps_strict, loads_strict, nesting_depth, shorten


class Refused(ValueError):
    pass


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [[1], {"b": []}]}', 4),
        (b'["[[[[", "]]]]", "{"]', 1),  # brackets inside strings do not count
        (b'["\\"[[[", "\\\\", [2]]', 2),  # escaped quotes and backslashes do not end strings
        (b'{"k\\\\": [[0]]}', 3),
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth
    json.loads(text)  # each is valid JSON, so the depth is the parser's


def test_too_deep_is_refused_without_recursion():
    text = "[" * 1_000_000 + "]" * 1_000_000  # json.loads itself would raise RecursionError
    with pytest.raises(Refused, match=f"T nests 1000000 levels deep; at most {MAX_DEPTH}"):
        loads_strict(text, Refused, "T")
    assert loads_strict("[" * MAX_DEPTH + "]" * MAX_DEPTH, Refused, "T") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "T has the key 'a' twice"),
        ('[{"x": {"a": 1, "b": 2, "a": 3}}]', "T has the key 'a' twice"),
        ("[NaN]", "T holds NaN; only finite numbers"),
        ('{"v": -Infinity}', "T holds -Infinity"),
        ("1e400", "T holds '1e400', which overflows a float"),
        ("9" * 41, "T holds a 41-digit number; at most 40"),
        ("0." + "1" * 60, "T holds a 62-character number"),
        ('{"a": }', "T is not valid JSON"),
        (b"\xff\xfe", r"T is not UTF-8 text \(byte 0\)"),
    ],
)
def test_what_barenet_never_writes_is_refused(text, message):
    with pytest.raises(Refused, match=message):
        loads_strict(text, Refused, "T")


def test_round_trip_and_shorten():
    value = {"a": [1, 2.5, "x"], "b": {"c": None, "d": True}}
    assert loads_strict(dumps_strict(value), Refused, "T") == value
    with pytest.raises(ValueError):
        dumps_strict({"loss": float("nan")})
    assert shorten("x" * 1000, 20) == "'xxxxxxxxxxxxxxxx..." and len(shorten("x" * 1000)) == 60
