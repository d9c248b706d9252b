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
from functools import cache
from importlib import resources

import arabic_reshaper
from babel.dates import format_date, format_datetime
from bidi import get_display

from coopnet.protocol.labels import LANGUAGES, field_label, label, value_label

__all__ = [
    "LANGUAGES", "field_label", "label", "show", "t", "value_label", "when", "day",
    "has_rtl",
]

_RTL_RANGES = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))


@cache
def _ui() -> dict[str, dict[str, str]]:
    text = resources.files(__package__).joinpath("labels.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def t(key: str, lang: str = "en", **values: object) -> str:
    """An interface label, shaped for display; ``{name}`` placeholders filled from ``values``."""
    entry = _ui().get(key)
    text = key if entry is None else (entry.get(lang) or entry.get("en") or key)
    if values:
        text = text.format(**values)
    return show(text)


def has_rtl(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _RTL_RANGES)


@cache
def _shape(line: str) -> str:
    return str(get_display(arabic_reshaper.reshape(line)))


def show(text: str) -> str:
    """Text as a terminal must draw it: right-to-left runs reshaped and reordered, per line."""
    if not has_rtl(text):
        return text
    return "\n".join(_shape(line) if has_rtl(line) else line for line in text.split("\n"))


def _locale(lang: str) -> str:
    return {"zh": "zh_Hans"}.get(lang, lang)


@cache
def day(value: dt.date, lang: str = "en") -> str:
    """A date in the reader's locale (babel), e.g. ``12 juin 2026``."""
    return show(format_date(value, format="medium", locale=_locale(lang)))


def when(ts_ms: int, lang: str = "en") -> str:
    """A message time in the reader's locale, in local time."""
    moment = dt.datetime.fromtimestamp(ts_ms / 1000).astimezone()
    return show(format_datetime(moment, format="short", locale=_locale(lang)))
