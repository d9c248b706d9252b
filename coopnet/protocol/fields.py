"""Field specifications: one declarative description per field drives validation,
serialisation, JSON Schema and labels.

A protocol record is a frozen dataclass whose fields carry a :class:`Spec` in their
metadata (use :func:`required` / :func:`optional`). Text limits are in code points, as in
JSON Schema's ``maxLength``. String checks use ``re.search`` with anchored patterns — the
same semantics as JSON Schema validators — and every string is also checked against a
forbidden-character pattern (control characters, lone surrogates), so that the validator
and the generated schema accept exactly the same values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import MISSING, Field, dataclass, field
from enum import StrEnum
from typing import Any

SPEC = "coopnet.spec"
REQUIRED = "coopnet.required"

# Size limits (code points). Matrix events are limited to 64 KiB after encryption,
# so the whole structured payload is also capped (see ``envelope.MAX_PAYLOAD_BYTES``).
ID_LEN = 64
NAME_LEN = 200
LINE_LEN = 300
NOTE_LEN = 2000
LONG_LEN = 4000
REF_LEN = 256
EVENT_ID_LEN = 255
MAX_DOCUMENT_SIZE = 1 << 40  # what the protocol can express; networks set their own limit

# Characters no text field may hold. Multi-line fields allow TAB, LF and CR.
FORBIDDEN_LINE = "[\\u0000-\\u001f\\u007f\\ud800-\\udfff]"
FORBIDDEN_MULTILINE = "[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f\\ud800-\\udfff]"

# Shared patterns (always anchored; combined with the forbidden-character check).
CASE_REF = "^[A-Za-z0-9][A-Za-z0-9._/-]*$"
AUTHORITY = "^[a-z0-9][a-z0-9_-]*$"
SLUG = "^[a-z0-9][a-z0-9-]*$"
RULE_ID = "^[a-z0-9][a-z0-9_]*$"
LOCAL_ID = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
COUNTRY = "^[A-Z]{2}$"  # ISO 3166-1 alpha-2
LANGUAGE = "^[a-z]{2,3}$"  # ISO 639-1/-2
SCRIPT = "^[A-Z][a-z]{3}$"  # ISO 15924, e.g. Latn, Arab, Hans, Cyrl
EVENT_ID = "^\\$[^\\s]+$"
USER_ID = "^@[^\\s:]+:[^\\s]+$"
ROOM_ID = "^![^\\s]+$"  # room version 12 ids carry no server name
SHA256_HEX = "^[0-9a-f]{64}$"
DEVICE_KEY = "^[A-Za-z0-9+/]{43}$"  # an unpadded base64 Ed25519 public key
DEVICE_ID = "^[A-Za-z0-9_.=-]{1,64}$"
REFERENCE = "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s]+$"  # e.g. "file:CN-2026-0042/photo-1"
HTTP_URL = "^https?://[^\\s]+$"
# A file name alone: no directory part, not hidden, not "." or "..".
FILENAME = "^[^./\\\\][^/\\\\]*$"
MEDIA_TYPE = "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"
NOTICE_REF = "^[A-Za-z0-9][A-Za-z0-9/.-]*$"

DATE_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
PARTIAL_DATE_PATTERN = "^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
INSTANT_PATTERN = (
    "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


@dataclass(frozen=True)
class Text:
    max_len: int
    min_len: int = 1
    pattern: str | None = None
    multiline: bool = False

    @property
    def forbidden(self) -> str:
        return FORBIDDEN_MULTILINE if self.multiline else FORBIDDEN_LINE


@dataclass(frozen=True)
class Choice:
    enum: type[StrEnum]


@dataclass(frozen=True)
class Integer:
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Boolean:
    pass


@dataclass(frozen=True)
class Day:
    """A calendar date, ``YYYY-MM-DD``; held as :class:`datetime.date`."""


@dataclass(frozen=True)
class PartialDay:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (dates of birth are often partial); held as str."""


@dataclass(frozen=True)
class Instant:
    """An RFC 3339 timestamp with offset; held as an aware UTC :class:`datetime.datetime`."""


@dataclass(frozen=True)
class ListOf:
    item: Spec
    max_items: int
    min_items: int = 0


@dataclass(frozen=True)
class Nested:
    cls: type  # a ``records.Record`` subclass


Spec = Text | Choice | Integer | Boolean | Day | PartialDay | Instant | ListOf | Nested


def required(spec: Spec) -> Any:
    """A mandatory field."""
    return field(metadata={SPEC: spec, REQUIRED: True})


def optional(spec: Spec) -> Any:
    """An optional field: ``None`` when absent (an empty tuple for lists)."""
    if isinstance(spec, ListOf):
        return field(default=(), metadata={SPEC: spec, REQUIRED: False})
    return field(default=None, metadata={SPEC: spec, REQUIRED: False})


def spec_of(f: Field[Any]) -> Spec | None:
    return f.metadata.get(SPEC)


def is_required(f: Field[Any]) -> bool:
    return bool(f.metadata.get(REQUIRED)) and f.default is MISSING


def parse_day(value: str) -> dt.date | None:
    """A strict ``YYYY-MM-DD`` date, or None."""
    if re.search(FORBIDDEN_LINE, value) or not re.search(DATE_PATTERN, value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def check_partial_day(value: str) -> bool:
    if re.search(FORBIDDEN_LINE, value) or not re.search(PARTIAL_DATE_PATTERN, value):
        return False
    if len(value) == 10:
        return parse_day(value) is not None
    return value[:4] != "0000"


def parse_instant(value: str) -> dt.datetime | None:
    """A strict RFC 3339 timestamp with offset, normalised to UTC, or None."""
    if re.search(FORBIDDEN_LINE, value) or not re.search(INSTANT_PATTERN, value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def format_instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
