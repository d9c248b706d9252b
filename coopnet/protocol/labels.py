"""Labels of events, fields, stages and values in the six official UN languages.

The strings live in ``labels.json`` (data, not code). Keys follow one scheme:
``event.<type suffix>``, ``field.<field name>``, ``<enum key>.<value>`` (see
:func:`coopnet.protocol.vocab.enum_key`), plus ``note.*``, ``reason.*``, ``rule.*``,
``certainty.*``, ``ui.*`` and ``cli.*``. Keys listed under ``_review`` in the file are
translations still to be checked by a legal translator.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from coopnet.errors import CoopNetError
from coopnet.protocol.vocab import enum_key

LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")
"""The six official languages of the United Nations (ISO 639-1)."""

DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar"})


class UnknownLanguageError(CoopNetError):
    """A language outside the six UN languages was asked for."""


@cache
def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("labels.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def all_labels() -> dict[str, dict[str, str]]:
    """Every key with its six translations (do not mutate)."""
    labels: dict[str, dict[str, str]] = _load()["labels"]
    return labels


def review_keys() -> tuple[str, ...]:
    """Keys whose translations are marked for review by a legal translator."""
    return tuple(_load().get("_review", ()))


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UnknownLanguageError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lang


def label(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The label of ``key`` in ``lang``; falls back to English, then to the key itself."""
    entry = all_labels().get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get(DEFAULT_LANGUAGE) or key


def value_label(value: StrEnum, lang: str = DEFAULT_LANGUAGE) -> str:
    """The label of an enum value, e.g. ``Stage.GRANTED`` → ``stage.granted``."""
    return label(f"{enum_key(type(value))}.{value.value}", lang)


def field_label(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return label(f"field.{name}", lang)


def event_label(type_suffix: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return label(f"event.{type_suffix}", lang)


def is_rtl(lang: str) -> bool:
    """Whether the language is written right to left (stored text stays in logical order)."""
    return lang in RTL_LANGUAGES
