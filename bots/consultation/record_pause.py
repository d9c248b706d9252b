"""Recording paused while the record's filesystem is full.

A write the disk refused keeps nothing (its transaction rolled back), so the bot stops
where it is: it does not move past an event it could not record, it says so once in
its log and in the room, and it tries the same write again every ``retry_seconds``
until there is space; then it says that recording goes on, and the events that came
meanwhile are handled (recorded, receipted, answered) in order, each once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from coopnet.records import RecordFull

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0

Announce = Callable[[str, str, str], Awaitable[None]]  # (room id, message key, pause id)


class RecordingPause:
    def __init__(self, announce: Announce, retry_seconds: float = RETRY_SECONDS) -> None:
        self._announce = announce
        self.retry_seconds = retry_seconds
        self.since: float | None = None  # monotonic time of the refused write, while paused
        self.pause_id = ""  # names this pause in the notices' transaction ids
        self._told: list[str] = []  # rooms told that recording is paused

    @property
    def paused(self) -> bool:
        return self.since is not None

    async def refused(self, room_id: str, error: RecordFull) -> None:
        """A write to the record was refused for lack of space: tell once, then wait
        before the caller tries the same write again."""
        if self.since is None:
            self.since = time.monotonic()
            self.pause_id = str(time.time_ns())
            log.error(
                "recording paused: the record's filesystem is full (%s); retrying every %.0f s",
                error,
                self.retry_seconds,
            )
        if room_id not in self._told:
            self._told.append(room_id)
            try:
                await self._announce(room_id, "record.paused", self.pause_id)
            except Exception:  # the room is told when it can be; the record comes first
                log.exception("telling %s that recording is paused failed", room_id)
        await asyncio.sleep(self.retry_seconds)

    async def written(self) -> None:
        """A write succeeded: if recording was paused, it goes on; tell who was told."""
        if self.since is None:
            return
        log.warning(
            "recording resumed after %.0f s: the record's filesystem has space again",
            time.monotonic() - self.since,
        )
        self.since = None
        told, self._told = self._told, []
        for room_id in told:
            await self._announce(room_id, "record.resumed", self.pause_id)
