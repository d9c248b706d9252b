"""The demo network's practice-library entries (``library.json``): real decisions with
illustrative summaries, checked with the library rules when loaded."""

from __future__ import annotations

import json
from importlib import resources

from coopnet.errors import BadFileError
from coopnet.protocol import CaseLawReference, ParseError, parse_entry

LIBRARY_FILE = "library.json"


def demo_library() -> list[CaseLawReference]:
    """The shipped entries; :class:`BadFileError` naming the entry and field if broken."""
    raw = json.loads(resources.files("coopnet.profiles").joinpath(LIBRARY_FILE).read_text("utf-8"))
    entries = []
    for index, fields in enumerate(raw["entries"]):
        parsed = parse_entry(fields)
        if isinstance(parsed, ParseError):
            raise BadFileError(LIBRARY_FILE, f"entries[{index}]: {parsed}")
        entries.append(parsed)
    return entries
