"""Each consultation's view kept in memory and brought up to date entry by entry.

The record stays the source of truth: a room's view is built from the record the first
time it is asked for (so after a restart, when the cache is empty), and from then on
every entry the bot appends to the record is folded into it with the same function a
rebuild uses (:func:`~bots.consultation.view.fold_entry`). Without this the bot read
and parsed the whole consultation for every structured event and every tick.

Why the view cannot drift from a rebuild:

* every append of the bot goes through :meth:`ViewCache.append`; appends and rebuilds
  take turns (one lock), so entries are folded in record order and a rebuild never
  runs while one of the bot's appends is half done;
* an append that returns an entry recorded before (the record is idempotent on event
  id: replays after a crash, an own message seen again) is not folded twice: the view
  remembers the last record position it holds;
* an append whose outcome is unknown (an error, or the caller cancelled: a queued
  write still happens) drops the room's view, which is rebuilt on next use;
* a rebuild reads through the record's writer thread, which takes jobs in order, so
  it sees every write queued before it, including a cancelled caller's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bots.consultation.view import ConsultationView, build_view, fold_entry
from coopnet.consultation import ConsultationSettings, Message, Parties
from coopnet.receipts import Keys
from coopnet.records import Entry, NewEntry
from coopnet.records.store import RecordStore
from coopnet.records.writer import AsyncRecordStore
from coopnet.stages import Rulebook


@dataclass
class _Cached:
    case_ref: str
    view: ConsultationView
    # Record position (seq) of the last entry of this view: the view holds every entry
    # of the consultation up to it.
    last_seq: int


class ViewCache:
    """Views of the consultations of one bot, by room id."""

    def __init__(
        self,
        bot: str,
        records: AsyncRecordStore,
        parties: Parties,
        receipt_keys: Keys | None = None,
        rulebook: Rulebook | None = None,
        settings: ConsultationSettings | None = None,
    ) -> None:
        self._settings = settings
        self._bot = bot
        self._records = records
        self._parties = parties
        self._receipt_keys = receipt_keys
        self._rulebook = rulebook
        self._views: dict[str, _Cached] = {}
        self._turn = asyncio.Lock()

    async def view(self, case_ref: str, room_id: str) -> ConsultationView:
        """The view of the room's entries recorded under ``case_ref``, as
        :func:`build_view` gives it. Shared and updated in place: read, never modify."""
        async with self._turn:
            cached = self._views.get(room_id)
            # The case reference is the room's name when the entry was recorded: a room
            # whose name changed (or became known) has another set of entries.
            if cached is None or cached.case_ref != case_ref:
                cached = await self._build(case_ref, room_id)
                self._views[room_id] = cached
            return cached.view

    def held(self) -> list[ConsultationView]:
        """The views built so far (read, never modify)."""
        return [cached.view for cached in self._views.values()]

    async def append(self, new: NewEntry, message: Message | None = None) -> Entry:
        """Append to the record and fold the entry into the room's view if it is new
        (``message``: the event as the caller parsed it, to spare parsing it again)."""
        async with self._turn:
            try:
                entry = await self._records.append(new)
                self._fold(entry, message)
            except BaseException:
                # Written or not, the view can no longer be trusted: rebuild it on next use.
                self._views.pop(new.room_id, None)
                raise
            return entry

    async def _build(self, case_ref: str, room_id: str) -> _Cached:
        def read(store: RecordStore) -> list[Entry]:
            return [e for e in store.entries(case_ref) if e.room_id == room_id]

        entries = await self._records.execute_write_fn(read)
        view = build_view(
            self._bot, entries, self._parties, self._receipt_keys, self._rulebook, self._settings
        )
        return _Cached(case_ref, view, entries[-1].seq if entries else 0)

    def _fold(self, entry: Entry, message: Message | None) -> None:
        cached = self._views.get(entry.room_id)
        if cached is None or cached.case_ref != entry.case_ref:
            return  # no view held (built on next use) or the entry is not part of it
        if entry.seq <= cached.last_seq:
            return  # recorded before (same event id): the view holds it already
        fold_entry(cached.view, entry, message)
        cached.last_seq = entry.seq
