"""The work of ``coopnet documents`` (:mod:`coopnet.cli.documents`): an officer's device,
the consultation room of a case, its documents as the consultation core folds them."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.cli.officer import OfficerAccount
from coopnet.consultation import Consultation, ConsultationGrants, HeldDocument, Message
from coopnet.errors import DocumentError
from coopnet.matrix import CoopNetClient, DirectoryDevices, Progress, ReceivedEvent, check_source
from coopnet.matrix import save_document as save
from coopnet.matrix import send_document as send_file
from coopnet.matrix.documents import document_fields
from coopnet.protocol import (
    Document,
    encode_document,
    encrypted_file,
    parse_content,
)


@dataclass
class Case:
    client: CoopNetClient
    room_id: str
    consultation: Consultation
    events: dict[str, ReceivedEvent]


async def open_case(account: OfficerAccount, case_ref: str) -> Case:
    client = await CoopNetClient.open(
        account.homeserver, account.user_id, account.store, account.policy
    )
    try:
        await client.sync_once()
        rooms = [room_id for room_id, room in client.rooms().items() if room.name == case_ref]
        if not rooms:
            raise DocumentError(f"{account.user_id} is in no consultation room named {case_ref!r}")
        room_id = rooms[0]
        consultation = Consultation(account.roster, account.roster.receipt_keys)
        events: dict[str, ReceivedEvent] = {}
        if isinstance(account.policy, DirectoryDevices):
            # An expert given access to this consultation: trusted only while it lasts.
            account.policy.grants = ConsultationGrants(
                lambda: [consultation.access], lambda: dt.datetime.now(dt.UTC).date()
            )
        for event in await client.whole_history(room_id):
            add(consultation, events, event)
        return Case(client, room_id, consultation, events)
    except BaseException:
        await client.close()
        raise


def add(consultation: Consultation, events: dict[str, ReceivedEvent], event: ReceivedEvent) -> None:
    if not event.decrypted or event.type != "m.room.message":
        return
    events[event.event_id] = event
    consultation.add(
        Message(
            event.event_id,
            event.sender,
            event.origin_server_ts,
            event.content,
            parse_content(event.content),
            event.trusted,
        )
    )


def row(held: HeldDocument) -> dict[str, Any]:
    """One document as ``list --json`` prints it."""
    d = held.document
    return {
        "event_id": held.event_id,
        "sender": held.sender,
        "authority": held.authority,
        "sent_at_ms": held.ts,
        "kind": d.document_kind.value,
        "title": d.title,
        "language": d.language,
        "size": d.size,
        "sha256": d.sha256,
        "filename": d.filename,
        "pages": d.pages,
        "replaces": d.replaces,
        "replaced_by": held.replaced_by,
        "translation_of": d.translation_of,
        "translations": list(held.translations),
        "state": held.state.value,
        "certified_by": list(held.certified_by),
    }


def _receipt(consultation: Consultation, event_id: str) -> dict[str, Any] | None:
    held = consultation.document(event_id)
    if held is None:
        return None
    for certification in held.certifications:
        if certification.matches and certification.signature_valid is not False:
            return {
                "receipt_event_id": certification.receipt_id,
                **certification.receipt.to_dict(),
                "signature_valid": certification.signature_valid,
            }
    return None


async def send(account: OfficerAccount, args: argparse.Namespace, progress: Progress) -> dict:
    path: Path = args.file
    fields = {
        "title": args.title,
        "replaces": args.replaces,
        "translation_of": args.translation_of,
        "pages": args.pages,
    }
    # Everything that can be checked here is, before the homeserver hears of it.
    size = check_source(path, account.max_document_bytes)
    draft = document_fields(path, size, "0" * 64, args.kind, args.lang, **fields)
    case = await open_case(account, args.case_ref)
    try:
        refusal = case.consultation.check(_draft_message(case, account.user_id, draft))
        if refusal is not None:
            raise DocumentError(f"the consultation would refuse it: {refusal.message}")
        certified = asyncio.Event()
        sent_id: list[str] = []

        async def on_event(event: ReceivedEvent) -> None:
            add(case.consultation, case.events, event)
            if sent_id and _receipt(case.consultation, sent_id[0]) is not None:
                certified.set()

        case.client.on_event(on_event)
        sent = await send_file(
            case.client,
            case.room_id,
            path,
            limit=account.max_document_bytes,
            kind=args.kind,
            language=args.lang,
            after=case.consultation.head(),
            lang=args.fallback_lang,
            progress=progress,
            **fields,
        )
        sent_id.append(sent.event_id)
        if args.wait is not None:
            case.client.start()
            try:
                await asyncio.wait_for(certified.wait(), args.wait)
            except TimeoutError:
                pass
        return {
            "case_ref": args.case_ref,
            "room_id": case.room_id,
            "event_id": sent.event_id,
            "document": sent.document.to_dict(),
            "receipt": _receipt(case.consultation, sent.event_id),
        }
    finally:
        await case.client.close()


def _draft_message(case: Case, sender: str, draft: Document) -> Message:
    placeholder = encrypted_file("mxc://draft/draft", bytes(32), bytes(16), bytes(32))
    content = encode_document(draft, placeholder, after=case.consultation.head())
    return Message("$draft", sender, 0, content, draft)


async def listing(account: OfficerAccount, case_ref: str) -> list[dict[str, Any]]:
    case = await open_case(account, case_ref)
    try:
        return [row(held) for held in case.consultation.documents()]
    finally:
        await case.client.close()


async def fetch(account: OfficerAccount, args: argparse.Namespace, progress: Progress) -> dict:
    case = await open_case(account, args.case_ref)
    try:
        held = case.consultation.document(args.event_id)
        event = case.events.get(args.event_id)
        if held is None or event is None:
            raise DocumentError(f"{args.event_id} is no document of {args.case_ref}")
        outcome = await save(case.client, event.content, held.document, args.out, progress)
        return {
            "event_id": args.event_id,
            "ok": outcome.ok,
            "path": str(outcome.path) if outcome.path else None,
            "size": outcome.size,
            "sha256": outcome.sha256,
            "code": outcome.code,
            "reason": outcome.reason,
            "state": held.state.value,
            "certified_by": list(held.certified_by),
        }
    finally:
        await case.client.close()
