"""The bot's own texts in the six UN languages (data in ``messages.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from coopnet.protocol import LANGUAGES


@cache
def _messages() -> dict[str, dict[str, str]]:
    data = json.loads(resources.files(__package__).joinpath("messages.json").read_text("utf-8"))
    return data["messages"]


def text(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (English when the language is not one of the six)."""
    entry = _messages()[key]
    template = entry.get(lang if lang in LANGUAGES else "en") or entry["en"]
    return template.format(**values)


def all_keys() -> dict[str, dict[str, str]]:
    return _messages()
