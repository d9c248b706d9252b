"""Receipt cards check the bot's Ed25519 signature (pure, and on the real network) against
the receipt keys the signed network directory lists."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import key_id, load_or_create_signing_key
from coopnet.network import Network, load_network
from coopnet.network.botproc import signing_key_file
from coopnet.protocol import (
    PAYLOAD_KEY,
    PersonIdentity,
    PersonName,
    Receipt,
    content_hash,
    encode,
    payload,
)
from coopnet.receipts import sign_receipt
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.model import Consultation, entry_from
from tui.names import Names
from tui.screens.consultation import ConsultationScreen
from tui.seed import demo_directory
from tui.service import Connection
from tui.widgets.cards import details, render_entry

IDENTITY = PersonIdentity(names=(PersonName(family="DOE", given="Jane"),))
BOT = Ed25519PrivateKey.from_private_bytes(bytes(32))


def receipt_content(key: Ed25519PrivateKey, receiver: str = "@bot:127.0.0.12") -> dict[str, Any]:
    receipt = Receipt(
        event_id="$id",
        content_hash=content_hash(payload(IDENTITY)),
        receiver=receiver,
        received_at=dt.datetime(2026, 5, 28, tzinfo=dt.UTC),
    )
    return sign_receipt(encode(receipt), key)


def checked(content: dict[str, Any], keys: dict[str, Any]) -> Any:
    consultation = Consultation("!r:x", "CH-CN-1", demo_directory(), receipt_keys=keys)
    entry = entry_from("$rc", "@bot:127.0.0.12", 0, "m.room.message", content)
    consultation.add(entry)
    return consultation.receipt_signature(entry)


def test_receipt_signature_valid_forged_tampered_unchecked() -> None:
    keys = {key_id(BOT): BOT.public_key()}
    assert checked(receipt_content(BOT), keys).valid is True
    forged = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    assert checked(receipt_content(forged), keys).valid is False
    tampered = receipt_content(BOT)
    tampered[PAYLOAD_KEY]["content"]["receiver"] = "@someone:127.0.0.13"
    result = checked(tampered, keys)
    assert result.valid is False and "does not match" in result.reason
    assert checked(receipt_content(BOT), {}).valid is None


STEP = encode(IDENTITY)


def _text(renderable: Any) -> str:
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(renderable)
    return console.export_text()


def card_text(content: dict[str, Any], keys: dict[str, Any]) -> tuple[str, str]:
    """The certified event's card with the receipt's mark, and its details view."""
    consultation = Consultation("!r:x", "CH-CN-1", demo_directory(), receipt_keys=keys)
    names = Names(demo_directory(), "@officer1:127.0.0.11")
    step = entry_from("$id", "@officer1:127.0.0.11", 0, "m.room.message", STEP)
    consultation.add(step)
    receipt = entry_from("$rc", "@bot:127.0.0.12", 0, "m.room.message", content)
    consultation.add(receipt)
    card = render_entry(step, consultation, names, "en")
    return _text(card), _text(details(step, consultation, names, "en"))


def test_receipt_card_says_valid_or_invalid() -> None:
    keys = {key_id(BOT): BOT.public_key()}
    card, full = card_text(receipt_content(BOT), keys)
    assert "✓ received by bot · China" in card and "signature valid" in full
    forged = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    card, full = card_text(receipt_content(forged), keys)
    assert "✗ the receipt of bot · China" in card and "signature invalid" in card
    assert "SIGNATURE INVALID" in full


def test_a_receipt_is_a_mark_on_the_card_it_certifies_not_a_card_of_its_own() -> None:
    keys = {key_id(BOT): BOT.public_key()}
    consultation = Consultation("!r:x", "CH-CN-1", demo_directory(), receipt_keys=keys)
    names = Names(demo_directory(), "@officer1:127.0.0.11")
    lone = entry_from("$rc", "@bot:127.0.0.12", 0, "m.room.message", receipt_content(BOT))
    consultation.add(lone)
    # Until the certified event is held, the receipt is drawn alone, never hidden.
    assert "receipt for an event not held here" in _text(
        render_entry(lone, consultation, names, "en")
    )
    consultation.add(entry_from("$id", "@officer1:127.0.0.11", 0, "m.room.message", STEP))
    assert render_entry(lone, consultation, names, "en") is None


def test_the_client_takes_receipt_keys_from_the_signed_directory() -> None:
    from coopnet.keys import public_key_hex
    from coopnet.trust import directory as d
    from tests.unit.test_trust_directory import sample
    from tui.directory import from_signed

    signed = d.with_receipt_key(
        sample(), "@bot:127.0.0.12", public_key_hex(BOT), "2026-06-01T00:00:00+00:00"
    )
    browsed = from_signed(signed, "test")
    assert set(browsed.receipt_keys) == {key_id(BOT)}
    consultation = Consultation("!r:x", "CH-CN-1", browsed, receipt_keys=browsed.receipt_keys)
    entry = entry_from("$rc", "@bot:127.0.0.12", 0, "m.room.message", receipt_content(BOT))
    consultation.add(entry)
    assert consultation.receipt_signature(entry).valid is True
    assert from_signed(sample(), "test").receipt_keys == {}


async def _two_receipts(
    service: Any, cn: Any, cn_key: Ed25519PrivateKey, cn_bot: str, ch_user: str
) -> tuple[Any, Any]:
    """Receipts sent by cn's officer in a new room with ch: one signed with ``cn_key``
    naming cn's bot, one with a key no directory lists; their signature checks in ch's
    client."""
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 50)) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
        assert service.client is not None
        room_id = await cn.create_consultation_room(
            f"CN-CH-R{uuid.uuid4().hex[:6].upper()}",
            invite=[ch_user],
            servers=service.directory.roster.servers(),
        )
        await until(pilot, lambda: room_id in service.rooms, "the invitation")
        await service.join(room_id)
        await cn.wait_until(lambda: ch_user in cn.joined(room_id), 60, "ch's join")
        app.open_consultation(room_id)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
        good = await cn.send(room_id, receipt_content(cn_key, cn_bot))
        forged = Ed25519PrivateKey.generate()
        bad = await cn.send(room_id, receipt_content(forged, cn_bot))
        consultation = service.consultation(room_id)
        await until(
            pilot,
            lambda: {good, bad} <= {e.event_id for e in consultation.entries},
            "both receipts",
        )
        entries = {e.event_id: e for e in consultation.entries}
        return (
            consultation.receipt_signature(entries[good]),
            consultation.receipt_signature(entries[bad]),
        )


def _bot_of(net: Network, authority_id: str) -> str:
    bot = net.authority(authority_id).bot()
    assert bot is not None
    return bot.user_id


@pytest.mark.integration
async def test_receipts_from_the_network_are_checked_against_the_bot_key(
    network: Network, open_client: Any
) -> None:
    net = load_network(network.directory)
    cn_bot = load_or_create_signing_key(signing_key_file(net.authority("cn")))
    ch_user = net.authority("ch").officers()[0].user_id
    cn_user = net.authority("cn").officers()[0].user_id
    service = service_for(str(network.directory), ch_user)
    assert key_id(cn_bot) in service.directory.receipt_keys
    cn, _ = await open_client(cn_user)
    good, bad = await _two_receipts(service, cn, cn_bot, _bot_of(net, "cn"), ch_user)
    assert good.valid is True
    assert bad.valid is False


@pytest.mark.integration
async def test_a_client_given_only_the_signed_directory_checks_receipts(
    network: Network, open_client: Any, tmp_path: Path
) -> None:
    """``coopnet tui --homeserver URL --user ID --directory FILE --steward-key FILE``: no
    network files, only the signed directory (copied elsewhere) and the steward's key."""
    from coopnet.cli.tui import build_service
    from tui.matrix_service import MatrixService

    net = load_network(network.directory)
    assert net.directory_file is not None and net.steward_key is not None
    directory_file = tmp_path / "directory.json"
    shutil.copyfile(net.directory_file, directory_file)
    steward_pub = tmp_path / "steward.pub"
    steward_pub.write_text(net.steward_key + "\n")
    ch = net.authority("ch")
    ch_account = ch.officers()[0]
    assert ch_account.store_dir is not None
    args = argparse.Namespace(
        offline_demo=False,
        network=None,
        account=None,
        homeserver=ch.client_url,
        user=ch_account.user_id,
        store=ch_account.store_dir,
        lang="en",
        no_cache=True,
        cache_passphrase_file=None,
        directory=str(directory_file),
        steward_key=str(steward_pub),
    )
    service = build_service(args)
    assert isinstance(service, MatrixService)
    assert "signed" in service.directory.source
    cn_key = load_or_create_signing_key(signing_key_file(net.authority("cn")))
    # Every member bot's key, from the directory alone.
    assert key_id(cn_key) in service.directory.receipt_keys
    assert len(service.directory.receipt_keys) == len([a for a in net.members() if a.bot()])
    cn, _ = await open_client(net.authority("cn").officers()[0].user_id)
    good, unknown = await _two_receipts(service, cn, cn_key, _bot_of(net, "cn"), ch_account.user_id)
    assert good.valid is True, good.reason
    assert unknown.valid is False and "not a trusted key" in unknown.reason
