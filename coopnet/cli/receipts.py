"""``coopnet receipts verify``: check a bot's signed receipt of a structured exchange.

Two ways to name the receipt:

* files: ``RECEIPT.json [--event EVENT.json]`` - Matrix event content, or a whole event
  with a ``content`` key (as a Matrix client's "view source" shows it);
* a bot's record: ``--db RECORDS.db --event-id ID`` - the receipt entries for that event
  and the receipted event's own entry are taken from the record.

The trusted keys come from the signed network directory, never from the receipt:
``--directory FILE --steward-key HEX|FILE`` (a directory verified with the steward's
public key, e.g. the one installed in an authority's ``directory/`` folder) or
``--network DIR`` (a local network's signed directory, verified with the key pinned in
its ``network.json``; the bots' key files only while it has none). A key from the
directory vouches only for its own bot's receipts, a retired key only for receipts dated
up to its retirement, a revoked key for none. ``--public-key`` (64 hex characters or a
key file; repeatable) trusts a key given by hand, with none of those checks.
Exit codes: 0 valid, 1 invalid (the reason is printed), 2 could not be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.datafile import file_sha256, read_json
from coopnet.errors import BadFileError, CoopNetError, Ed25519KeyError
from coopnet.keys import key_id, load_public_key, load_signing_key, public_key_from_hex
from coopnet.protocol import PAYLOAD_KEY, Receipt, parse_payload
from coopnet.receipts import (
    SIGNATURE_FIELD,
    Keys,
    ReceiptCheck,
    keys_from_directory,
    verify_receipt,
)
from coopnet.records import RecordError, reader
from coopnet.trust.directory import Directory

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2
RECEIPT_KIND = "receipt"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class InputError(Exception):
    """A file, record or key could not be read (exit 2)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    receipts = subparsers.add_parser(
        "receipts",
        help="check the signed receipts that consultation bots post",
        description="For every structured exchange the receiving authority's bot posts a "
        "receipt (event id, SHA-256 of the content, receiver, time) signed with its key.",
    )
    commands = receipts.add_subparsers(title="receipts commands", metavar="COMMAND", required=True)
    verify = commands.add_parser(
        "verify",
        help="verify a receipt's signature (and that it covers the receipted event)",
        description="Verify a receipt given as a file, or found in a bot's record by the "
        "receipted event's id. Exit 0 valid, 1 invalid with the reason, 2 unreadable input.",
    )
    verify.add_argument("receipt", nargs="?", type=Path, help="receipt event or content (JSON)")
    verify.add_argument("--event", type=Path, help="the receipted event or content (JSON)")
    verify.add_argument("--db", type=Path, help="a bot's record database")
    verify.add_argument("--event-id", help="with --db: the receipted event's id")
    verify.add_argument(
        "--document",
        type=Path,
        metavar="FILE",
        help="a document as received: its SHA-256 and size must be the ones the receipt certifies",
    )
    add_trust_arguments(verify, "--public-key", required=True)
    verify.set_defaults(func=_verify, parser=verify)


def add_trust_arguments(parser: argparse.ArgumentParser, key_option: str, required: bool) -> None:
    """The options naming the bot keys to trust (read back by :func:`trusted_keys`):
    ``--directory FILE --steward-key HEX|FILE``, ``--network DIR`` or *key_option* HEX|FILE."""
    trust = parser.add_mutually_exclusive_group(required=required)
    trust.add_argument(
        "--directory",
        type=Path,
        metavar="FILE",
        help="signed network directory: trust the bot receipt keys it lists (needs --steward-key)",
    )
    trust.add_argument(
        "--network",
        type=Path,
        metavar="DIR",
        help="local network: trust the bot receipt keys of its signed directory",
    )
    trust.add_argument(
        key_option,
        dest="public_key",
        action="append",
        metavar="HEX|FILE",
        help="trusted bot public key: 64 hex characters or a key file (repeatable)",
    )
    parser.add_argument(
        "--steward-key",
        metavar="HEX|FILE",
        help="with --directory: the steward's public key that verifies it (e.g. steward.pub)",
    )


# -- inputs ------------------------------------------------------------------------------


def message_content(value: Any) -> Mapping[str, Any]:
    """The event content from a JSON value: the content itself or a whole event."""
    if isinstance(value, Mapping):
        if PAYLOAD_KEY in value:
            return value
        inner = value.get("content")
        if isinstance(inner, Mapping):
            return inner
        if "content" in value:
            raise InputError("content: expected an object (the event's content)")
    raise InputError(
        f"(top level): expected a Matrix event or its content (an object with "
        f"{PAYLOAD_KEY!r} or 'content')"
    )


def read_content(path: Path) -> Mapping[str, Any]:
    try:
        return message_content(read_json(path, "the receipt or event file (JSON)"))
    except BadFileError as exc:
        raise InputError(str(exc)) from None
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def parse_public_key(value: str) -> Ed25519PublicKey:
    if _HEX64.fullmatch(value.strip()):
        return public_key_from_hex(value.lower())
    try:
        return load_public_key(value)
    except Ed25519KeyError as exc:  # name the key file, whatever the key reader said
        message = str(exc)
        raise InputError(message if message.startswith(value) else f"{value}: {message}") from exc


def directory_keys(file: Path, steward_key: str) -> Keys:
    """The bot receipt keys a signed directory lists, once verified with the steward key."""
    from coopnet.trust.store import load_verified, read_steward_key

    try:
        directory = load_verified(file, read_steward_key(steward_key))
    except CoopNetError as exc:
        raise InputError(f"{file}: {exc}") from exc
    return _listed_keys(directory, str(file))


def _listed_keys(directory: Directory, where: str) -> Keys:
    keys = keys_from_directory(directory)
    if not keys:
        raise InputError(
            f"{where}: directory v{directory.version} lists no bot receipt key; the steward "
            "lists one with 'coopnet directory set-receipt-key' (a local network: run 'coopnet "
            "net up' again)"
        )
    return keys


def network_keys(directory: Path) -> Keys:
    """The bot receipt keys of a local network's signed directory; before the network has
    one, every member bot's key file (authorities without a key file are skipped)."""
    from coopnet.network import load_network
    from coopnet.network import trust as network_trust
    from coopnet.network.botproc import signing_key_file

    try:
        network = load_network(directory)
        if network.directory_file is not None:
            return _listed_keys(network_trust.load_directory(network), str(network.file))
        keys: dict[str, Ed25519PublicKey] = {}
        for authority in network.members():
            path = signing_key_file(authority)
            if path.exists():
                public = load_signing_key(path).public_key()
                keys[key_id(public)] = public
    except CoopNetError as exc:
        raise InputError(str(exc)) from exc
    if not keys:
        raise InputError(f"{directory}: no member bot has a signing key yet")
    return keys


def trusted_keys(args: argparse.Namespace) -> Keys:
    if args.directory is not None:
        if not args.steward_key:
            args.parser.error("--directory needs --steward-key HEX|FILE to verify it")
        return directory_keys(args.directory, args.steward_key)
    if args.steward_key:
        args.parser.error("--steward-key goes with --directory")
    if args.network is not None:
        return network_keys(args.network)
    keys = [parse_public_key(value) for value in args.public_key]
    return {key_id(k): k for k in keys}


# -- the record --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFind:
    receipts: list[tuple[int, Mapping[str, Any]]]
    """(seq, receipt message content) of every receipt of the event."""
    original: tuple[int, Mapping[str, Any]] | None
    """(seq, message content) of the receipted event, if recorded."""


def _recorded_message(content_json: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(content_json)
    except (TypeError, ValueError):
        return None
    inner = value.get("content") if isinstance(value, dict) else None
    return inner if isinstance(inner, Mapping) else None


def _receipted_event_id(content: Mapping[str, Any]) -> str | None:
    payload = content.get(PAYLOAD_KEY)
    if not isinstance(payload, Mapping):
        return None
    parsed = parse_payload({k: v for k, v in payload.items() if k != SIGNATURE_FIELD})
    return parsed.event_id if isinstance(parsed, Receipt) else None


def find_in_record(db: Path, event_id: str) -> RecordFind:
    """The receipts of *event_id* and the event's own entry, from a bot's record."""
    try:
        conn = reader.open_readonly(db)
    except RecordError as exc:
        raise InputError(str(exc)) from exc
    try:
        kind_rows = conn.execute(
            "SELECT seq, content FROM entries WHERE kind = ? ORDER BY seq", (RECEIPT_KIND,)
        ).fetchall()
        own = conn.execute(
            "SELECT seq, content FROM entries WHERE event_id = ?", (event_id,)
        ).fetchone()
    except Exception as exc:  # sqlite3.Error and friends: an unreadable record
        raise InputError(f"{db}: cannot read the record: {exc}") from exc
    finally:
        conn.close()
    receipts = []
    for seq, content_json in kind_rows:
        content = _recorded_message(content_json)
        if content is not None and _receipted_event_id(content) == event_id:
            receipts.append((seq, content))
    original = None
    if own is not None:
        content = _recorded_message(own[1])
        if content is not None:
            original = (own[0], content)
    return RecordFind(receipts, original)


# -- the command -------------------------------------------------------------------------


def _describe(check: ReceiptCheck) -> str:
    if check.receipt is None:
        return check.reason
    r = check.receipt
    text = (
        f"{check.reason}: event {r.event_id}, content hash {r.content_hash}, receiver {r.receiver}"
    )
    if r.document_sha256 is not None:
        text += (
            f"; received document sha256 {r.document_sha256} ({r.document_size} bytes) "
            f"at {r.received_at.isoformat()}"
        )
    return text


def _document_problem(check: ReceiptCheck, document: Path | None) -> str | None:
    """Why ``document`` is not the file the receipt certifies (None: it is, or none given)."""
    if document is None or not check.ok or check.receipt is None:
        return None
    certified = check.receipt.document_sha256
    if certified is None:
        return "the receipt certifies no document"
    try:
        digest, size = file_sha256(document), document.stat().st_size
    except OSError as exc:
        raise InputError(f"{document}: cannot read: {exc.strerror or exc}") from None
    if digest != certified or check.receipt.document_size not in (None, size):
        return f"{document} has sha256 {digest} ({size} bytes); the receipt certifies {certified}"
    return None


def _verify(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    from_db = args.db is not None or args.event_id is not None
    if from_db and (args.receipt is not None or args.event is not None):
        parser.error("give either RECEIPT.json [--event EVENT.json] or --db with --event-id")
    if from_db and (args.db is None or args.event_id is None):
        parser.error("--db and --event-id go together")
    if not from_db and args.receipt is None:
        parser.error("give RECEIPT.json, or --db RECORDS.db --event-id ID")
    try:
        keys = trusted_keys(args)
        if from_db:
            return _verify_in_record(args.db, args.event_id, keys, args.document)
        receipt = read_content(args.receipt)
        original = read_content(args.event) if args.event is not None else None
        check = verify_receipt(receipt, keys, original)
        mismatch = _document_problem(check, args.document)
    except InputError as exc:
        print(f"coopnet receipts: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if mismatch is not None:
        check = ReceiptCheck(False, mismatch, check.receipt, check.key_id)
    status = "VALID" if check.ok else "INVALID"
    print(f"{args.receipt}: {status}: {_describe(check)}")
    if check.ok and original is None:
        print("(the receipted event was not checked: give it with --event)")
    return EXIT_OK if check.ok else EXIT_INVALID


def _verify_in_record(db: Path, event_id: str, keys: Keys, document: Path | None = None) -> int:
    found = find_in_record(db, event_id)
    if not found.receipts:
        print(f"{db}: INVALID: no receipt of event {event_id} in the record")
        return EXIT_INVALID
    if found.original is None:
        print(f"{db}: INVALID: event {event_id} is not in the record")
        return EXIT_INVALID
    event_seq, original = found.original
    ok = True
    for seq, receipt in found.receipts:
        check = verify_receipt(receipt, keys, original)
        mismatch = _document_problem(check, document)
        if mismatch is not None:
            check = ReceiptCheck(False, mismatch, check.receipt, check.key_id)
        ok = ok and check.ok
        status = "VALID" if check.ok else "INVALID"
        print(f"{db}: entry {seq} (receipt of entry {event_seq}): {status}: {_describe(check)}")
    return EXIT_OK if ok else EXIT_INVALID
