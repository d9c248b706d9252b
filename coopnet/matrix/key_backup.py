"""Server-side key backup: upload every room key as it comes, restore them on a new device.

:class:`KeyBackup` keeps, in the device's store (``key-backup.json``, 0600), the backup
version it writes to, its public key, and which sessions it uploaded from which first
message index: each key goes up once (again only if an earlier-starting copy arrives),
in batches, from :meth:`upload_pending` (the client calls it in the background). A
device writes to a backup only after it trusted the backup's ``auth_data``: its public
key is the one of the private key read from secret storage with the recovery key
(:mod:`coopnet.matrix.recovery`), as the spec allows.

:meth:`restore` downloads a version, decrypts every key (a key whose MAC or content
fails is refused with its reason and nothing of it imported), and imports the rest into
the store, keeping the earliest copy of each session. A restored key does not
authenticate the device that sent its messages (anyone knowing the backup's public key,
the server included, can add keys): :meth:`restored` names such sessions until the same
session comes again from its sender over Olm, and their events are shown as coming from
an unauthenticated device.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import AsyncClient
from nio.crypto import InboundGroupSession

from coopnet.errors import MatrixError, RecoveryError
from coopnet.keys import write_private
from coopnet.matrix import client_api
from coopnet.matrix.backup_crypto import MEGOLM, BackupKey, encrypt_session_data
from coopnet.matrix.devices import Decision, DeviceInfo, DevicePolicy
from coopnet.matrix.room_keys import RoomKeys

log = logging.getLogger(__name__)

STATE_FILE = "key-backup.json"
BATCH = 500  # room keys per upload request
IMPORT_BATCH = 1_000  # restored room keys stored together
FETCH_AGAIN_AFTER = 30.0  # seconds before a key missing from the backup is asked again
MAX_REFUSALS_KEPT = 50


def session_key_id(session: InboundGroupSession) -> str:
    return f"{session.room_id}|{session.sender_key}|{session.id}"


@dataclass
class RestoreReport:
    """What a restore did: keys imported, keys already held from an earlier index, and
    each refused key with its reason."""

    version: str
    imported: int = 0
    already_held: int = 0
    refused: list[str] = field(default_factory=list)
    refused_count: int = 0

    def refuse(self, reason: str) -> None:
        self.refused_count += 1
        if len(self.refused) < MAX_REFUSALS_KEPT:
            self.refused.append(reason)


@dataclass
class BackupState:
    version: str | None = None
    public_key: str | None = None
    uploaded: dict[str, int] = field(default_factory=dict)  # session key id -> first index
    restored: set[str] = field(default_factory=set)  # Megolm session ids from the backup

    @classmethod
    def load(cls, store_dir: Path) -> BackupState:
        path = store_dir / STATE_FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text("utf-8"))
            return cls(
                data.get("version"),
                data.get("public_key"),
                {str(k): int(v) for k, v in dict(data.get("uploaded", {})).items()},
                {str(s) for s in data.get("restored", [])},
            )
        except (ValueError, TypeError, AttributeError) as exc:
            # Only what was uploaded is lost: everything is uploaded again.
            log.warning("%s is unreadable (%s); the backup starts over", path, exc)
            return cls()

    def save(self, store_dir: Path) -> None:
        data = {
            "version": self.version,
            "public_key": self.public_key,
            "uploaded": self.uploaded,
            "restored": sorted(self.restored),
        }
        write_private(store_dir / STATE_FILE, json.dumps(data).encode("utf-8"))


def backed_up_session(session: InboundGroupSession) -> dict[str, Any]:
    """The spec's ``BackedUpSessionData`` of a session, from its first known index."""
    return {
        "algorithm": MEGOLM,
        "forwarding_curve25519_key_chain": list(session.forwarding_chain),
        "sender_key": session.sender_key,
        "sender_claimed_keys": {"ed25519": session.ed25519},
        "session_key": session.export_session(session.first_known_index),
    }


class KeyBackup:
    def __init__(
        self, nio: AsyncClient, room_keys: RoomKeys, policy: DevicePolicy, store_dir: Path
    ) -> None:
        self._nio = nio
        self.room_keys = room_keys
        self.policy = policy
        self.store_dir = store_dir
        self.state = BackupState.load(store_dir)
        self._pending: dict[str, InboundGroupSession] = {}
        self._restoring = False
        self.uploaded_count = 0
        # The backup's private key, to fetch a missing room key (set once known, or read
        # from secret storage through ``key_source`` when first needed).
        self.backup_key: BackupKey | None = None
        self.key_source: Callable[[], Awaitable[BackupKey | None]] | None = None
        self._fetched: dict[tuple[str, str], float] = {}  # (room, session) -> last asked
        self.fetched_count = 0
        room_keys.on_saved(self._on_saved)
        room_keys.on_confirmed(self._on_confirmed)
        room_keys.doubtful = self.restored
        if self.enabled:
            self._queue(room_keys.all())

    # ---------------------------------------------------------------- state
    @property
    def enabled(self) -> bool:
        return self.state.version is not None and self.state.public_key is not None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def restored(self, session_id: str) -> bool:
        """Whether this Megolm session came from the backup only (sender unauthenticated)."""
        return session_id in self.state.restored

    def enable(self, version: str, public_key: str) -> None:
        """Write to backup ``version`` from now on (its ``auth_data`` is trusted)."""
        if version != self.state.version or public_key != self.state.public_key:
            self.state.uploaded.clear()  # a new version holds nothing yet
        self.state.version, self.state.public_key = version, public_key
        self.state.save(self.store_dir)
        self._queue(self.room_keys.all())

    def disable(self, why: str) -> None:
        log.warning("key backup of %s stopped: %s", self._nio.user_id, why)
        self.state.version = self.state.public_key = None
        self.state.save(self.store_dir)
        self._pending.clear()

    def _queue(self, sessions: Iterable[InboundGroupSession]) -> None:
        for session in sessions:
            key = session_key_id(session)
            done = self.state.uploaded.get(key)
            if done is None or session.first_known_index < done:
                self._pending[key] = session

    def _on_saved(self, session: InboundGroupSession) -> None:
        if self._restoring:
            return
        if session.id in self.state.restored:
            # The same session from its sender over Olm: authenticated now.
            self.state.restored.discard(session.id)
            self.state.save(self.store_dir)
        if self.enabled:
            self._queue([session])

    def _on_confirmed(self, session: InboundGroupSession) -> None:
        if not self._restoring and session.id in self.state.restored:
            self.state.restored.discard(session.id)
            self.state.save(self.store_dir)

    # ---------------------------------------------------------------- upload
    def _is_verified(self, session: InboundGroupSession) -> bool:
        """Whether this device trusts the device the key is from (the spec's
        ``is_verified``): its own sessions, or a trusted device's, not restored ones."""
        olm = self._nio.olm
        if olm is None or session.id in self.state.restored:
            return False
        if session.sender_key == olm.account.identity_keys["curve25519"]:
            return True
        for device in olm.device_store:
            if device.curve25519 == session.sender_key:
                info = DeviceInfo(
                    device.user_id, device.id, device.ed25519, device.display_name or ""
                )
                return bool(
                    device.ed25519 == session.ed25519 and self.policy.decide(info) is Decision.TRUST
                )
        return False

    async def upload_pending(self, batch: int = BATCH) -> int:
        """Upload up to ``batch`` keys not yet in the backup; the number uploaded."""
        if not self.enabled or not self._pending:
            return 0
        assert self.state.version is not None and self.state.public_key is not None
        chosen = list(self._pending.items())[:batch]
        rooms: dict[str, dict[str, Any]] = {}
        for _key, session in chosen:
            rooms.setdefault(session.room_id, {"sessions": {}})["sessions"][session.id] = {
                "first_message_index": session.first_known_index,
                "forwarded_count": len(session.forwarding_chain),
                "is_verified": self._is_verified(session),
                "session_data": encrypt_session_data(
                    self.state.public_key, backed_up_session(session)
                ),
            }
        answer = await client_api.call(
            self._nio,
            "PUT",
            client_api.path("room_keys", "keys", version=self.state.version),
            {"rooms": rooms},
        )
        if answer.errcode == "M_WRONG_ROOM_KEYS_VERSION" or answer.status == 404:
            self.disable(
                f"backup version {self.state.version} is no longer the current one "
                f"({answer.describe()}); unlock with the recovery key to use the new one"
            )
            return 0
        if not answer.ok:
            raise MatrixError(f"uploading {len(chosen)} room keys failed: {answer.describe()}")
        for key, session in chosen:
            self.state.uploaded[key] = session.first_known_index
            if self._pending.get(key) is session:
                del self._pending[key]
        self.state.save(self.store_dir)
        self.uploaded_count += len(chosen)
        log.info("backed up %d room keys (version %s)", len(chosen), self.state.version)
        return len(chosen)

    async def upload_all(self, batch: int = BATCH) -> int:
        total = 0
        while self.enabled and self._pending:
            total += await self.upload_pending(batch)
        return total

    # ---------------------------------------------------------------- one missing key
    async def fetch(self, room_id: str, session_id: str) -> bool:
        """Fetch one room key this device lacks from the backup (the spec: "when a device
        tries to read a message that it does not have keys for, it may request the key
        from the server"); True if a key was imported. Asked again only after
        :data:`FETCH_AGAIN_AFTER` seconds; refused keys are logged, nothing imported."""
        if not self.enabled:
            return False
        now = time.monotonic()
        last = self._fetched.get((room_id, session_id))
        if last is not None and now - last < FETCH_AGAIN_AFTER:
            return False
        self._fetched[(room_id, session_id)] = now
        if self.backup_key is None and self.key_source is not None:
            self.backup_key = await self.key_source()
        if self.backup_key is None:
            return False
        assert self.state.version is not None
        answer = await client_api.call(
            self._nio,
            "GET",
            client_api.path("room_keys", "keys", room_id, session_id, version=self.state.version),
        )
        if answer.status == 404:
            return False
        if not answer.ok:
            log.warning(
                "fetching room key %s from the backup failed: %s", session_id, answer.describe()
            )
            return False
        report = RestoreReport(self.state.version)
        session = self._decrypt_one(self.backup_key, room_id, session_id, answer.body, report)
        if session is None:
            log.warning("refused room key %s from the backup: %s", session_id, report.refused[0])
            return False
        self._restoring = True
        try:
            self._import([session], report)
        finally:
            self._restoring = False
            self.state.save(self.store_dir)
        self.fetched_count += report.imported
        if report.imported:
            log.info("fetched room key %s of %s from the key backup", session_id, room_id)
        return report.imported > 0

    # ---------------------------------------------------------------- restore
    async def restore(
        self,
        backup_key: BackupKey,
        version: str,
        progress: Callable[[int], None] | None = None,
    ) -> RestoreReport:
        """Download every key of ``version``, decrypt and import it (earliest copy kept)."""
        answer = await client_api.call(
            self._nio, "GET", client_api.path("room_keys", "keys", version=version)
        )
        if not answer.ok:
            raise MatrixError(f"downloading backup version {version} failed: {answer.describe()}")
        report = RestoreReport(version)
        rooms = answer.body.get("rooms")
        if not isinstance(rooms, dict):
            raise RecoveryError(f"backup version {version}: the answer has no 'rooms' map")
        self._restoring = True
        try:
            with self._one_transaction():
                batch: list[InboundGroupSession] = []
                for room_id, room in rooms.items():
                    sessions = room.get("sessions") if isinstance(room, dict) else None
                    if not isinstance(sessions, dict):
                        report.refuse(f"{room_id}: no 'sessions' map")
                        continue
                    for session_id, entry in sessions.items():
                        session = self._decrypt_one(
                            backup_key, str(room_id), str(session_id), entry, report
                        )
                        if session is not None:
                            batch.append(session)
                    if len(batch) >= IMPORT_BATCH:
                        self._import(batch, report)
                        batch = []
                        if progress is not None:
                            progress(report.imported)
                self._import(batch, report)
        finally:
            self._restoring = False
            self.state.save(self.store_dir)
        log.info(
            "restored %d room keys from backup version %s (%d already held, %d refused)",
            report.imported,
            version,
            report.already_held,
            report.refused_count,
        )
        return report

    def _one_transaction(self) -> AbstractContextManager[Any]:
        """nio commits each stored session by itself; a restore writes thousands: one
        transaction of its store's database (nothing awaits inside it)."""
        olm = self._nio.olm
        database = getattr(getattr(olm, "store", None), "database", None)
        atomic = getattr(database, "atomic", None)
        return atomic() if callable(atomic) else nullcontext()

    def _import(self, sessions: list[InboundGroupSession], report: RestoreReport) -> None:
        # A copy that replaces an authenticated one agrees with it (RoomKeys checks the
        # ratchets): the session stays authenticated.
        authenticated = {
            s.id
            for s in sessions
            if self.room_keys.get(s.room_id, s.sender_key, s.id) is not None
            and not self.restored(s.id)
        }
        kept = self.room_keys.import_many(sessions)
        report.imported += len(kept)
        report.already_held += len(sessions) - len(kept)
        for session in kept:
            if session.id not in authenticated:
                self.state.restored.add(session.id)
            self.state.uploaded[session_key_id(session)] = session.first_known_index

    def _decrypt_one(
        self, key: BackupKey, room_id: str, session_id: str, entry: Any, report: RestoreReport
    ) -> InboundGroupSession | None:
        """One backed-up key as a session, or None (refused into ``report``)."""
        where = f"{room_id} session {session_id}"
        try:
            if not isinstance(entry, dict):
                raise RecoveryError(f"{where}: not an object")
            data = key.decrypt(entry.get("session_data"), where)
            session = InboundGroupSession.import_session(
                data["session_key"],
                data["sender_claimed_keys"]["ed25519"],
                data["sender_key"],
                room_id,
                list(data.get("forwarding_curve25519_key_chain", [])),
            )
        except RecoveryError as exc:
            report.refuse(str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - vodozemac refusing the session key
            report.refuse(f"{where}: its session key cannot be imported ({exc!r:.80})")
            return None
        if session.id != session_id:
            report.refuse(f"{where}: the key is of session {session.id}, not of this one")
            return None
        return session
