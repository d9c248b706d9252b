"""A bot's record read back as consultations (pure: record entries in, states out).

The record keeps every timeline event the bot saw as ``{"type", "content", ...}``. The
entries that are messages of a consultation (structured events, receipts, rejected
events, events from untrusted devices) are fed to :class:`Consultation`, which decides
what each step counts for: the bot's live view and the statistics read the same record
the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coopnet.consultation.message import Message
from coopnet.consultation.state import Consultation, Parties
from coopnet.receipts import Keys
from coopnet.records import Entry
from coopnet.stages import Rulebook

UNTRUSTED_KIND = "untrusted"
"""Record kind of an event sent from a device the device policy does not trust: recorded
(with its device) so the record stays complete, never acted on, certified or counted."""

MESSAGE_KINDS = frozenset({"event", "receipt", "rejection", UNTRUSTED_KIND})
"""Record kinds whose entries are messages the consultation core is fed."""


def recorded_inner(entry: Entry) -> tuple[Any, Any]:
    """The recorded value of an entry and the event content inside it (None if none)."""
    recorded = entry.content_value()
    inner = recorded.get("content") if isinstance(recorded, dict) else None
    return recorded, inner


def recorded_message(entry: Entry) -> Message | None:
    """The message an entry of the record holds, or None when it holds none."""
    if entry.kind not in MESSAGE_KINDS or not entry.event_id:
        return None
    _recorded, inner = recorded_inner(entry)
    if not isinstance(inner, dict):
        return None
    trusted = entry.kind != UNTRUSTED_KIND
    return Message.of(entry.event_id, entry.sender, entry.origin_ts, inner, trusted)


def fold_record(
    entries: Iterable[Entry],
    parties: Parties,
    receipt_keys: Keys | None = None,
    rulebook: Rulebook | None = None,
    *,
    until_ms: int | None = None,
) -> dict[str, Consultation]:
    """Every consultation of a record, by case reference, as its entries (in record
    order) leave it; with ``until_ms``, only the events sent up to that time."""
    found: dict[str, Consultation] = {}
    for entry in entries:
        if until_ms is not None and entry.origin_ts > until_ms:
            continue
        message = recorded_message(entry)
        if message is None:
            continue
        consultation = found.get(entry.case_ref)
        if consultation is None:
            consultation = found[entry.case_ref] = Consultation(parties, receipt_keys, rulebook)
        consultation.add(message)
    return found
