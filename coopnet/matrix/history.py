"""Filling gaps in a room's timeline from its history (``/messages``, paging backwards).

A program misses timeline events in three ways: a ``limited`` sync (the server left
older events out), a restart (the sync resumes from a saved token), and federation
backfill — events a homeserver fetched from another server while someone paginated
history get no new stream position, so they never come down ``/sync`` at all, yet
``/messages`` returns them in their place in the room. So the only complete view is the
room's history: page back from a point until meeting what one already holds.

"Already holds" is a run of ``settle`` known events in a row, not the first known one:
a program records its own replies when it sends them, so a known event can sit right
after events it never saw. The paging is sans-I/O: it takes a page fetcher.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coopnet.matrix.client import ReceivedEvent

PAGE_SIZE = 100
"""Events per ``/messages`` request (Synapse caps a page at 1,000)."""

SHALLOW_SETTLE = 10
"""Known events in a row that end the check made before each sync batch (one request)."""

DEEP_SETTLE = 200
"""Known events in a row that end the periodic and start-up catch-up (a few requests):
backfilled events land in their place in the room, possibly behind later ones."""


class Page(Protocol):
    """One page of a room's history, newest first, as the server pages backwards."""

    @property
    def event_ids(self) -> list[str]:
        """The ids of the page's events that may be timeline events, newest first."""

    @property
    def end(self) -> str | None:
        """Where the next (older) page starts; None when the room's start was reached."""

    async def read(self, event_ids: Collection[str]) -> list[ReceivedEvent]:
        """The timeline events among these ids, decoded (decrypted), newest first."""


@dataclass(frozen=True)
class HistoryPage:
    """A page whose events are decoded already."""

    events: list[ReceivedEvent]
    end: str | None

    @property
    def event_ids(self) -> list[str]:
        return [e.event_id for e in self.events]

    async def read(self, event_ids: Collection[str]) -> list[ReceivedEvent]:
        return [e for e in self.events if e.event_id in event_ids]


FetchPage = Callable[[str | None, int], Awaitable[Page]]
"""``fetch(start, limit)``: the page before ``start`` (None: before the newest event)."""

KnownEvents = Callable[[Collection[str]], Awaitable[set[str]]]
"""Which of these event ids the program already holds."""


@dataclass(frozen=True)
class GapFill:
    missing: list[ReceivedEvent]
    """The events not held, oldest first."""
    newest: str | None
    """The newest event read (where a later check may stop: see ``back_to``)."""


async def unheld_events(
    fetch: FetchPage,
    known: KnownEvents,
    start: str | None = None,
    settle: int = DEEP_SETTLE,
    back_to: Collection[str] = (),
    max_events: int = 100_000,
) -> GapFill:
    """The events before ``start`` that ``known`` does not hold.

    Pages back until ``settle`` known events in a row were met after passing one of
    ``back_to`` (where an earlier check started: federation backfill puts events behind
    what was held then, so a region is read again by a later check), the room's start was
    reached, or ``max_events`` were read.
    """
    missing: list[ReceivedEvent] = []
    newest: str | None = None
    token = start
    in_a_row = 0
    read = 0
    passed = not back_to
    limit = min(PAGE_SIZE, max(settle + 1, 1)) if passed else PAGE_SIZE
    while read < max_events:
        page = await fetch(token, limit)
        ids = page.event_ids
        held = await known(ids) if ids else set()
        # Only what is not held is decoded (decrypted): a check that meets what it holds,
        # the usual case, decrypts nothing again. Held events are timeline events (they
        # were handled); an unheld id that decodes to none (a state event) is skipped.
        unheld: dict[str, ReceivedEvent] = {
            e.event_id: e for e in await page.read([i for i in ids if i not in held])
        }
        for event_id in ids:
            if event_id not in held and event_id not in unheld:
                continue
            read += 1
            newest = newest or event_id
            if not passed and event_id in back_to:
                passed, in_a_row = True, 0  # the settle run counts from the mark on
            if event_id in held:
                in_a_row += 1
                if in_a_row >= settle and passed:
                    return GapFill(list(reversed(missing)), newest)
            else:
                in_a_row = 0
                missing.append(unheld[event_id])
        if page.end is None or page.end == token:
            break
        token = page.end
        limit = PAGE_SIZE
    return GapFill(list(reversed(missing)), newest)


async def whole_history(fetch: FetchPage, max_events: int = 100_000) -> list[ReceivedEvent]:
    """Every timeline event of a room the server shows this device, oldest first."""
    found: list[ReceivedEvent] = []
    token: str | None = None
    while len(found) < max_events:
        page = await fetch(token, PAGE_SIZE)
        found.extend(await page.read(page.event_ids))
        if page.end is None or page.end == token:
            break
        token = page.end
    return list(reversed(found))
