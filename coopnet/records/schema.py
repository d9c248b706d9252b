"""Numbered schema migrations of the record database (``sqlite_utils.Migrations``)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATION_SET = "coopnet.records"

migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_entries_and_metadata")
def _m0001_entries_and_metadata(db: Database) -> None:
    db["entries"].create(  # type: ignore[union-attr]
        {
            "seq": int,
            "case_ref": str,
            "room_id": str,
            "event_id": str,
            "kind": str,
            "sender": str,
            "origin_ts": int,
            "recorded_at": int,
            "content": str,
            "prev_hash": str,
            "entry_hash": str,
            "signature": str,
            "key_id": str,
        },
        pk="seq",
        not_null={
            "case_ref",
            "room_id",
            "kind",
            "sender",
            "origin_ts",
            "recorded_at",
            "content",
            "prev_hash",
            "entry_hash",
            "signature",
            "key_id",
        },
    )
    # Idempotency on event id is enforced by the database, not by a lookup.
    db["entries"].create_index(  # type: ignore[union-attr]
        ["event_id"], index_name="entries_event_id_unique", unique=True
    )
    db["entries"].create_index(  # type: ignore[union-attr]
        ["case_ref", "seq"], index_name="entries_case_ref_seq"
    )
    db["metadata"].create({"key": str, "value": str}, pk="key", not_null={"value"})  # type: ignore[union-attr]


@migrations(name="0002_append_only_triggers")
def _m0002_append_only_triggers(db: Database) -> None:
    # Guards against accidental edits by programs; an attacker can drop them, which is
    # what the hash chain and signatures are for.
    db.execute(
        "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries "
        "BEGIN SELECT RAISE(ABORT, 'the consultation record is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries "
        "BEGIN SELECT RAISE(ABORT, 'the consultation record is append-only'); END"
    )


@migrations(name="0003_consultation_links_and_heads")
def _m0003_consultation_links_and_heads(db: Database) -> None:
    # Entries recorded from now on also link to the previous entry of their consultation
    # (NULL for older entries), and each consultation's latest entry and count are signed
    # in case_heads, so that an export of one consultation can prove it is complete.
    db["entries"].add_column("case_prev_hash", str)  # type: ignore[union-attr]
    db["case_heads"].create(  # type: ignore[union-attr]
        {
            "case_ref": str,
            "count": int,
            "seq": int,
            "entry_hash": str,
            "key_id": str,
            "signature": str,
        },
        pk="case_ref",
        not_null={"count", "seq", "entry_hash", "key_id", "signature"},
    )
