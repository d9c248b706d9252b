"""A consultation as the record holds it: opened event, accepted exchanges, receipts,
reminders already posted (pure: record entries in, view out).

The record is the bot's single source of truth, so a restarted bot knows everything it
knew before from the record alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bots.consultation.assurances import AssuranceRegister
from coopnet.protocol import (
    PAYLOAD_KEY,
    Assurance,
    AssuranceMonitoring,
    ConsultationOpened,
    Event,
    Receipt,
    parse_content,
)
from coopnet.records import Entry, canonical_json
from coopnet.stages import ConsultationStatus, Rulebook, TimelineItem, track

BOT_MARKER = "org.coopnet.bot"
"""Key in the content of the bot's own messages: ``{"kind": "reminder", "key": "…"}``, or
``{"kind": "answer", "to": EVENT_ID}`` on the answer to a rejected event."""


def recorded_content(event_type: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What the record keeps of a timeline event: its decrypted type and content.

    Remote content can hold what canonical JSON refuses (NaN, Infinity, lone UTF-16
    surrogates: a sender's JSON library may produce them and the ciphertext hides them
    from the homeserver). Such content is recorded in a representable form
    (:func:`json_safe`) and flagged ``"altered_for_record": true`` — never refused, or
    one bad event would stop the bot at every restart.
    """
    recorded = {"type": event_type, "content": content, **extra}
    try:
        canonical_json(recorded).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return {**json_safe(recorded), "altered_for_record": True}
    return recorded


MAX_DEPTH = 64


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` with non-finite numbers as strings ("nan", "inf", "-inf"), strings that
    are not valid Unicode escaped (backslashreplace), other non-JSON values as their repr,
    and nesting deeper than :data:`MAX_DEPTH` cut."""
    if depth > MAX_DEPTH:
        return "(nested too deeply)"
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {json_safe(str(k), depth + 1): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value]
    return repr(value)


def day_of(origin_ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(origin_ts / 1000, dt.UTC).date()


@dataclass(frozen=True)
class Rejection:
    """Why an event was refused, as recorded: enough to answer it again after a crash."""

    sender: str
    problems: tuple[str, ...]
    title: str


@dataclass
class ConsultationView:
    opened: ConsultationOpened | None = None
    items: list[TimelineItem] = field(default_factory=list)
    assurances: AssuranceRegister = field(default_factory=AssuranceRegister)
    receipted: set[str] = field(default_factory=set)
    notices: set[str] = field(default_factory=set)
    # Structured events from the other authority: event id -> (sender, payload).
    foreign_events: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Rejected events the bot owes an answer to, and the events it answered.
    rejected: dict[str, Rejection] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)

    def status(self, today: dt.date, rulebook: Rulebook | None = None) -> ConsultationStatus | None:
        if self.opened is None:
            return None
        return track(self.opened, self.items, today=today, rulebook=rulebook)


def parsed_event(entry: Entry) -> Event | None:
    return _event_in(entry.content_value())


def _event_in(recorded: Any) -> Event | None:
    """The structured event in a recorded ``{"type", "content"}`` value, if valid."""
    if not isinstance(recorded, dict):
        return None
    parsed = parse_content(recorded.get("content"))
    return parsed if isinstance(parsed, Event) else None


def _rejection_in(entry: Entry, recorded: Any) -> Rejection | None:
    """The answer owed for a recorded rejection; None for rejections recorded before
    answers carried a marker (those were answered then, and are not answered again)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("answer_title"), str):
        return None
    problems = recorded.get("problems")
    return Rejection(entry.sender, tuple(str(p) for p in problems or ()), recorded["answer_title"])


def build_view(
    entries: Iterable[Entry],
    authority_of: Callable[[str], str | None],
    own_user: str,
) -> ConsultationView:
    """Fold a room's record entries (in record order) into a :class:`ConsultationView`."""
    view = ConsultationView()
    for entry in entries:
        fold_entry(view, entry, authority_of, own_user)
    return view


def fold_entry(
    view: ConsultationView,
    entry: Entry,
    authority_of: Callable[[str], str | None],
    own_user: str,
) -> None:
    """Apply one record entry, the next in record order, to ``view`` (in place).

    :func:`build_view` is this fold over every entry, so a view kept up to date entry
    by entry is the view a rebuild from the record would give.
    """
    content = entry.content_value()
    inner = content.get("content") if isinstance(content, dict) else None
    marker = inner.get(BOT_MARKER) if isinstance(inner, dict) else None
    if entry.kind == "reminder" and isinstance(marker, dict):
        view.notices.add(str(marker.get("key")))
        return
    if isinstance(marker, dict) and marker.get("kind") == "answer":
        view.answered.add(str(marker.get("to")))
        return
    if entry.kind == "rejection":
        rejection = _rejection_in(entry, content)
        if rejection is not None and entry.event_id:
            view.rejected[entry.event_id] = rejection
        return
    if entry.kind not in ("event", "receipt"):
        return
    event = _event_in(content)
    if isinstance(event, Receipt):
        if entry.sender == own_user:
            view.receipted.add(event.event_id)
        return
    if event is None:
        return
    sender_authority = authority_of(entry.sender)
    if entry.event_id and sender_authority != authority_of(own_user) and isinstance(inner, dict):
        view.foreign_events[entry.event_id] = (entry.sender, inner[PAYLOAD_KEY])
    if isinstance(event, ConsultationOpened):
        if view.opened is None:
            view.opened = event
        return
    if isinstance(event, Assurance | AssuranceMonitoring):
        view.assurances.apply(event)
    view.items.append(
        TimelineItem(event, sender_authority, day_of(entry.origin_ts), entry.event_id)
    )
