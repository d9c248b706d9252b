"""The interface's own labels in the six UN languages, and right-to-left display.

Field, event, stage and value labels come from :mod:`coopnet.protocol.labels`; the few
strings only the terminal client needs live in ``tui/labels.json`` (translations to be
reviewed by a legal translator, as the protocol's are). Terminals do not reorder
right-to-left text, so Arabic is reshaped and reordered for display by :func:`show`;
what is stored and sent stays in logical order.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
import time
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import arabic_reshaper
from babel.dates import format_date, format_datetime, format_time
from babel.units import format_unit
from bidi.algorithm import get_display  # the reference algorithm: it mirrors brackets (L4)

from coopnet.protocol.labels import LANGUAGES, field_label, label
from coopnet.protocol.labels import value_label as _value_label

__all__ = [
    "LANGUAGES",
    "date_text",
    "day",
    "field_label",
    "label",
    "show",
    "t",
    "text",
    "value_label",
    "when",
    "moment",
    "clock",
    "local_day",
    "moment_near",
    "has_rtl",
    "review_keys",
    "translations",
    "ui_keys",
    "wrapped",
    "file_size",
]

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
"""Hebrew, Arabic, Syriac, Thaana, N'Ko…, and the Hebrew and Arabic presentation forms."""


@cache
def _file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files(__package__).joinpath("labels.json").read_text("utf-8")
    )
    return data


@cache
def _ui() -> dict[str, dict[str, str]]:
    """Every label key with its translations (the file's ``_comment`` and ``_review`` aside)."""
    return {key: value for key, value in _file().items() if not key.startswith("_")}


def ui_keys() -> tuple[str, ...]:
    """Every interface label key."""
    return tuple(_ui())


def translations(key: str) -> dict[str, str]:
    """A label's text per language, as stored (logical order)."""
    return dict(_ui()[key])


def review_keys() -> tuple[str, ...]:
    """Keys whose translations are marked for review by a legal translator."""
    return tuple(_file().get("_review", ()))


def text(key: str, lang: str = "en", **values: object) -> str:
    """An interface label in logical order (to store or to wrap); see :func:`t` to draw it."""
    entry = _ui().get(key)
    found = key if entry is None else (entry.get(lang) or entry.get("en") or key)
    return found.format(**values) if values else found


def t(key: str, lang: str = "en", **values: object) -> str:
    """An interface label, shaped for display; ``{name}`` placeholders filled from ``values``."""
    return show(text(key, lang, **values))


def has_rtl(text: str) -> bool:
    # One regex scan: every label drawn passes here (~1,000 per list refresh).
    return _RTL.search(text) is not None


@lru_cache(maxsize=None, typed=True)  # typed: Kind.X and Topic.X are equal strings
def value_label(value: StrEnum, lang: str = "en") -> str:
    """The label of an enum value (cached: the list asks for each row's stage and kind)."""
    return _value_label(value, lang)


@cache
def _shape(line: str) -> str:
    return str(get_display(arabic_reshaper.reshape(line)))


def file_size(size: int, lang: str = "en") -> str:
    """A file's size for people, in the reader's locale: "840 kB", "12,3 Mo"."""
    if size < 1_000_000:
        return str(
            format_unit(max(1, round(size / 1000)), "digital-kilobyte", "short", locale=lang)
        )
    return str(format_unit(size / 1e6, "digital-megabyte", "short", format="#,##0.0", locale=lang))


def show(text: str) -> str:
    """Text as a terminal must draw it: right-to-left runs reshaped and reordered, per line."""
    if not has_rtl(text):
        return text
    return "\n".join(_shape(line) if has_rtl(line) else line for line in text.split("\n"))


def wrapped(logical: str, width: int) -> str:
    """Text to draw in ``width`` columns. Right-to-left text is wrapped *before* it is
    reordered (a reordered line wrapped afterwards would read its lines bottom to top)."""
    if not has_rtl(logical) or width <= 0:
        return logical
    lines = [
        line
        for paragraph in logical.split("\n")
        for line in (textwrap.wrap(paragraph, width) or [""])
    ]
    return show("\n".join(lines))


def _locale(lang: str) -> str:
    return {"zh": "zh_Hans"}.get(lang, lang)


@cache
def date_text(value: dt.date, lang: str = "en") -> str:
    """A date in the reader's locale (babel), e.g. ``12 juin 2026``, in logical order:
    for text that is composed further and then passed to :func:`show` once."""
    return str(format_date(value, format="medium", locale=_locale(lang)))


@cache
def day(value: dt.date, lang: str = "en") -> str:
    """:func:`date_text` as drawn (right-to-left text shaped and reordered)."""
    return show(date_text(value, lang))


def moment(value: dt.datetime, lang: str = "en") -> str:
    """A point in time in the reader's locale and local time, as drawn: the one format
    of every timestamp the client shows (messages, receipts, details)."""
    local = value.astimezone() if value.tzinfo is not None else value
    return show(str(format_datetime(local, format="short", locale=_locale(lang))))


def when(ts_ms: int, lang: str = "en") -> str:
    """A message time (``origin_server_ts``) in the reader's locale, in local time."""
    return _when(ts_ms // 60_000, lang, time.tzname)


@lru_cache(maxsize=4096)
def _when(minute: int, lang: str, _zone: tuple[str, str]) -> str:
    return moment(dt.datetime.fromtimestamp(minute * 60).astimezone(), lang)


def local_day(ts_ms: int) -> dt.date:
    """The local calendar day of a message time (the timeline's day dividers)."""
    return dt.datetime.fromtimestamp(ts_ms / 1000).astimezone().date()


def clock(ts_ms: int, lang: str = "en") -> str:
    """The time of day of a message, in the reader's locale (under its day's divider)."""
    # Kept per minute (the short format shows minutes) and time zone (tests change it).
    return _clock(ts_ms // 60_000, lang, time.tzname)


@lru_cache(maxsize=4096)
def _clock(minute: int, lang: str, _zone: tuple[str, str]) -> str:
    local = dt.datetime.fromtimestamp(minute * 60).astimezone()
    return show(str(format_time(local, format="short", locale=_locale(lang))))


def moment_near(value: dt.datetime, ts_ms: int, lang: str = "en") -> str:
    """:func:`moment`, shortened to the time of day when it falls on the local day of
    ``ts_ms`` (a receipt's mark on the card of the message it certifies)."""
    local = value.astimezone()
    if local.date() == dt.datetime.fromtimestamp(ts_ms / 1000).astimezone().date():
        return show(str(format_time(local, format="short", locale=_locale(lang))))
    return moment(local, lang)
