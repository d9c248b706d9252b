"""Validation of untrusted input and serialisation, driven by the field specs.

Nothing here raises on remote data: problems are collected as :class:`Problem` values
(field path + reason code + English detail) and returned in a :class:`ParseError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from coopnet.protocol.fields import (
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
    format_instant,
    is_required,
    parse_day,
    parse_instant,
    spec_of,
)

# Reason codes of problems (stable; the English detail is for people).
MISSING = "missing"
WRONG_TYPE = "wrong_type"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
TOO_FEW = "too_few"
TOO_MANY = "too_many"
BAD_CHARACTERS = "bad_characters"
BAD_FORMAT = "bad_format"
BAD_DATE = "bad_date"
NOT_ALLOWED = "not_allowed"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_TYPE = "unknown_type"
UNSUPPORTED_VERSION = "unsupported_version"
TOO_LARGE = "too_large"
NOT_JSON = "not_json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (``content.names[0].family``), why, details."""

    path: str
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.reason}: {self.detail}"


@dataclass(frozen=True)
class ParseError:
    """The error value returned instead of an event when the input is invalid."""

    problems: tuple[Problem, ...]
    event_type: str | None = None

    def __str__(self) -> str:
        what = self.event_type or "event"
        return f"invalid {what}: " + "; ".join(str(p) for p in self.problems)


def join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


_NO = object()


def parse_value(spec: Spec, value: Any, path: str, problems: list[Problem]) -> Any:
    """Parse one value; returns the typed value or ``_NO`` after recording problems."""

    def bad(reason: str, detail: str) -> Any:
        problems.append(Problem(path, reason, detail))
        return _NO

    def want(kind: str) -> Any:
        return bad(WRONG_TYPE, f"expected {kind}, got {_type_name(value)}")

    if isinstance(spec, Text):
        if not isinstance(value, str):
            return want("a string")
        if re.search(spec.forbidden, value):
            return bad(BAD_CHARACTERS, "control characters or invalid code points")
        if len(value) < spec.min_len:
            return bad(TOO_SHORT, f"at least {spec.min_len} characters")
        if len(value) > spec.max_len:
            return bad(TOO_LONG, f"{len(value)} characters, at most {spec.max_len} allowed")
        if spec.pattern and not re.search(spec.pattern, value):
            return bad(BAD_FORMAT, f"does not match {spec.pattern}")
        return value
    if isinstance(spec, Choice):
        if not isinstance(value, str):
            return want("a string")
        try:
            return spec.enum(value)
        except ValueError:
            allowed = ", ".join(m.value for m in spec.enum)
            return bad(NOT_ALLOWED, f"{value[:40]!r} is not one of: {allowed}")
    if isinstance(spec, Integer):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return want("an integer")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                return want("an integer")
            value = int(value)
        if not spec.minimum <= value <= spec.maximum:
            return bad(OUT_OF_RANGE, f"must be between {spec.minimum} and {spec.maximum}")
        return value
    if isinstance(spec, Boolean):
        return value if isinstance(value, bool) else want("true or false")
    if isinstance(spec, Day):
        if not isinstance(value, str):
            return want("a date string YYYY-MM-DD")
        day = parse_day(value)
        return day if day is not None else bad(BAD_DATE, f"{value[:40]!r} is not YYYY-MM-DD")
    if isinstance(spec, PartialDay):
        if not isinstance(value, str):
            return want("a date string YYYY[-MM[-DD]]")
        if check_partial_day(value):
            return value
        return bad(BAD_DATE, f"{value[:40]!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if isinstance(spec, Instant):
        if not isinstance(value, str):
            return want("an RFC 3339 timestamp")
        instant = parse_instant(value)
        if instant is None:
            return bad(BAD_DATE, f"{value[:40]!r} is not an RFC 3339 timestamp with offset")
        return instant
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return want("an array")
        if len(value) < spec.min_items:
            return bad(TOO_FEW, f"at least {spec.min_items} item(s)")
        if len(value) > spec.max_items:
            return bad(TOO_MANY, f"{len(value)} items, at most {spec.max_items} allowed")
        items = [parse_value(spec.item, v, join(path, i), problems) for i, v in enumerate(value)]
        return _NO if any(i is _NO for i in items) else tuple(items)
    if isinstance(spec, Nested):
        record = parse_record(spec.cls, value, path, problems)
        return _NO if record is None else record
    raise TypeError(f"unknown spec {spec!r}")  # programming error, not remote data


def parse_record(cls: type, data: Any, path: str, problems: list[Problem]) -> Any:
    """Build ``cls`` from ``data`` or return None after recording every problem."""
    if not isinstance(data, Mapping):
        problems.append(Problem(path, WRONG_TYPE, f"expected an object, got {_type_name(data)}"))
        return None
    before = len(problems)
    values: dict[str, Any] = {}
    known: set[str] = set()
    for f in fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        known.add(f.name)
        if f.name not in data:
            if is_required(f):
                problems.append(Problem(join(path, f.name), MISSING, "required field"))
            continue
        value = parse_value(spec, data[f.name], join(path, f.name), problems)
        if value is not _NO:
            values[f.name] = value
    if len(problems) > before:
        return None
    extra = {k: v for k, v in data.items() if k not in known}
    return cls(**values, extra=extra)


def dump_value(spec: Spec, value: Any) -> Any:
    if isinstance(spec, Choice):
        return str(value)
    if isinstance(spec, Day):
        return value.isoformat()
    if isinstance(spec, Instant):
        return format_instant(value)
    if isinstance(spec, ListOf):
        return [dump_value(spec.item, v) for v in value]
    if isinstance(spec, Nested):
        return dump_record(value)
    return value


def dump_record(record: Any) -> dict[str, Any]:
    """The JSON-ready dict of a record: unknown extra fields kept, absent fields omitted."""
    out: dict[str, Any] = dict(getattr(record, "extra", {}) or {})
    for f in fields(record):
        spec = spec_of(f)
        if spec is None:
            continue
        value = getattr(record, f.name)
        if value is None or (isinstance(spec, ListOf) and not value):
            continue
        out[f.name] = dump_value(spec, value)
    return out
