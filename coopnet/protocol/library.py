"""A practice-library entry as the library rules want it (pure).

The case-law event (:class:`~coopnet.protocol.events.CaseLawReference`) is the library
entry. Its own field specs check what it may hold (a topic outside
:class:`~coopnet.protocol.vocab.LibraryTopic`, a malformed date, an empty citation); from
rules revision 4 an entry must also say where it comes from and what it is about.
:func:`entry_problems` names each missing field; :func:`parse_entry` checks what an
officer typed (CLI, client form) with both, so the bot never gets to refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coopnet.protocol.events import CaseLawReference
from coopnet.protocol.validation import MISSING, ParseError, Problem

LIBRARY_REVISION = 4
"""The rules revision from which an entry must carry :data:`REQUIRED_FROM_REVISION_4`."""

REQUIRED_FROM_REVISION_4: tuple[str, ...] = ("jurisdiction", "date", "topics")


def entry_problems(
    entry: CaseLawReference, revision: int = LIBRARY_REVISION
) -> tuple[Problem, ...]:
    """What a library entry sent under ``revision`` lacks (nothing before revision 4:
    entries recorded before the library read as they were)."""
    if revision < LIBRARY_REVISION:
        return ()
    return tuple(
        Problem(name, MISSING, f"a library entry needs its {name}")
        for name in REQUIRED_FROM_REVISION_4
        if getattr(entry, name) in (None, ())
    )


def parse_entry(fields: Mapping[str, Any]) -> CaseLawReference | ParseError:
    """An entry from typed fields, or every problem with them (each naming its field)."""
    parsed = CaseLawReference.from_dict(dict(fields))
    if isinstance(parsed, ParseError):
        return ParseError(parsed.problems, CaseLawReference.type_name())
    problems = entry_problems(parsed)
    if problems:
        return ParseError(problems, CaseLawReference.type_name())
    return parsed
