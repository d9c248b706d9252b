"""A service that holds consultations in memory: snapshots, benchmarks, offline demos.

Nothing is sent anywhere; "sent" events are added to the local timeline with made-up ids.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from coopnet.consultation import LIBRARY_ROOM_NAME
from coopnet.errors import DocumentError, RecoveryError
from coopnet.keys import ensure_private_dir, write_private
from coopnet.matrix import Progress
from coopnet.matrix.attachments import CHUNK
from coopnet.matrix.documents import free_name
from coopnet.protocol import (
    AccessGranted,
    ConsultationOpened,
    Event,
    encode,
    encode_document,
    encrypted_file,
)
from tui.directory import Directory
from tui.model import Entry, EntryKind, entry_from
from tui.service import (
    Connection,
    ConnectionChanged,
    DeviceRow,
    DeviceVerified,
    DocumentDraft,
    Emoji,
    Restored,
    RoomsChanged,
    SavedDocument,
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
        self.account_recovery_key: str | None = None  # the account's, if it has a backup
        self.holds_recovery_key = False  # this device was enrolled or unlocked with it
        self._in_backup: dict[str, list[Entry]] = {}  # what the backup's keys decrypt
        self.chunk_delay = 0.0  # seconds per chunk "uploaded" (tests cancel midway)
        self.files: dict[str, bytes] = {}
        """The "media store": a document's bytes by its mxc URL (plaintext: in memory only)."""
        self.enrolled: dict[str, dict[str, str]] = {}  # the authority's internal accounts
        self.invited_experts: list[tuple[str, str]] = []  # (room, expert) invited

    def seed_backup(self, recovery_key: str, room_id: str, entries: list[Entry]) -> None:
        """Entries this device cannot read (a new device) until the recovery key is
        given: their room keys are in the account's key backup."""
        self.account_recovery_key = recovery_key
        self.recovery_needed = not self.holds_recovery_key
        consultation = self.room(room_id, room_id)
        for entry in entries:
            consultation.add(Entry(entry.event_id, entry.sender, entry.ts, EntryKind.UNDECRYPTABLE))
        self._in_backup.setdefault(room_id, []).extend(entries)

    async def unlock_recovery(self, recovery_key: str) -> Restored:
        expected = self.account_recovery_key
        if expected is None:
            raise RecoveryError(f"{self.user_id} has no secret storage yet: nothing to unlock")
        if "".join(recovery_key.split()) != "".join(expected.split()):
            raise RecoveryError(
                "this recovery key does not open this account's secret storage: check it "
                "and try again"
            )
        self.holds_recovery_key, self.recovery_needed = True, False
        imported = 0
        for room_id, entries in self._in_backup.items():
            for entry in entries:
                restored = replace(entry, trusted=False, from_backup=True)
                imported += self.add_entry(room_id, restored, history=True)
        self._in_backup.clear()
        return Restored(imported, device_signed=True)

    def recovery_key(self) -> str:
        if not self.holds_recovery_key or self.account_recovery_key is None:
            raise RecoveryError(
                f"this device ({self.device_id}) does not hold the recovery key: show it on "
                "a device that was enrolled or unlocked with it"
            )
        return self.account_recovery_key

    async def replace_recovery_key(self) -> str:
        old = self.recovery_key()
        new = " ".join(secrets.token_hex(24)[i : i + 4] for i in range(0, 48, 4))
        assert new != old
        self.account_recovery_key = new
        return new

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
        self.drafts.pop(room_id, None)
        return self._add(room_id, text_content(body, reply_to))

    async def send_event(self, room_id: str, event: Event) -> str:
        held = self.rooms.get(room_id)
        return self._add(room_id, encode(event, after=held.core.head() if held else None))

    def experts(self) -> dict[str, dict[str, str]]:
        return self.enrolled

    async def grant_access(self, room_id: str, grant: AccessGranted) -> str:
        event_id = await self.send_event(room_id, grant)
        self.invited_experts.append((room_id, grant.expert))
        return event_id

    async def send_document(
        self, room_id: str, draft: DocumentDraft, progress: Progress | None = None
    ) -> str:
        self.check_document(room_id, draft)
        size = draft.path.stat().st_size
        data = bytearray()
        with draft.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                data += chunk
                if progress is not None:
                    progress(len(data), size)
                await asyncio.sleep(self.chunk_delay)  # a cancelled upload stops here
        url = f"mxc://local/file{next(self._ids)}"
        self.files[url] = bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        document = draft.document(len(data), digest)
        file = encrypted_file(url, bytes(32), bytes(16), hashlib.sha256(data).digest())
        held = self.rooms[room_id]
        return self._add(room_id, encode_document(document, file, self.lang, held.core.head()))

    async def save_document(
        self, room_id: str, event_id: str, folder: Path, progress: Progress | None = None
    ) -> SavedDocument:
        consultation = self.rooms[room_id]
        held = consultation.document(event_id)
        entry = consultation.entry(event_id)
        file = (entry.source or {}).get("file") if entry is not None else None
        if held is None or not isinstance(file, dict):
            raise DocumentError(f"{event_id} is no document of {consultation.case_ref}")
        data = self.files.get(str(file.get("url")))
        if data is None:
            return SavedDocument(None, reason="the media store does not hold it")
        if progress is not None:
            progress(len(data), held.document.size)
        digest = hashlib.sha256(data).hexdigest()
        if digest != held.document.sha256:
            reason = f"its SHA-256 is {digest}, the document states {held.document.sha256}"
            return SavedDocument(None, digest, reason)
        folder = ensure_private_dir(folder) if not folder.exists() else folder
        target = free_name(folder, held.document.filename or "document")
        write_private(target, data, exclusive=True)
        return SavedDocument(target, digest)

    async def open_consultation(self, opened: ConsultationOpened) -> str:
        room_id = f"!{opened.case_ref}:local"
        self.room(room_id, opened.case_ref)
        await self.send_event(room_id, opened)
        self.emit(RoomsChanged())
        return room_id

    async def open_library(self) -> str:
        room_id = f"!library{len(self.rooms)}:local"
        self.room(room_id, LIBRARY_ROOM_NAME)
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
