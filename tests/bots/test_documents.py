"""Documents between Switzerland and Mexico on real Synapse: sent encrypted, downloaded,
checked and certified by Mexico's bot, readable by any Matrix client from the m.file
alone; a tampered ciphertext or a wrong hash refused and never counted as received."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from nio import AsyncClient, DownloadResponse
from nio.crypto.attachments import decrypt_attachment

from bots.consultation.runner import records_path
from bots.consultation.texts import text
from coopnet.matrix import CoopNetClient, save_document, send_document
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.protocol import (
    Document,
    Receipt,
    encode_document,
    parse_content,
)
from coopnet.receipts import keys_from_directory, verify_receipt
from coopnet.records.evidence import EvidenceStore
from tests.bots.helpers import notice_after, open_ch_mx_consultation, receipt_for
from tests.bots.record_reader import room_entries
from tests.harness import Inbox, wait_for
from tests.integration.test_document_transfer import CANARY, media_files, stored_copy, write_file

pytestmark = pytest.mark.integration

MB = 1 << 20


async def _room(network: Network, open_client, start_bot, prefix: str):
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    room, case_ref = await open_ch_mx_consultation(ch, mx, mx_bot.user_id, prefix)
    await wait_for(lambda: mx_bot.user_id in ch.joined(room), "the mx bot to join")
    return mx_bot, ch, ch_inbox, mx, mx_inbox, room


def _event(inbox: Inbox, event_id: str):
    return inbox.find(lambda e: e.event_id == event_id)


async def test_a_50_mb_document_arrives_identical_and_certified(
    network: Network, open_client, start_bot, tmp_path: Path
) -> None:
    mx_bot, ch, ch_inbox, mx, mx_inbox, room = await _room(network, open_client, start_bot, "DOC50")
    source = write_file(tmp_path / "extradition-request.pdf", 50 * MB)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    sent = await send_document(
        ch,
        room,
        source,
        limit=network.max_document_bytes,
        kind="formal_request",
        language="fr",
        after=None,
        title="Demande d'extradition",
    )
    assert sent.document.sha256 == digest and sent.document.size == 50 * MB

    # Mexico's bot downloads, checks and certifies the hash in its signed receipt.
    await wait_for(lambda: receipt_for(ch_inbox, sent.event_id), "mx bot's receipt", 180)
    receipt_event = receipt_for(ch_inbox, sent.event_id)
    assert receipt_event is not None and receipt_event.sender == mx_bot.user_id
    receipt = parse_content(receipt_event.content)
    assert isinstance(receipt, Receipt)
    assert receipt.document_sha256 == digest and receipt.document_size == 50 * MB
    await wait_for(lambda: _event(ch_inbox, sent.event_id), "the document's own echo")
    original = _event(ch_inbox, sent.event_id)
    assert original is not None
    keys = keys_from_directory(network_trust.load_directory(load_network(network.directory)))
    check = verify_receipt(receipt_event.content, keys, original.content)
    assert check.ok, check.reason

    # The record holds kind, title, size and hash; the evidence store an encrypted copy.
    entries = room_entries(records_path(network.authority("mx")), room)
    [entry] = [e for e in entries if e.event_id == sent.event_id]
    assert entry.kind == "event"
    noted = json.loads(entry.content)["document"]
    assert noted == {
        "kind": "formal_request",
        "title": "Demande d'extradition",
        "size": 50 * MB,
        "sha256": digest,
        "checked": True,
        "evidence": True,
    }
    store = mx_bot.documents.evidence
    assert isinstance(store, EvidenceStore) and store.has(digest)
    assert store.folder.stat().st_mode & 0o777 == 0o700
    assert CANARY not in store.ciphertext_path(digest).read_bytes()

    # The Mexican officer saves it: byte-identical, 0600.
    await wait_for(lambda: _event(mx_inbox, sent.event_id), "mx officer to get the document")
    received = _event(mx_inbox, sent.event_id)
    assert received is not None
    document = parse_content(received.content)
    assert isinstance(document, Document)
    saved = await save_document(mx, received.content, document, tmp_path / "inbox")
    assert saved.ok and saved.path is not None
    assert saved.path.name == "extradition-request.pdf"
    assert saved.path.read_bytes() == source.read_bytes()
    assert saved.path.stat().st_mode & 0o777 == 0o600

    # No homeserver's media store holds the plaintext (both servers hold the ciphertext).
    assert not [p for p in media_files(network) if CANARY in p.read_bytes()]

    # A plain nio client, reading only the m.file fields, decrypts it.
    await _plain_nio_decrypts(network, mx, received.content, source.read_bytes())


async def _plain_nio_decrypts(
    network: Network, officer: CoopNetClient, content: dict, expected: bytes
) -> None:
    net = load_network(network.directory)
    authority, account = net.account(officer.user_id)
    session = json.loads((Path(account.store_dir or "") / "session.json").read_text())
    plain = AsyncClient(authority.client_url, officer.user_id)
    plain.restore_login(officer.user_id, session["device_id"], session["access_token"])
    try:
        file = content["file"]
        assert content["msgtype"] == "m.file" and "url" not in content
        resp = await plain.download(mxc=file["url"])
        assert isinstance(resp, DownloadResponse), resp
        data = decrypt_attachment(resp.body, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
        assert data == expected
    finally:
        await plain.close()


async def test_a_tampered_or_misdescribed_document_is_refused_and_not_received(
    network: Network, open_client, start_bot, tmp_path: Path
) -> None:
    mx_bot, ch, ch_inbox, mx, mx_inbox, room = await _room(
        network, open_client, start_bot, "DOCBAD"
    )
    source = write_file(tmp_path / "facts.pdf", 2 * MB)

    # 1. The event states another SHA-256 than the file's.
    size = source.stat().st_size
    uploaded = await ch.upload_encrypted(source, size)
    wrong = Document.from_dict(
        {
            "document_kind": "statement_of_facts",
            "title": "Facts",
            "language": "en",
            "size": size,
            "sha256": "0" * 64,
            "filename": "facts.pdf",
        }
    )
    assert isinstance(wrong, Document)
    wrong_id = await ch.send(room, encode_document(wrong, uploaded.file, after=None))

    # 2. The ciphertext altered on the sender's homeserver before Mexico fetched it.
    other = write_file(tmp_path / "judgment.pdf", 1 * MB)
    uploaded = await ch.upload_encrypted(other, other.stat().st_size)
    stored = stored_copy(network, uploaded.file["url"].rsplit("/", 1)[1])
    data = bytearray(stored.read_bytes())
    data[1000] ^= 0xFF
    stored.write_bytes(bytes(data))
    tampered = Document.from_dict(
        {
            "document_kind": "judgment",
            "title": "Judgment",
            "language": "en",
            "size": other.stat().st_size,
            "sha256": hashlib.sha256(other.read_bytes()).hexdigest(),
            "filename": "judgment.pdf",
        }
    )
    assert isinstance(tampered, Document)
    tampered_id = await ch.send(room, encode_document(tampered, uploaded.file, after=wrong_id))

    not_received = text("document.rejected", "fr", reason="").split(":")[0]
    for event_id, reason in ((wrong_id, "SHA-256"), (tampered_id, "altered")):
        await wait_for(
            lambda eid=event_id: (
                notice_after(ch_inbox, mx_bot.user_id, eid) is not None
                or _answer_to(ch_inbox, mx_bot.user_id, eid) is not None
            ),
            f"mx bot's refusal of {event_id}",
            120,
        )
        answer = _answer_to(ch_inbox, mx_bot.user_id, event_id)
        assert answer is not None
        # In the sender's language (Switzerland's: French).
        assert answer.content["body"].startswith(not_received), answer.content["body"]
        assert reason in answer.content["body"], answer.content["body"]
        assert receipt_for(ch_inbox, event_id) is None
    entries = {e.event_id: e for e in room_entries(records_path(network.authority("mx")), room)}
    assert entries[wrong_id].kind == "rejection" and entries[tampered_id].kind == "rejection"
    # A reconciliation later owes them nothing either.
    await mx_bot.reconcile(room)
    assert receipt_for(ch_inbox, wrong_id) is None and receipt_for(ch_inbox, tampered_id) is None
    assert not mx_bot.documents.evidence or not mx_bot.documents.evidence.has("0" * 64)


def _answer_to(inbox: Inbox, sender: str, event_id: str):
    return inbox.find(
        lambda e: (
            e.sender == sender
            and isinstance(e.content.get("org.coopnet.bot"), dict)
            and e.content["org.coopnet.bot"].get("to") == event_id
        )
    )


async def test_an_interrupted_upload_sends_nothing_and_can_be_retried(
    network: Network, open_client, start_bot, tmp_path: Path
) -> None:
    mx_bot, ch, ch_inbox, mx, mx_inbox, room = await _room(
        network, open_client, start_bot, "DOCCUT"
    )
    source = write_file(tmp_path / "evidence.bin", 20 * MB)
    started = asyncio.Event()

    def progress(done: int, total: int) -> None:
        started.set()

    send = asyncio.create_task(
        send_document(
            ch,
            room,
            source,
            limit=network.max_document_bytes,
            kind="evidence",
            language="en",
            after=None,
            progress=progress,
        )
    )
    await asyncio.wait_for(started.wait(), 60)
    send.cancel()  # the officer cancels (or the connection drops) mid-upload
    with pytest.raises(asyncio.CancelledError):
        await send
    # Nothing reached the room: a message sent after it arrives with no document before.
    marker = await ch.send_text(room, "after the cancelled upload")
    await wait_for(lambda: _event(mx_inbox, marker), "the marker at mx")
    assert not [e for e in mx_inbox.events if e.content.get("msgtype") == "m.file"]
    assert not [
        e for e in room_entries(records_path(network.authority("mx")), room)
        if json.loads(e.content).get("content", {}).get("msgtype") == "m.file"
    ]  # fmt: skip

    # Sending again is the retry: it arrives and is certified.
    sent = await send_document(
        ch, room, source, limit=network.max_document_bytes, kind="evidence", language="en",
        after=None,
    )  # fmt: skip
    await wait_for(lambda: receipt_for(ch_inbox, sent.event_id), "the retried document's receipt")
