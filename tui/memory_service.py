"""A service that holds consultations in memory: snapshots, benchmarks, offline demos.

Nothing is sent anywhere; "sent" events are added to the local timeline with made-up ids.
"""

from __future__ import annotations

import itertools
from typing import Any

from coopnet.protocol import ConsultationOpened, Event, encode
from tui.directory import Directory
from tui.model import Entry, entry_from
from tui.service import (
    Connection,
    ConnectionChanged,
    DeviceRow,
    DeviceVerified,
    Emoji,
    RoomsChanged,
    Service,
    text_content,
)


class MemoryService(Service):
    def __init__(self, user_id: str, directory: Directory, now_ms: int = 1_780_000_000_000):
        super().__init__(user_id, directory)
        self.now_ms = now_ms
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.device_rows: dict[str, list[DeviceRow]] = {}
        self.verifications: dict[str, tuple[str, str]] = {}
        self.confirmed: set[str] = set()
        self._ids = itertools.count(1)

    def next_id(self) -> str:
        return f"$local{next(self._ids)}"

    def seed(
        self,
        room_id: str,
        case_ref: str,
        entries: list[Entry],
        invited: bool = False,
        inviter: str | None = None,
    ) -> None:
        consultation = self.room(room_id, case_ref)
        consultation.invited = invited
        consultation.inviter = inviter
        for entry in entries:
            consultation.add(entry, own=True)

    async def start(self, password: str | None = None) -> None:
        self.emit(RoomsChanged())
        self.emit(ConnectionChanged(Connection.ONLINE))

    async def load_history(self, room_id: str) -> None:
        return None

    def _add(self, room_id: str, content: dict[str, Any]) -> str:
        self.now_ms += 1000
        event_id = self.next_id()
        self.sent.append((room_id, content))
        entry = entry_from(event_id, self.user_id, self.now_ms, "m.room.message", content)
        self.add_entry(room_id, entry)
        return event_id

    async def send_text(self, room_id: str, body: str, reply_to: str | None = None) -> str:
        return self._add(room_id, text_content(body, reply_to))

    async def send_event(self, room_id: str, event: Event) -> str:
        held = self.rooms.get(room_id)
        return self._add(room_id, encode(event, after=held.core.head() if held else None))

    async def open_consultation(self, opened: ConsultationOpened) -> str:
        room_id = f"!{opened.case_ref}:local"
        self.room(room_id, opened.case_ref)
        await self.send_event(room_id, opened)
        self.emit(RoomsChanged())
        return room_id

    async def join(self, room_id: str) -> None:
        self.rooms[room_id].invited = False
        self.emit(RoomsChanged())

    async def devices(self, room_id: str) -> list[DeviceRow]:
        return list(self.device_rows.get(room_id, []))

    # A verification that the other side always accepts, for demos and screen tests.
    EMOJI: list[Emoji] = [
        ("🐶", "Dog"),
        ("🔑", "Key"),
        ("🌍", "Globe"),
        ("🎸", "Guitar"),
        ("🚀", "Rocket"),
        ("⏰", "Clock"),
        ("📕", "Book"),
    ]

    async def start_verification(self, user_id: str, device_id: str) -> str:
        transaction = f"txn-{next(self._ids)}"
        self.verifications[transaction] = (user_id, device_id)
        return transaction

    async def accept_verification(self, transaction_id: str) -> None:
        return None

    async def verification_emoji(self, transaction_id: str) -> list[Emoji]:
        return list(self.EMOJI)

    async def confirm_verification(self, transaction_id: str) -> None:
        self.confirmed.add(transaction_id)

    async def reject_verification(self, transaction_id: str) -> None:
        self.verifications.pop(transaction_id, None)

    async def wait_verified(self, transaction_id: str) -> tuple[str, str]:
        user_id, device_id = self.verifications[transaction_id]
        for room_id, rows in self.device_rows.items():
            self.device_rows[room_id] = [
                DeviceRow(r.user_id, r.device_id, r.ed25519, r.display_name, "trusted")
                if (r.user_id, r.device_id) == (user_id, device_id)
                else r
                for r in rows
            ]
        self.emit(DeviceVerified(user_id, device_id))
        return user_id, device_id
