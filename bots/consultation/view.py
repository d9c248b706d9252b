"""A consultation as the bot's record holds it (pure: record entries in, view out).

The consultation's state (stage, deadlines, assurances, refusals, receipts) is the
shared core's (:class:`coopnet.consultation.Consultation`), fed every recorded timeline
event; beside it the bot remembers what it owes and what it posted: the reminders already
sent, the rejections it must answer and the answers it gave. The record is the bot's single
source of truth, so a restarted bot knows everything it knew before from the record alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from coopnet.consultation import Consultation, Message, Parties
from coopnet.consultation.recorded import MESSAGE_KINDS, UNTRUSTED_KIND, recorded_inner
from coopnet.protocol import BOT_MARKER
from coopnet.receipts import Keys
from coopnet.records import Entry, canonical_json
from coopnet.stages import Rulebook

# BOT_MARKER (coopnet.protocol): what each of the bot's own notices is, read back here.

# UNTRUSTED_KIND, MESSAGE_KINDS (coopnet.consultation.recorded): which entries are messages.


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


@dataclass(frozen=True)
class Rejection:
    """Why an event was refused, as recorded: enough to answer it again after a crash."""

    sender: str
    problems: tuple[str, ...]
    title: str


@dataclass
class ConsultationView:
    consultation: Consultation
    # The bot whose view this is: only its own notices say what it has already posted
    # (the other authority's bot reminds, answers and warns its own officers).
    bot: str
    notices: set[str] = field(default_factory=set)
    # Rejected events the bot owes an answer to, and the events it answered.
    rejected: dict[str, Rejection] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    # Untrusted devices seen in the room, (user, device id) -> their first event, and
    # those the bot has warned the room about.
    untrusted_devices: dict[tuple[str, str], str] = field(default_factory=dict)
    warned: set[tuple[str, str]] = field(default_factory=set)

    def unwarned(self) -> list[tuple[tuple[str, str], str]]:
        """Untrusted devices the room has not been warned about yet, with their first event."""
        return [(d, e) for d, e in self.untrusted_devices.items() if d not in self.warned]


def _rejection_in(entry: Entry, recorded: Any) -> Rejection | None:
    """The answer owed for a recorded rejection; None for rejections recorded before
    answers carried a marker (those were answered then, and are not answered again)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("answer_title"), str):
        return None
    problems = recorded.get("problems")
    return Rejection(entry.sender, tuple(str(p) for p in problems or ()), recorded["answer_title"])


def new_view(
    bot: str,
    parties: Parties,
    receipt_keys: Keys | None = None,
    rulebook: Rulebook | None = None,
) -> ConsultationView:
    return ConsultationView(Consultation(parties, receipt_keys, rulebook), bot)


def build_view(
    bot: str,
    entries: Iterable[Entry],
    parties: Parties,
    receipt_keys: Keys | None = None,
    rulebook: Rulebook | None = None,
) -> ConsultationView:
    """Fold a room's record entries (in record order) into the view of ``bot``."""
    view = new_view(bot, parties, receipt_keys, rulebook)
    for entry in entries:
        fold_entry(view, entry)
    return view


def _note_posted(view: ConsultationView, marker: dict[str, Any]) -> None:
    """Remember a notice the bot posted, so it is not posted again."""
    kind = marker.get("kind")
    if kind == "reminder":
        view.notices.add(str(marker.get("key")))
    elif kind == "answer":
        view.answered.add(str(marker.get("to")))
    else:
        view.warned.add((str(marker.get("user")), str(marker.get("device"))))


def fold_entry(view: ConsultationView, entry: Entry, message: Message | None = None) -> None:
    """Apply one record entry, the next in record order, to ``view`` (in place).

    :func:`build_view` is this fold over every entry, so a view kept up to date entry
    by entry is the view a rebuild from the record would give. ``message`` is the event
    as the bot parsed it on receipt (the same content: parsing it again is spared; not
    used when the record had to alter the content).
    """
    recorded, inner = recorded_inner(entry)
    trusted = entry.kind != UNTRUSTED_KIND
    # What an untrusted device sends never counts as the bot's own marker either.
    marker = inner.get(BOT_MARKER) if isinstance(inner, dict) and trusted else None
    if isinstance(marker, dict) and marker.get("kind") in (
        "reminder",
        "answer",
        UNTRUSTED_KIND,
    ):
        if entry.sender == view.bot:
            _note_posted(view, marker)
        return
    if not trusted and isinstance(recorded, dict) and entry.event_id:
        device = (entry.sender, str(recorded.get("device_id") or ""))
        view.untrusted_devices.setdefault(device, entry.event_id)
    if entry.kind == "rejection":
        rejection = _rejection_in(entry, recorded)
        if rejection is not None and entry.event_id:
            view.rejected[entry.event_id] = rejection
    if entry.kind not in MESSAGE_KINDS or not isinstance(inner, dict):
        return
    if entry.event_id:
        # A refused step is a step all the same: the core decides, in the consultation's
        # order, what it is refused for (the refusal at arrival may change when a
        # concurrent step comes later).
        if message is None or recorded.get("altered_for_record"):
            message = Message.of(entry.event_id, entry.sender, entry.origin_ts, inner, trusted)
        view.consultation.add(message)
