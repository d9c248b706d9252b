"""Property tests: round trips, no exception on arbitrary JSON, schema ⇔ validator agreement."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from coopnet.protocol import EVENT_CLASSES, PAYLOAD_KEY, Event, ParseError, parse_content
from coopnet.protocol.fields import (
    FILENAME,
    Boolean,
    Choice,
    Day,
    Instant,
    Integer,
    ListOf,
    Nested,
    PartialDay,
    Spec,
    Text,
    check_partial_day,
    is_required,
    parse_day,
    parse_instant,
    spec_of,
)
from coopnet.protocol.schema import event_schema
from tests.unit.test_protocol_events import EXAMPLES

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def text_strategy(spec: Text) -> st.SearchStrategy[str]:
    def ok(s: str) -> bool:
        return spec.min_len <= len(s) <= spec.max_len and not re.search(spec.forbidden, s)

    if spec.pattern:
        return st.from_regex(spec.pattern, fullmatch=True).filter(ok)
    chars = st.characters(blacklist_categories=("Cs", "Cc"))
    if spec.multiline:
        chars = chars | st.sampled_from("\n\t")
    size = min(spec.max_len, 60)
    return st.text(chars, min_size=spec.min_len, max_size=size).filter(ok)


def value_strategy(spec: Spec) -> st.SearchStrategy[Any]:
    if isinstance(spec, Text):
        return text_strategy(spec)
    if isinstance(spec, Choice):
        return st.sampled_from(list(spec.enum))
    if isinstance(spec, Integer):
        return st.integers(spec.minimum, spec.maximum)
    if isinstance(spec, Boolean):
        return st.booleans()
    if isinstance(spec, Day):
        return st.dates()
    if isinstance(spec, PartialDay):
        return st.dates().flatmap(
            lambda d: st.sampled_from([d.isoformat()[:n] for n in (4, 7, 10)])
        )
    if isinstance(spec, Instant):
        return st.datetimes(timezones=st.just(dt.UTC))
    if isinstance(spec, ListOf):
        return st.lists(
            value_strategy(spec.item), min_size=spec.min_items, max_size=min(spec.max_items, 3)
        ).map(tuple)
    if isinstance(spec, Nested):
        return record_strategy(spec.cls)
    raise TypeError(spec)


def record_strategy(cls: type) -> st.SearchStrategy[Any]:
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        strategy = value_strategy(spec)
        if not is_required(f):
            strategy = st.just(f.default) | strategy
        kwargs[f.name] = strategy
    extra = st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in known), json_values, max_size=2
    )
    return st.builds(lambda extra, **kw: cls(extra=extra, **kw), extra=extra, **kwargs)


events = st.sampled_from(EVENT_CLASSES).flatmap(record_strategy)

# The three formats our schemas use, asserted the way the validator checks them.
FORMATS = FormatChecker(formats=())
FORMATS.checks("date")(lambda v: not isinstance(v, str) or parse_day(v) is not None)
FORMATS.checks("partial-date")(lambda v: not isinstance(v, str) or check_partial_day(v))
FORMATS.checks("date-time")(lambda v: not isinstance(v, str) or parse_instant(v) is not None)
VALIDATORS = {
    cls: Draft202012Validator(event_schema(cls), format_checker=FORMATS) for cls in EVENT_CLASSES
}


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_schemas_are_valid_schemas(cls: type[Event]) -> None:
    Draft202012Validator.check_schema(event_schema(cls))


@SETTINGS
@given(events)
def test_valid_events_round_trip(event: Event) -> None:
    data = event.to_dict()
    assert type(event).from_dict(data) == event
    wire = json.loads(json.dumps(data))
    assert type(event).from_dict(wire) == event


@SETTINGS
@given(events)
def test_schema_accepts_produced_events(event: Event) -> None:
    errors = list(VALIDATORS[type(event)].iter_errors(json.loads(json.dumps(event.to_dict()))))
    assert not errors, [e.message for e in errors]


@SETTINGS
@given(st.sampled_from(EVENT_CLASSES), json_values)
def test_arbitrary_json_never_raises(cls: type[Event], value: Any) -> None:
    result = cls.from_dict(value)
    assert isinstance(result, cls | ParseError)
    payload = {"type": cls.type_name(), "version": 1, "content": value}
    wrapped = parse_content({PAYLOAD_KEY: payload})
    assert isinstance(wrapped, cls | ParseError)


@SETTINGS
@given(json_values, json_values)
def test_arbitrary_envelopes_never_raise(payload: Any, content: Any) -> None:
    assert isinstance(parse_content({PAYLOAD_KEY: payload}), Event | ParseError)
    result = parse_content({PAYLOAD_KEY: {"type": payload, "version": content, "content": content}})
    assert isinstance(result, Event | ParseError)


def agree(cls: type[Event], data: Any) -> None:
    parsed = cls.from_dict(data)
    schema_ok = VALIDATORS[cls].is_valid(data)
    assert isinstance(parsed, cls) == schema_ok, (data, parsed)


@SETTINGS
@given(st.data())
def test_schema_and_validator_agree_on_mutated_fields(data: st.DataObject) -> None:
    cls = data.draw(st.sampled_from(EVENT_CLASSES))
    event = data.draw(record_strategy(cls))
    content = json.loads(json.dumps(event.to_dict()))
    names = [f.name for f in fields(cls) if spec_of(f) is not None]
    name = data.draw(st.sampled_from(names))
    if data.draw(st.booleans()):
        content.pop(name, None)
    else:
        content[name] = data.draw(json_values)
    agree(cls, content)


def _mutations(spec: Spec) -> list[Any]:
    """Values the validator must refuse for a field of this spec."""
    bad: list[Any] = [None, {"x": 1}, True if not isinstance(spec, Boolean) else "true"]
    if isinstance(spec, Text):
        bad += [5, "x" * (spec.max_len + 1), "a\x00b"]
        if spec.min_len > 0:
            bad.append("")
        if spec.pattern and not re.search(spec.pattern, "!! not the pattern !!"):
            bad.append("!! not the pattern !!")
        if spec.pattern == FILENAME:  # a file name alone: no directory part
            bad += ["../up.pdf", "dir/file.pdf", ".hidden"]
    elif isinstance(spec, Choice):
        bad += ["no-such-value", 3]
    elif isinstance(spec, Integer):
        bad += [spec.maximum + 1, spec.minimum - 1, 1.5, "3"]
    elif isinstance(spec, Day):
        bad += ["2026-02-30", "2026-1-1", "2026-01-01\n", 20260101]
    elif isinstance(spec, PartialDay):
        bad += ["0000", "2026-13", "2026-02-30", "26"]
    elif isinstance(spec, Instant):
        bad += ["2026-01-01T00:00:00", "2026-04-31T00:00:00Z", "2026-01-01"]
    elif isinstance(spec, ListOf):
        bad += ["not a list", [None]]
        bad.append([] if spec.min_items else [None] * (spec.max_items + 1))
    elif isinstance(spec, Nested):
        bad += [[], "x"]
    return bad


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_schema_rejects_what_the_validator_rejects(cls: type[Event]) -> None:
    base = copy.deepcopy(EXAMPLES[cls])
    assert isinstance(cls.from_dict(base), cls) and VALIDATORS[cls].is_valid(base)
    checked = 0
    for f in fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        for value in _mutations(spec):
            data = {**copy.deepcopy(base), f.name: value}
            assert isinstance(cls.from_dict(data), ParseError), (f.name, value)
            assert not VALIDATORS[cls].is_valid(data), (f.name, value)
            checked += 1
        if is_required(f):
            data = {k: v for k, v in base.items() if k != f.name}
            assert isinstance(cls.from_dict(data), ParseError)
            assert not VALIDATORS[cls].is_valid(data)
    assert checked > 0
