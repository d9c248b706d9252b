"""Handling codes: how the receiver may use what it got (pure).

Every structured exchange and document may carry ``handling`` (a list of
:class:`~coopnet.protocol.vocab.HandlingCode`), inside the encrypted payload, covered by
the content hash that receipts certify, shown in the fallback text any Matrix client
displays. The network sets a default per kind of exchange (:data:`DEFAULT_HANDLING`,
overridden by the network's configuration); a sender fills it in before sending
(:func:`with_handling`) so that what travels says it. A code outside the vocabulary makes
the payload invalid, like any other bad field.

:func:`sharing_warnings` is the check before an officer forwards or shares content: the
label keys of the codes that forbid the use, empty when nothing forbids it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from coopnet.protocol.events import EVENT_TYPES, NAMESPACE, Event, Receipt
from coopnet.protocol.validation import NOT_ALLOWED, Problem
from coopnet.protocol.vocab import HandlingCode

H = HandlingCode
ANY_KIND = "*"

DEFAULT_HANDLING: Mapping[str, tuple[HandlingCode, ...]] = {
    # What identifies a person or proves a case stays in the case and out of court
    # until a formal request asks for it.
    "identity": (H.CASE_ONLY, H.NOT_EVIDENCE),
    "document": (H.CASE_ONLY, H.NOT_EVIDENCE, H.NO_ONWARD),
    # A State's requirements are for every competent agency to read.
    "requirements.answer": (H.DOMESTIC_AGENCIES,),
    ANY_KIND: (H.CASE_ONLY,),
}
"""Built-in network defaults, by event type suffix (``identity``) or :data:`ANY_KIND`."""


class Use(StrEnum):
    """What an officer is about to do with content received in a consultation."""

    SAME_CASE = "same_case"  # quote or copy it within this case
    OTHER_CASE = "other_case"  # use it in another case
    DOMESTIC_AGENCY = "domestic_agency"  # share it with a competent domestic agency
    ONWARD = "onward"  # transmit it to another State or authority
    EVIDENCE = "evidence"  # use it as evidence


_FORBIDS: Mapping[HandlingCode, frozenset[Use]] = {
    H.CASE_ONLY: frozenset({Use.OTHER_CASE, Use.ONWARD}),
    H.NOT_EVIDENCE: frozenset({Use.EVIDENCE}),
    H.NO_ONWARD: frozenset({Use.ONWARD, Use.DOMESTIC_AGENCY}),
    H.DOMESTIC_AGENCIES: frozenset(),
}
_PERMITS: Mapping[HandlingCode, frozenset[Use]] = {
    H.DOMESTIC_AGENCIES: frozenset({Use.DOMESTIC_AGENCY}),
}


E = TypeVar("E", bound=Event)


def kind_of(event: Event | type[Event]) -> str:
    """The kind of exchange a default is set for: the event type suffix."""
    return event.TYPE


def default_for(
    kind: str, defaults: Mapping[str, tuple[HandlingCode, ...]] | None = None
) -> tuple[HandlingCode, ...]:
    """The network's default codes for a kind of exchange."""
    table = DEFAULT_HANDLING if defaults is None else defaults
    if kind in table:
        return tuple(table[kind])
    return tuple(table.get(ANY_KIND, ()))


def effective_handling(
    event: Event, defaults: Mapping[str, tuple[HandlingCode, ...]] | None = None
) -> tuple[tuple[HandlingCode, ...], bool]:
    """(codes, whether they are the network default) of a received event: its own codes,
    else the default for its kind (an event sent without codes)."""
    if event.handling:
        return event.handling, False
    return default_for(kind_of(event), defaults), True


def with_handling(
    event: E,
    codes: Iterable[HandlingCode] | None = None,
    defaults: Mapping[str, tuple[HandlingCode, ...]] | None = None,
) -> E:
    """``event`` carrying ``codes`` (None: its own, else the network default for its kind),
    ready to send. Receipts carry the codes of what they certify: set them explicitly."""
    if codes is not None:
        chosen = tuple(dict.fromkeys(HandlingCode(c) for c in codes))
    elif event.handling or isinstance(event, Receipt):
        return event
    else:
        chosen = default_for(kind_of(event), defaults)
    return dataclasses.replace(event, handling=chosen)


def sharing_warnings(codes: Iterable[HandlingCode], use: Use) -> tuple[str, ...]:
    """The label keys (``handling_warning.<code>``) of the codes that forbid ``use``, in
    vocabulary order; empty when the use is allowed. A code that permits the use (e.g.
    sharing with domestic agencies) outweighs one that forbids it generally."""
    held = set(codes)
    if any(use in _PERMITS.get(code, frozenset()) for code in held):
        return ()
    return tuple(
        f"handling_warning.{code.value}"
        for code in HandlingCode
        if code in held and use in _FORBIDS[code]
    )


def parse_defaults(
    data: Mapping[str, object],
) -> dict[str, tuple[HandlingCode, ...]] | list[Problem]:
    """A network's defaults from configuration: ``{"identity": ["case_only"], "*": [...]}``.
    Returns the table, or the problems (unknown kind of exchange, code outside the
    vocabulary), each naming its key."""
    kinds = {cls.TYPE for cls in EVENT_TYPES.values()} | {ANY_KIND}
    problems: list[Problem] = []
    table: dict[str, tuple[HandlingCode, ...]] = {}
    for kind, value in data.items():
        path = f"handling_defaults.{kind}"
        if kind not in kinds:
            problems.append(Problem(path, NOT_ALLOWED, f"no kind of exchange {NAMESPACE}.{kind}"))
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(path, NOT_ALLOWED, "expected a list of handling codes"))
            continue
        bad = [v for v in value if v not in HandlingCode._value2member_map_]
        if bad:
            allowed = ", ".join(c.value for c in HandlingCode)
            problems.append(Problem(path, NOT_ALLOWED, f"{bad[0]!r} is not one of: {allowed}"))
            continue
        table[kind] = tuple(HandlingCode(v) for v in value)
    return problems or table


def parse_entries(entries: Iterable[str]) -> dict[str, tuple[HandlingCode, ...]] | list[Problem]:
    """Defaults written one ``KIND=CODE,CODE`` per entry (the network file's
    ``handling_defaults``): the table, or the problems naming each bad entry."""
    data: dict[str, object] = {}
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        kind, sep, codes = entry.partition("=")
        if not sep or not kind.strip():
            detail = f"{entry[:60]!r} is not KIND=CODE,CODE"
            problems.append(Problem(f"handling_defaults[{i}]", NOT_ALLOWED, detail))
            continue
        data[kind.strip()] = [c.strip() for c in codes.split(",") if c.strip()]
    parsed = parse_defaults(data)
    return problems + parsed if isinstance(parsed, list) else (problems or parsed)
