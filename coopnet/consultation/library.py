"""The practice library (pure): which entries exist, found by topic, jurisdiction, words.

An entry is a case-law event (:class:`~coopnet.protocol.CaseLawReference`) that the
fold of its room accepted, in a library room (an encrypted room of the network, with no
consultation in it) or in a consultation. :meth:`Library.of` gathers them from the
rooms' folded states, so the bot, the client and the CLI hold the same library. Which
assurance relies on which entry is the consultation's own state
(:class:`~coopnet.consultation.assurances.AssuranceRecord.relied_on`); :func:`reliance`
makes the link an officer sends.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from coopnet.consultation.state import Consultation
from coopnet.protocol import AssuranceReliance, CaseLawReference, Event, Receipt
from coopnet.protocol.vocab import LibraryTopic


def folded(text: str) -> str:
    """Text as search compares it: case and accents folded (Strasbourg = STRASBÖURG)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class LibraryEntry:
    """One accepted entry and where it lives."""

    event_id: str
    room_id: str
    sender: str
    authority: str | None  # the sender's authority, from the roster
    entry: CaseLawReference

    @cached_property
    def _words(self) -> str:
        e = self.entry
        parts = (e.citation, e.court, e.jurisdiction or "", e.summary or "", e.url or "")
        return folded("\n".join(parts))

    def matches(
        self,
        words: str = "",
        topic: LibraryTopic | None = None,
        jurisdiction: str | None = None,
    ) -> bool:
        """Every word of ``words`` appears; the entry is on ``topic``; it comes from
        ``jurisdiction`` (compared folded). None or empty: no filter."""
        if topic is not None and topic not in self.entry.topics:
            return False
        if jurisdiction and folded(self.entry.jurisdiction or "") != folded(jurisdiction):
            return False
        return all(word in self._words for word in folded(words).split())


LIBRARY_ROOM_EVENTS = (CaseLawReference, Receipt)
"""What a library room holds: entries, and the bots' receipts for them."""


def misplaced_in_library(event: Event) -> bool:
    """Whether ``event`` has no place in a library room: a library room is no
    consultation, so an opening, a stage, an assurance or a coordination step sent
    there would make it look like one."""
    return not isinstance(event, LIBRARY_ROOM_EVENTS)


def _newest_first(item: LibraryEntry) -> tuple[int, str]:
    day = item.entry.date or dt.date.min
    return (-day.toordinal(), item.entry.citation)


class Library:
    def __init__(self, entries: Iterable[LibraryEntry] = ()) -> None:
        unique = {item.event_id: item for item in entries}
        self.entries: list[LibraryEntry] = sorted(unique.values(), key=_newest_first)

    @classmethod
    def of(cls, rooms: Iterable[tuple[str, Consultation]]) -> Library:
        """The entries the rooms' folds accepted (refused and untrusted ones are not)."""
        found = []
        for room_id, consultation in rooms:
            for step in consultation.accepted():
                if isinstance(step.event, CaseLawReference):
                    message = consultation.message(step.event_id)
                    sender = message.sender if message is not None else ""
                    found.append(
                        LibraryEntry(step.event_id, room_id, sender, step.authority, step.event)
                    )
        return cls(found)

    def search(
        self,
        words: str = "",
        topic: LibraryTopic | None = None,
        jurisdiction: str | None = None,
    ) -> list[LibraryEntry]:
        """The entries that match (:meth:`LibraryEntry.matches`), newest first."""
        return [item for item in self.entries if item.matches(words, topic, jurisdiction)]

    def jurisdictions(self) -> list[str]:
        """The jurisdictions the entries name, to filter by."""
        return sorted({e.entry.jurisdiction for e in self.entries if e.entry.jurisdiction})

    def entry(self, event_id: str) -> LibraryEntry | None:
        return next((item for item in self.entries if item.event_id == event_id), None)

    def __len__(self) -> int:
        return len(self.entries)


def reliance(item: LibraryEntry, assurance_id: str, note: str | None = None) -> AssuranceReliance:
    """The "relied on" link from an assurance to a library entry; it carries the entry's
    citation so that the counterpart sees it without the library room."""
    entry = item.entry
    return AssuranceReliance(
        assurance_id=assurance_id,
        entry=item.event_id,
        citation=entry.citation,
        court=entry.court,
        jurisdiction=entry.jurisdiction,
        date=entry.date,
        note=note or None,
    )


def relied_on(consultation: Consultation, assurance_id: str) -> list[AssuranceReliance]:
    """The entries an assurance relies on, in the order they were linked."""
    record = consultation.assurances().get(assurance_id)
    return [link for _, link in record.relied_on] if record is not None else []
