"""The client's encrypted cache file: decrypted timelines kept on disk, sealed.

One SQLite file (0600, in the device store's 0700 directory), numbered migrations with
``sqlite_utils.Migrations``. In clear it holds only what the homeserver already knows
in clear — room ids and event ids, the keys of the rows — plus the scrypt parameters
and the wrapped data key. Everything else (sender, time, type, content, case
reference) is one AES-GCM blob per row whose associated data names the row.

An instance is used from one thread (see :mod:`coopnet.localcache.background`).
A row that fails its authentication tag is skipped and counted, not fatal: the cache
only holds what the homeserver can send again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from coopnet.errors import CacheError
from coopnet.keys import create_private_file
from coopnet.localcache.sealing import (
    KdfParams,
    derive_wrapping_key,
    new_data_key,
    open_sealed,
    seal,
    unwrap,
    wrap,
)

log = logging.getLogger(__name__)

FORMAT = "coopnet-cache/1"

migrations = Migrations("coopnet.localcache")


@migrations(name="0001_meta_rooms_events")
def _m0001(db: Database) -> None:
    db["meta"].create({"name": str, "value": str}, pk="name", not_null={"value"})  # type: ignore[union-attr]
    db["rooms"].create({"room_id": str, "blob": bytes}, pk="room_id", not_null={"blob"})  # type: ignore[union-attr]
    db["events"].create(  # type: ignore[union-attr]
        {"room_id": str, "event_id": str, "blob": bytes},
        pk=("room_id", "event_id"),
        not_null={"blob"},
    )


@migrations(name="0002_outbox")
def _m0002(db: Database) -> None:
    # What the officer wrote and has not seen sent: a composer's draft (slot "draft") or a
    # message on its way, under the Matrix transaction id it is sent with (slot = txn id).
    db["outbox"].create(  # type: ignore[union-attr]
        {"room_id": str, "slot": str, "blob": bytes},
        pk=("room_id", "slot"),
        not_null={"blob"},
    )


DRAFT_SLOT = "draft"
"""The outbox slot of a room's composer text (the others are transaction ids)."""

Record = dict[str, Any]
"""What callers store: any JSON object."""


def _aad(table: str, *key: str) -> bytes:
    return "\x1f".join((FORMAT, table, *key)).encode("utf-8")


class EncryptedCache:
    """An unlocked cache: holds the data key in memory until :meth:`close`."""

    def __init__(self, path: Path, db: Database, data_key: bytes) -> None:
        self.path = path
        self._db = db
        self._key = data_key
        self.damaged = 0
        """Rows skipped because they failed authentication (since unlocking)."""

    # ------------------------------------------------------------ opening
    @staticmethod
    def exists(path: Path) -> bool:
        return path.is_file()

    @classmethod
    def create(cls, path: Path, passphrase: str, params: KdfParams | None = None) -> EncryptedCache:
        if path.exists():
            raise CacheError(f"{path} already exists: unlock it, or discard it first")
        params = params or KdfParams.fresh()
        wrapping_key = derive_wrapping_key(passphrase, params)
        create_private_file(path)
        db = _connect(path)
        data_key = new_data_key()
        with db.conn:
            db["meta"].insert_all(  # type: ignore[union-attr]
                [
                    {"name": "format", "value": FORMAT},
                    {"name": "kdf", "value": json.dumps(params.to_dict())},
                    {"name": "wrapped_key", "value": wrap(wrapping_key, data_key).hex()},
                ],
                replace=True,
            )
        return cls(path, db, data_key)

    @classmethod
    def unlock(cls, path: Path, passphrase: str) -> EncryptedCache:
        """Open an existing cache; :class:`WrongPassphrase` leaves it untouched."""
        if not path.is_file():
            raise CacheError(f"{path} does not exist")
        db = _connect(path)
        try:
            params, wrapped = _key_material(db)
            data_key = unwrap(derive_wrapping_key(passphrase, params), wrapped)
        except BaseException:
            db.close()
            raise
        return cls(path, db, data_key)

    @staticmethod
    def discard(path: Path) -> None:
        """Delete the cache (e.g. a forgotten passphrase); the homeserver refills it."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def change_passphrase(
        self, old_passphrase: str, new_passphrase: str, params: KdfParams | None = None
    ) -> None:
        """Wrap the data key under a new passphrase, once the current one is proven
        (an unlocked screen left unattended must not be enough to change it)."""
        current, wrapped = _key_material(self._db)
        if unwrap(derive_wrapping_key(old_passphrase, current), wrapped) != self._key:
            raise CacheError("the cache's key changed under this client")  # pragma: no cover
        params = params or KdfParams.fresh()
        wrapped = wrap(derive_wrapping_key(new_passphrase, params), self._key)
        with self._db.conn:
            self._db["meta"].upsert_all(  # type: ignore[union-attr]
                [
                    {"name": "kdf", "value": json.dumps(params.to_dict())},
                    {"name": "wrapped_key", "value": wrapped.hex()},
                ],
                pk="name",
            )

    def close(self) -> None:
        self._db.close()
        self._key = b""

    # ------------------------------------------------------------ rows
    def write(
        self,
        rooms: Iterable[tuple[str, Record]],
        events: Iterable[tuple[str, str, Record]],
        forget: Iterable[str] = (),
    ) -> None:
        """Delete the ``forget`` rooms with their events, then upsert rooms and events, in
        one transaction."""
        gone = [(room_id,) for room_id in forget]
        room_rows = [
            {"room_id": room_id, "blob": self._seal(record, "rooms", room_id)}
            for room_id, record in rooms
        ]
        event_rows = [
            {
                "room_id": room_id,
                "event_id": event_id,
                "blob": self._seal(record, "events", room_id, event_id),
            }
            for room_id, event_id, record in events
        ]
        with self._db.conn:
            if gone:
                self._db.conn.executemany("DELETE FROM events WHERE room_id = ?", gone)
                self._db.conn.executemany("DELETE FROM rooms WHERE room_id = ?", gone)
            if room_rows:
                self._db["rooms"].upsert_all(room_rows, pk="room_id")  # type: ignore[union-attr]
            if event_rows:
                self._db["events"].upsert_all(event_rows, pk=("room_id", "event_id"))  # type: ignore[union-attr]

    def rooms(self) -> Iterator[tuple[str, Record]]:
        for row in self._db.execute("SELECT room_id, blob FROM rooms").fetchall():
            record = self._open(row[1], "rooms", row[0])
            if record is not None:
                yield row[0], record

    def events(self) -> Iterator[tuple[str, str, Record]]:
        rows = self._db.execute("SELECT room_id, event_id, blob FROM events").fetchall()
        for room_id, event_id, blob in rows:
            record = self._open(blob, "events", room_id, event_id)
            if record is not None:
                yield room_id, event_id, record

    # ------------------------------------------------------------ outbox
    def keep_outbox(
        self, room_id: str, slot: str, record: Record, drop: Iterable[str] = ()
    ) -> None:
        """Store one outbox row and delete the ``drop`` slots of the same room, in one
        transaction: a draft becomes a pending send without a moment when it is neither."""
        blob = self._seal(record, "outbox", room_id, slot)
        with self._db.conn:
            self._db.conn.executemany(
                "DELETE FROM outbox WHERE room_id = ? AND slot = ?",
                [(room_id, gone) for gone in drop if gone != slot],
            )
            self._db["outbox"].upsert(  # type: ignore[union-attr]
                {"room_id": room_id, "slot": slot, "blob": blob}, pk=("room_id", "slot")
            )

    def drop_outbox(self, room_id: str, slot: str) -> None:
        with self._db.conn:
            self._db.conn.execute(
                "DELETE FROM outbox WHERE room_id = ? AND slot = ?", (room_id, slot)
            )

    def outbox(self) -> Iterator[tuple[str, str, Record]]:
        rows = self._db.execute("SELECT room_id, slot, blob FROM outbox").fetchall()
        for room_id, slot, blob in rows:
            record = self._open(blob, "outbox", room_id, slot)
            if record is not None:
                yield room_id, slot, record

    def _seal(self, record: Record, table: str, *key: str) -> bytes:
        plain = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return seal(self._key, plain, _aad(table, *key))

    def _open(self, blob: bytes, table: str, *key: str) -> Record | None:
        try:
            record = json.loads(open_sealed(self._key, blob, _aad(table, *key)))
        except (CacheError, ValueError) as exc:
            self.damaged += 1
            log.warning("cache row %s %s skipped: %s", table, key, exc)
            return None
        return record if isinstance(record, dict) else None


def _connect(path: Path) -> Database:
    try:
        db = Database(path)
        db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
    except Exception as exc:  # sqlite3.DatabaseError and friends: a file that is not ours
        raise CacheError(f"{path} is not a readable CoopNet cache ({exc})") from None
    return db


def _key_material(db: Database) -> tuple[KdfParams, bytes]:
    """The scrypt parameters and the wrapped data key, checked for shape."""
    meta = {str(r[0]): str(r[1]) for r in db.execute("SELECT name, value FROM meta")}
    if meta.get("format") != FORMAT:
        raise CacheError(f"unknown cache format {meta.get('format')!r} (expected {FORMAT})")
    if "kdf" not in meta or "wrapped_key" not in meta:
        raise CacheError("the cache has no wrapped key: discard it to start a new one")
    try:
        params = KdfParams.from_dict(json.loads(meta["kdf"]))
        wrapped = bytes.fromhex(meta["wrapped_key"])
    except ValueError as exc:
        raise CacheError(f"the cache's key material is malformed ({exc})") from None
    return params, wrapped
