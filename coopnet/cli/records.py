"""``coopnet records verify|export|verify-export|audit|keygen``: the consultation record.

Exit codes: 0 valid, 1 broken (the first broken entry is named) or, for verify-export,
signed by a key the verifier was not given to trust, or, for audit, events missing from
or extra in the record, 2 could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from coopnet.cli import export_trust
from coopnet.cli.receipts import InputError, add_trust_arguments
from coopnet.errors import BadFileError, Ed25519KeyError, MatrixError
from coopnet.keys import (
    generate_signing_key,
    key_id,
    load_public_key,
    load_signing_key,
    public_key_hex,
    write_private,
    write_public_key,
)
from coopnet.records import RecordError, verify_export
from coopnet.records.audit import AuditReport
from coopnet.records.database import export_case, verify_db

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_UNREADABLE = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    records = subparsers.add_parser(
        "records",
        help="verify and export a bot's tamper-evident consultation record",
        description="The consultation record is append-only: each entry holds the SHA-256 "
        "of the previous one and is signed by the bot's Ed25519 key.",
    )
    commands = records.add_subparsers(title="records commands", metavar="COMMAND", required=True)

    verify = commands.add_parser(
        "verify",
        help="check every hash, link and the signed head; name the first broken entry",
        description="Exit 0 if the record is intact, 1 naming the first broken entry "
        "(changed, deleted, inserted, reordered, bad signature), 2 if it cannot be read. "
        "By default the quick check runs (hashes, links and the signed head, which also "
        "covers every entry signature) and each entry's own signature is checked only "
        "when that is needed to name the first broken entry. "
        "Uses the public key stored in the database unless --pubkey is given; compare the "
        "printed key id with the bot's key in the signed network directory.",
    )
    verify.add_argument("--db", required=True, type=Path, help="record database")
    verify.add_argument("--pubkey", type=Path, help="bot public key file (PEM, raw or hex)")
    mode = verify.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="hashes, links and the signed head only, never the per-entry signature pass",
    )
    mode.add_argument(
        "--full",
        action="store_true",
        help="always check each entry's own signature too (what an export relies on)",
    )
    verify.set_defaults(func=_verify)

    export = commands.add_parser(
        "export",
        help="export one consultation, verifiable offline by a third party",
        description="Write every entry of one consultation with its hash and signature, "
        "the public key, the signed chain head and the consultation's signed head, which "
        "proves that no entry was left out. With --key (the bot's private key) the export "
        "is also signed as a whole.",
    )
    export.add_argument("--db", required=True, type=Path, help="record database")
    export.add_argument("--case", required=True, help="case reference, e.g. CN-2026-0042")
    export.add_argument("--format", choices=("json", "md"), default="json")
    export.add_argument("--out", type=Path, help="output file (default: standard output)")
    export.add_argument("--key", type=Path, help="bot private key, to sign the export")
    export.add_argument(
        "--with-documents",
        type=Path,
        metavar="OUT",
        help="write a bundle folder instead: the record (record.json), the documents it "
        "certified (documents/, restored from the evidence store and checked) and "
        "documents.json listing their versions and translations",
    )
    export.add_argument(
        "--evidence",
        type=Path,
        metavar="DIR",
        help="the bot's evidence store (default: evidence/ beside --db)",
    )
    export.add_argument(
        "--evidence-key",
        type=Path,
        metavar="FILE",
        help="the evidence store's key (default: evidence.key beside --db)",
    )
    export.set_defaults(func=_export)

    check = commands.add_parser(
        "verify-export",
        help="verify an export (JSON or Markdown) offline, against a key you trust",
        description="Check each entry's hash and signature, the order, the links between "
        "entries and between the entries of the consultation, the chain head, the "
        "consultation head (which proves that no entry is missing) and the export signature. "
        "Signatures are checked against the bot's receipt key in the signed network "
        "directory (--directory with --steward-key, or --network) or a key given with "
        "--pubkey, never only against the key the export carries: without one, the signer "
        "is reported UNVERIFIED and the exit code is 1. Exit 0 valid and signed by a trusted "
        "key, 1 broken or unverified signer, 2 unreadable (the bad field is named).",
    )
    check.add_argument(
        "file", type=Path, help="export file (.json or .md), or a bundle folder (--with-documents)"
    )
    add_trust_arguments(check, "--pubkey", required=False)
    check.set_defaults(func=_verify_export, parser=check)

    audit = commands.add_parser(
        "audit",
        help="compare a record with the rooms as a device sees them: missing or extra events",
        description="Read each room's whole history from the homeserver through the device "
        "stored in --store (an officer's device, or the bot's own while the bot is stopped) "
        "and compare it with the record's entries of that room: every timeline event must "
        "be in the record exactly once. Lists the events missing from the record and the "
        "entries the room does not show. The bot records what it sends as it sends it, so "
        "an answer of the last seconds may show as extra until it reaches the device's "
        "homeserver: run it again. Exit 0 when they match, 1 when they differ, 2 when "
        "the record, the device or the homeserver cannot be read.",
    )
    audit.add_argument("--db", required=True, type=Path, help="record database")
    audit.add_argument(
        "--store", required=True, type=Path, help="device store holding a logged-in device"
    )
    audit.add_argument(
        "--room",
        action="append",
        dest="rooms",
        metavar="ROOM_ID",
        help="room to audit (repeatable; default: every room of the record)",
    )
    audit.add_argument(
        "--timeout", type=float, default=300.0, help="give up after this many seconds"
    )
    audit.set_defaults(func=_audit)

    keygen = commands.add_parser(
        "keygen",
        help="create a bot signing key (0600) and print its key id and public key",
    )
    keygen.add_argument("--key", required=True, type=Path, help="private key file to create")
    keygen.add_argument("--pubkey-out", type=Path, help="also write the public key here")
    keygen.set_defaults(func=_keygen)


def _fail(message: str) -> int:
    print(f"coopnet records: {message}", file=sys.stderr)
    return EXIT_UNREADABLE


def _verify(args: argparse.Namespace) -> int:
    try:
        public_key = load_public_key(args.pubkey) if args.pubkey else None
        signatures = True if args.full else False if args.quick else None
        report = verify_db(args.db, public_key, signatures=signatures)
    except (RecordError, Ed25519KeyError) as exc:
        return _fail(str(exc))
    source = f"key {key_id(public_key)} from {args.pubkey}" if public_key else "key(s) stored in db"
    print(f"{args.db}: {report}")
    print(f"signer key id(s): {', '.join(sorted(report.key_ids)) or '-'} ({source})")
    return EXIT_OK if report.ok else EXIT_BROKEN


def _export(args: argparse.Namespace) -> int:
    try:
        signing_key = load_signing_key(args.key) if args.key else None
        if args.with_documents is not None:
            if args.out is not None or args.format != "json":
                return _fail("--with-documents writes a folder: without --out and --format")
            return _export_bundle(args, signing_key)
        text = export_case(args.db, args.case, args.format, signing_key=signing_key)
    except (RecordError, Ed25519KeyError) as exc:
        return _fail(str(exc))
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_private(args.out, text.encode("utf-8"))
    print(f"exported case {args.case} to {args.out}", file=sys.stderr)
    return EXIT_OK


def _export_bundle(args: argparse.Namespace, signing_key: Any) -> int:
    from coopnet.records.bundle import write_bundle
    from coopnet.records.database import case_entries
    from coopnet.records.evidence import EvidenceStore

    evidence_dir = args.evidence or args.db.parent / "evidence"
    key_file = args.evidence_key or args.db.parent / "evidence.key"
    evidence = EvidenceStore(evidence_dir, key_file) if evidence_dir.is_dir() else None
    if evidence is None:
        print(f"coopnet records: no evidence store at {evidence_dir}", file=sys.stderr)
    text = export_case(args.db, args.case, "json", signing_key=signing_key)
    documents, absent = write_bundle(
        args.with_documents, text, case_entries(args.db, args.case), evidence
    )
    print(
        f"exported case {args.case} to {args.with_documents}: "
        f"{len(documents) - len(absent)} of {len(documents)} document(s)",
        file=sys.stderr,
    )
    for event_id in absent:
        print(f"  not in the evidence store: {event_id}", file=sys.stderr)
    return EXIT_BROKEN if absent else EXIT_OK


def _verify_export(args: argparse.Namespace) -> int:
    bundle = args.file if args.file.is_dir() else None
    if bundle is not None:
        from coopnet.records.bundle import RECORD_FILE

        args.file = bundle / RECORD_FILE
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"{args.file}: cannot read: {exc}")
    try:
        trusted = export_trust.trusted_signers(args)
    except InputError as exc:
        return _fail(str(exc))
    try:
        report = verify_export(text, trusted)
    except (RecordError, Ed25519KeyError) as exc:
        return _fail(f"{args.file}: {exc}")
    print(f"{args.file}: {report}")
    if not report.ok:
        return EXIT_BROKEN
    if bundle is not None and not _verify_documents(bundle, text):
        return EXIT_BROKEN
    if trusted is None:
        print(export_trust.UNVERIFIED)
        return EXIT_BROKEN
    print(export_trust.describe_signers(report.key_ids, trusted))
    return EXIT_OK


def _verify_documents(bundle: Path, text: str) -> bool:
    """Each document of a verified record against the bundle's file for it."""
    from coopnet.protocol import ParseError
    from coopnet.records.bundle import check_documents
    from coopnet.records.export_format import read_export

    document = read_export(text)
    if isinstance(document, ParseError):  # verified above: cannot happen
        raise RecordError(str(document))
    checks = check_documents(bundle, document.entries)
    for check in checks:
        print(f"  document {check.line}")
    ok = all(c.ok for c in checks)
    print(f"{bundle}: {len(checks)} document check(s), {'all match' if ok else 'BROKEN'}")
    return ok


def _audit(args: argparse.Namespace) -> int:
    # Imported here: the other records commands work without loading nio.
    from coopnet.matrix.audit import audit_with_store

    async def run() -> list[AuditReport]:
        async with asyncio.timeout(args.timeout):
            return await audit_with_store(args.store, args.db, args.rooms)

    try:
        reports = asyncio.run(run())
    except TimeoutError:
        return _fail(f"the homeserver did not answer within {args.timeout:.0f} s")
    except (RecordError, BadFileError, MatrixError) as exc:
        return _fail(str(exc))
    if not reports:
        print(f"{args.db}: the record holds no room")
    for report in reports:
        print(report)
        for event_id in report.missing:
            print(f"  missing {event_id}")
        for event_id in report.extra:
            print(f"  extra   {event_id}")
        for event_id in report.doubled:
            print(f"  doubled {event_id}")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_BROKEN


def _keygen(args: argparse.Namespace) -> int:
    try:
        key = generate_signing_key(args.key)
    except Ed25519KeyError as exc:
        return _fail(str(exc))
    if args.pubkey_out:
        write_public_key(key, args.pubkey_out)
    print(f"key id {key_id(key)}")
    print(f"public key {public_key_hex(key)}")
    return EXIT_OK
