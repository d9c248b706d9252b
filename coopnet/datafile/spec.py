"""Typed records of the files CoopNet reads from disk, checked one way (pure: no I/O).

A file record is a dataclass deriving from :class:`FileRecord` whose fields carry a
:class:`Spec` (declare them with :func:`spec`). ``Record.from_dict(data, path)`` checks
decoded JSON or YAML against those specs and returns the record, or a
:class:`~coopnet.protocol.ParseError` listing every :class:`~coopnet.protocol.Problem`
with its field path (``authorities[1].client_port``): the same error values as the
protocol's events, so a bad file and a bad event are reported alike. Rules that span
fields (uniqueness, a key id matching its key) go in :meth:`FileRecord.check`.
Every text and list has a size limit, so a hostile file cannot make a record huge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from coopnet.protocol.validation import (
    BAD_CHARACTERS,
    BAD_DATE,
    BAD_FORMAT,
    NOT_ALLOWED,
    OUT_OF_RANGE,
    TOO_FEW,
    TOO_LONG,
    TOO_MANY,
    TOO_SHORT,
    WRONG_TYPE,
    ParseError,
    Problem,
    join,
)
from coopnet.protocol.validation import MISSING as MISSING_FIELD

SPEC = "coopnet.datafile.spec"
KEY = "coopnet.datafile.key"
REQUIRED = "coopnet.datafile.required"
UNKNOWN_FIELD = "unknown_field"
DUPLICATE = "duplicate"
MISMATCH = "mismatch"

# Control characters (TAB, LF and CR allowed) and lone surrogates never belong in a setting.
_FORBIDDEN = re.compile("[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f\\ud800-\\udfff]")


@dataclass(frozen=True)
class Text:
    """A string; ``pattern`` must match it whole; ``choices``, if any, lists what is allowed."""

    max_len: int = 4096
    min_len: int = 1
    pattern: str | None = None
    what: str = ""  # how to name a value that does not match, e.g. "a Matrix user id"
    choices: tuple[str, ...] = ()
    strip: bool = False  # surrounding white space is not part of the value (YAML settings)


@dataclass(frozen=True)
class Choice:
    """One of the values of a closed vocabulary (a ``StrEnum``); held as its member."""

    enum: type[StrEnum]


@dataclass(frozen=True)
class Integer:
    minimum: int = 0
    maximum: int = 2**53


@dataclass(frozen=True)
class Boolean:
    pass


@dataclass(frozen=True)
class Time:
    """An ISO 8601 date and time, kept as the text the file holds."""


@dataclass(frozen=True)
class ListOf:
    item: Spec
    max_items: int = 10_000
    min_items: int = 0
    unique: bool = False  # the same item twice is refused
    mutable: bool = False  # a list rather than a tuple (records that are edited in place)


@dataclass(frozen=True)
class Nested:
    cls: type[FileRecord]


@dataclass(frozen=True)
class Nullable:
    """``null`` is allowed and read as None."""

    spec: Spec


Spec = Text | Choice | Integer | Boolean | Time | ListOf | Nested | Nullable


def spec(
    of: Spec,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    key: str | None = None,
    required: bool | None = None,
) -> Any:
    """A field read from the file; it is required when it has no default (or when
    ``required``: the file must hold it though code may build the record without it).
    ``key`` is its name in the file when that differs from the attribute's."""
    if required is None:
        required = default is MISSING and default_factory is MISSING
    metadata = {SPEC: of, KEY: key, REQUIRED: required}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def format_version(version: int) -> Any:
    """The ``version`` field every versioned file must hold: only ``version`` is read."""
    return spec(Integer(version, version), default=version, required=True)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__  # YAML can also give dates and the like


_NO = object()


def _shown(value: str) -> str:
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def parse_value(of: Spec, value: Any, path: str, problems: list[Problem]) -> Any:
    """The typed value, or ``_NO`` after recording why it is refused."""

    def bad(reason: str, detail: str) -> Any:
        problems.append(Problem(path, reason, detail))
        return _NO

    def want(kind: str) -> Any:
        return bad(WRONG_TYPE, f"expected {kind}, found {_type_name(value)}")

    if isinstance(of, Nullable):
        return None if value is None else parse_value(of.spec, value, path, problems)
    if isinstance(of, Text):
        if not isinstance(value, str):
            return want("a string")
        if of.strip:
            value = value.strip()
        if _FORBIDDEN.search(value):
            return bad(BAD_CHARACTERS, "control characters or invalid code points")
        if len(value) < of.min_len:
            detail = "must not be empty" if of.min_len == 1 else f"at least {of.min_len} characters"
            return bad(TOO_SHORT, detail)
        if len(value) > of.max_len:
            return bad(TOO_LONG, f"{len(value)} characters, at most {of.max_len} allowed")
        if of.choices and value not in of.choices:
            return bad(NOT_ALLOWED, f"{_shown(value)} is not one of: {', '.join(of.choices)}")
        if of.pattern and not re.fullmatch(of.pattern, value):
            return bad(BAD_FORMAT, f"{_shown(value)} is not {of.what or 'well formed'}")
        return value
    if isinstance(of, Choice):
        if not isinstance(value, str):
            return want("a string")
        try:
            return of.enum(value)
        except ValueError:
            allowed = ", ".join(m.value for m in of.enum)
            return bad(NOT_ALLOWED, f"{_shown(value)} is not one of: {allowed}")
    if isinstance(of, Integer):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return want("a whole number")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                return want("a whole number")
            value = int(value)
        if of.minimum == of.maximum != value:
            return bad(NOT_ALLOWED, f"{value} is not supported (expected {of.minimum})")
        if not of.minimum <= value <= of.maximum:
            return bad(OUT_OF_RANGE, f"{value} is not between {of.minimum} and {of.maximum}")
        return value
    if isinstance(of, Boolean):
        return value if isinstance(value, bool) else want("true or false")
    if isinstance(of, Time):
        if not isinstance(value, str) or len(value) > 64:
            return want("an ISO 8601 time")
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return bad(BAD_DATE, f"{_shown(value)} is not an ISO 8601 time")
        return value
    if isinstance(of, ListOf):
        if not isinstance(value, list | tuple):
            return want("a list")
        if len(value) < of.min_items:
            detail = "must not be empty" if of.min_items == 1 else f"at least {of.min_items} items"
            return bad(TOO_FEW, detail)
        if len(value) > of.max_items:
            return bad(TOO_MANY, f"{len(value)} items, at most {of.max_items} allowed")
        items = [parse_value(of.item, v, join(path, i), problems) for i, v in enumerate(value)]
        if any(item is _NO for item in items):
            return _NO
        if of.unique:
            for i, item in enumerate(items):
                if item in items[:i]:
                    return bad(DUPLICATE, f"{item!r} is listed twice")
        return list(items) if of.mutable else tuple(items)
    if isinstance(of, Nested):
        record = parse_record(of.cls, value, path, problems)
        return _NO if record is None else record
    raise TypeError(f"unknown spec {of!r}")  # a programming error, not bad input


def _spec_fields(cls: type) -> list[tuple[Field[Any], Spec, str]]:
    out = []
    for f in fields(cls):
        of = f.metadata.get(SPEC)
        if of is not None:
            out.append((f, of, f.metadata.get(KEY) or f.name))
    return out


def parse_record(
    cls: type[FileRecord], data: Any, path: str, problems: list[Problem], **given: Any
) -> Any:
    """``cls`` built from ``data`` (plus the ``given`` fields that are not in the file), or
    None after recording every problem."""
    if not isinstance(data, Mapping):
        problems.append(Problem(path, WRONG_TYPE, f"expected an object, found {_type_name(data)}"))
        return None
    before = len(problems)
    values: dict[str, Any] = dict(given)
    known = set()
    for f, of, key in _spec_fields(cls):
        known.add(key)
        where = join(path, key)
        if key not in data:
            if f.metadata.get(REQUIRED):
                problems.append(Problem(where, MISSING_FIELD, "missing (a required field)"))
            continue
        value = parse_value(of, data[key], where, problems)
        if value is not _NO:
            values[f.name] = value
    if not cls.OPEN:
        for key in data:
            if key not in known:
                detail = "unknown field" if isinstance(key, str) else "a field name must be text"
                problems.append(Problem(join(path, str(key)[:40]), UNKNOWN_FIELD, detail))
    if len(problems) > before:
        return None
    record = cls(**values)
    found = list(record.check(path))
    if found:
        problems.extend(found)
        return None
    return record


class FileRecord:
    """Base of the dataclasses read from files (see the module docstring)."""

    OPEN: ClassVar[bool] = True
    """True: fields the reader does not know are ignored (files written by newer
    versions, derived fields); False: they are refused (signed documents)."""

    @classmethod
    def from_dict(cls, data: Any, path: str = "", **given: Any) -> Self | ParseError:
        problems: list[Problem] = []
        record = parse_record(cls, data, path, problems, **given)
        return ParseError(tuple(problems), cls.__name__) if record is None else record

    def check(self, path: str) -> Iterable[Problem]:
        """Rules that span fields; each broken one is a problem at its field path."""
        return ()


def duplicates(values: Iterable[Any], path: str, what: str) -> list[Problem]:
    """A problem for the first value listed twice (``what`` names it: "device", "server")."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            return [Problem(path, DUPLICATE, f"{what} {value!r} is listed twice")]
        seen.add(value)
    return []
