"""The bounded decoder in front of nio: any JSON text decodes to what ``json.loads`` gives,
except that containers deeper than the bound are cut; content bounds never recurse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopnet.matrix.bounded_json import (
    BoundedJsonModule,
    BoundsError,
    cut_deeper_than,
    loads,
    nesting_depth,
)
from coopnet.protocol.bounds import CONTENT, TEXT, TOO_DEEP, Bounds, content_problem

# Strings full of what the scanner must not take for structure.
tricky_text = st.text(alphabet='[]{}"\\:,ab\u00e9\U0001f600\n', max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=30,
)


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def cut(value: Any, max_depth: int, level: int = 1) -> Any:
    """What the decoder should give for ``value`` with ``max_depth``."""
    if isinstance(value, dict | list) and level > max_depth:
        return TOO_DEEP
    if isinstance(value, dict):
        return {k: cut(v, max_depth, level + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [cut(v, max_depth, level + 1) for v in value]
    return value


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@given(json_values, st.booleans())
def test_depth_is_measured_outside_strings(value: Any, pretty: bool) -> None:
    text = json.dumps(value, indent=1 if pretty else None, ensure_ascii=False)
    assert nesting_depth(text) == depth_of(value)


@given(json_values)
def test_text_within_bounds_decodes_as_json_does(value: Any) -> None:
    text = json.dumps(value)
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


@given(json_values, st.integers(1, 6))
def test_deeper_containers_are_cut_at_the_bound(value: Any, max_depth: int) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert json.loads(cut_deeper_than(text, max_depth)) == cut(value, max_depth)


@settings(max_examples=20, deadline=None)
@given(st.integers(TEXT.max_depth + 1, 200_000))
def test_any_nesting_decodes_without_recursion(depth: int) -> None:
    value = loads('{"type": "m.room.message", "content": ' + nested(depth) + "}")
    assert value["type"] == "m.room.message"
    assert content_problem(value["content"]) == "nested more than 32 levels deep"


def test_twenty_kilobytes_nested_thousands_deep() -> None:
    text = "[" * 10_000 + "]" * 10_000
    decoded = loads(text)
    # TEXT.max_depth levels kept, the innermost of them holding the cut.
    assert depth_of(decoded) == TEXT.max_depth


@pytest.mark.parametrize("text", ["[" * 100, '{"a": ' * 100, "[" * 100 + "]" * 99, "]]]["])
def test_unbalanced_text_is_a_decode_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(text)


def test_size_and_encoding_are_refused_as_decode_errors() -> None:
    small = Bounds(max_depth=8, max_items=8, max_string=8, max_nodes=8, max_bytes=10)
    with pytest.raises(BoundsError, match="at most 10"):
        loads('["' + "x" * 20 + '"]', small)
    with pytest.raises(json.JSONDecodeError, match="not UTF-8"):
        loads(b'["\xff"]')
    with pytest.raises(json.JSONDecodeError, match="digits"):
        loads("[" + "9" * 5_000 + "]")


def test_module_stand_in_keeps_the_rest_of_json() -> None:
    module = BoundedJsonModule()
    assert module.dumps({"a": 1}) == json.dumps({"a": 1})
    assert module.loads(nested(5_000))["a"]["a"] is not None
    assert issubclass(BoundsError, module.JSONDecodeError)


@given(json_values)
def test_content_within_bounds_passes(value: Any) -> None:
    assert content_problem(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"a": "x" * (CONTENT.max_string + 1)}, "a string of"),
        ({"a": list(range(CONTENT.max_items + 1))}, "items in one value"),
        ({str(i): i for i in range(CONTENT.max_items + 1)}, "members in one value"),
        ([[0] * 1000 for _ in range(25)], "more than 20000 values"),
        (json.loads(nested(CONTENT.max_depth + 1)), "levels deep"),
        ({"a": TOO_DEEP}, "levels deep"),
        ({"a": ["y" * 30_000, "z" * 30_000, "w" * 30_000]}, "bytes"),
    ],
)
def test_content_beyond_a_bound_says_which(value: Any, reason: str) -> None:
    problem = content_problem(value)
    assert problem is not None and reason in problem


def test_content_check_does_not_recurse() -> None:
    value: Any = 1
    for _ in range(100_000):
        value = [value]
    assert content_problem(value) == "nested more than 32 levels deep"
