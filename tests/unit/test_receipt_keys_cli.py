"""Receipt keys on a laid-out local network (no homeserver): ``net up`` lists the bots' keys,
``coopnet receipts verify`` trusts the signed directory, the steward rotates and revokes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.cli import main
from coopnet.keys import key_id, load_signing_key, public_key_file, public_key_hex
from coopnet.network import Network, botproc, lifecycle, load_network
from coopnet.network import trust as network_trust
from coopnet.protocol import Receipt, encode
from coopnet.receipts import sign_receipt


def _laid_out(directory: Path) -> Network:
    options = lifecycle.NetworkOptions(authorities=["ch", "cn"], base_address="127.0.0.181")
    network = lifecycle.create_network(directory, options)
    for authority in network.members():  # what net up does before signing the directory
        botproc.prepare(authority)
    network_trust.ensure_directory(network, [], lambda _m: None)
    return load_network(directory)


@pytest.fixture
def net(tmp_path: Path) -> Network:
    return _laid_out(tmp_path / "net")


def bot_key(network: Network, authority_id: str) -> Ed25519PrivateKey:
    return load_signing_key(botproc.signing_key_file(network.authority(authority_id)))


def bot_id(network: Network, authority_id: str) -> str:
    bot = network.authority(authority_id).bot()
    assert bot is not None
    return bot.user_id


def receipt_file(path: Path, key: Ed25519PrivateKey, receiver: str, when: str) -> Path:
    receipt = Receipt.from_dict(
        {"event_id": "$e1", "content_hash": "b" * 64, "receiver": receiver, "received_at": when}
    )
    assert isinstance(receipt, Receipt), receipt
    path.write_text(json.dumps(sign_receipt(encode(receipt), key)), encoding="utf-8")
    return path


def verify(*argv: Any) -> int:
    return main(["receipts", "verify", *(str(a) for a in argv)])


def test_net_up_lists_every_bot_key_with_its_key_id(net: Network) -> None:
    directory = network_trust.load_directory(net)
    for authority_id in ("ch", "cn"):
        key = bot_key(net, authority_id)
        found = directory.member(bot_id(net, authority_id))
        assert found is not None
        listed = found[1].current_receipt_key()
        assert listed is not None
        assert (listed.key_id, listed.public_key) == (key_id(key), public_key_hex(key))
        # The public half sits next to the private key, for the steward of a real network.
        pub = public_key_file(botproc.signing_key_file(net.authority(authority_id)))
        assert pub.read_text().strip() == public_key_hex(key)


def test_receipts_verify_trusts_the_signed_directory(net: Network, tmp_path: Path, capsys) -> None:
    cn = bot_id(net, "cn")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    good = receipt_file(tmp_path / "good.json", bot_key(net, "cn"), cn, now)
    forged = receipt_file(tmp_path / "forged.json", Ed25519PrivateKey.generate(), cn, now)
    wrong_bot = receipt_file(tmp_path / "wrong.json", bot_key(net, "ch"), cn, now)
    assert verify(good, "--network", net.directory) == 0
    assert verify(forged, "--network", net.directory) == 1
    assert "not a trusted key" in capsys.readouterr().out
    assert verify(wrong_bot, "--network", net.directory) == 1
    assert "but the receipt names" in capsys.readouterr().out
    # The directory file alone, with the steward's key (hex or a file).
    file = net.directory / "directory.json"
    assert net.steward_key is not None
    assert verify(good, "--directory", file, "--steward-key", net.steward_key) == 0
    steward_pub = tmp_path / "steward.pub"
    steward_pub.write_text(net.steward_key + "\n")
    assert verify(good, "--directory", file, "--steward-key", steward_pub) == 0
    assert verify(forged, "--directory", file, "--steward-key", steward_pub) == 1
    capsys.readouterr()
    # Another steward key, or a tampered directory: unreadable input, nothing trusted.
    assert verify(good, "--directory", file, "--steward-key", "ab" * 32) == 2
    assert "wrong key" in capsys.readouterr().err
    tampered = tmp_path / "tampered.json"
    other = public_key_hex(Ed25519PrivateKey.generate())
    tampered.write_text(file.read_text().replace(public_key_hex(bot_key(net, "cn")), other))
    assert verify(good, "--directory", tampered, "--steward-key", steward_pub) == 2
    assert "bad signature" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        verify(good, "--directory", file)  # the steward's key is required


def test_a_new_bot_key_is_listed_and_the_old_one_still_verifies(
    net: Network, tmp_path: Path, capsys
) -> None:
    cn = bot_id(net, "cn")
    old = bot_key(net, "cn")
    before = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    old_receipt = receipt_file(tmp_path / "old.json", old, cn, before)
    # The bot's key is replaced (the file removed); the next net up lists the new one.
    botproc.signing_key_file(net.authority("cn")).unlink()
    botproc.prepare(net.authority("cn"))
    messages: list[str] = []
    network_trust.ensure_directory(net, [], messages.append)
    assert any("cn: bot receipt key listed" in m for m in messages), messages
    found = network_trust.load_directory(net).member(cn)
    assert found is not None
    keys = found[1].receipt_keys
    assert [k.key_id for k in keys] == [key_id(old), key_id(bot_key(net, "cn"))]
    assert keys[0].retired is not None and keys[1].current
    assert verify(old_receipt, "--network", net.directory) == 0
    assert "retired" in capsys.readouterr().out
    late = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    forged_late = receipt_file(tmp_path / "late.json", old, cn, late.isoformat())
    assert verify(forged_late, "--network", net.directory) == 1
    new_receipt = receipt_file(tmp_path / "new.json", bot_key(net, "cn"), cn, late.isoformat())
    assert verify(new_receipt, "--network", net.directory) == 0


def test_a_revoked_key_is_never_listed_again(net: Network, tmp_path: Path, capsys) -> None:
    cn = bot_id(net, "cn")
    kid = key_id(bot_key(net, "cn"))
    assert main(["directory", "revoke-receipt-key", cn, kid, "--dir", str(net.directory)]) == 0
    messages: list[str] = []
    network_trust.ensure_directory(load_network(net.directory), [], messages.append)
    assert any("listed as retired or revoked" in m for m in messages), messages
    found = network_trust.load_directory(net).member(cn)
    assert found is not None and found[1].current_receipt_key() is None
    when = "2026-01-01T00:00:00+00:00"
    assert (
        verify(
            receipt_file(tmp_path / "r.json", bot_key(net, "cn"), cn, when),
            "--network",
            net.directory,
        )
        == 1
    )
    assert "revoked" in capsys.readouterr().out


def test_steward_sets_a_key_from_a_public_key_file(
    net: Network, tmp_path: Path, capsys, monkeypatch
) -> None:
    ch = bot_id(net, "ch")
    new_key, new_pub = tmp_path / "new.key", tmp_path / "new.pub"
    assert main(["records", "keygen", "--key", str(new_key), "--pubkey-out", str(new_pub)]) == 0
    capsys.readouterr()
    argv = ["directory", "set-receipt-key", ch, str(new_pub), "--dir", str(net.directory)]
    assert main(argv) == 0
    assert f"receipt key {key_id(load_signing_key(new_key))} is now current" in (
        capsys.readouterr().out
    )
    assert main(argv) == 1  # already listed: refused, nothing changes
    assert "already listed" in capsys.readouterr().err
    officer = net.authority("ch").officers()[0].user_id
    assert (
        main(["directory", "set-receipt-key", officer, str(new_pub), "--dir", str(net.directory)])
        == 1
    )
    assert "only bots sign receipts" in capsys.readouterr().err
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["directory", "show", "--authority", "ch", "--dir", str(net.directory)]) == 0
    shown = capsys.readouterr().out
    assert key_id(load_signing_key(new_key)) in shown and "retired" in shown


def _tui_args(**given: Any) -> Any:
    import argparse

    values: dict[str, Any] = dict(
        offline_demo=False,
        network=None,
        account=None,
        homeserver="http://127.0.0.181:8008",
        user="@officer1:127.0.0.181",
        store=None,
        lang="en",
        no_cache=True,
        cache_passphrase_file=None,
        directory=None,
        steward_key=None,
    )
    values.update(given)
    return argparse.Namespace(**values)


def test_the_production_client_takes_receipt_keys_from_the_directory(
    net: Network, tmp_path: Path
) -> None:
    from coopnet.cli.tui import build_service
    from coopnet.errors import CoopNetError

    file = str(net.directory / "directory.json")
    store = str(tmp_path / "store")
    service = build_service(_tui_args(store=store, directory=file, steward_key=net.steward_key))
    assert set(service.directory.receipt_keys) == {
        key_id(bot_key(net, "ch")),
        key_id(bot_key(net, "cn")),
    }
    assert (tmp_path / "store").stat().st_mode & 0o077 == 0
    # Without a directory the production client has no receipt key to check against.
    assert build_service(_tui_args(store=store)).directory.receipt_keys == {}
    with pytest.raises(CoopNetError, match="go together"):
        build_service(_tui_args(store=store, directory=file))
    with pytest.raises(CoopNetError, match="goes with --homeserver"):
        build_service(
            _tui_args(
                homeserver=None,
                network=str(net.directory),
                directory=file,
                steward_key=net.steward_key,
            )
        )
    with pytest.raises(CoopNetError, match="wrong key"):
        build_service(_tui_args(store=store, directory=file, steward_key="ab" * 32))
