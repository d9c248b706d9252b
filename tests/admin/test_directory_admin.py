"""coopnet admin and the signed network directory: one steward, one directory (no server).

init-network signs directory v1; add-authority lists the authority and its bot (next
version), installs the directory in the authority's folder and derives the allowlist from
it; publish-directory refreshes other members; register/deactivate enrol and delist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bots.consultation.config_file import bot_setup, load_bot_file
from coopnet.admin import enrolment
from coopnet.admin.steward import load_steward
from coopnet.cli import main
from coopnet.federation_gate import DirectoryGate, ListedServers
from coopnet.network import lifecycle, load_network
from coopnet.network import trust as network_trust
from coopnet.trust import directory as d
from coopnet.trust.store import load_verified
from tests.admin.helpers import render
from tests.unit.test_trust_directory import device_key

OWN, OTHER = "matrix.ofj.example", "matrix.fgr.example"


def _verified(steward: Path, file: Path | None = None) -> d.Directory:
    key = (steward / "keys" / "steward.pub").read_text().strip()
    return load_verified(file or steward / "directory" / "directory.json", key)


def _allowlist(out: Path) -> list[str]:
    data = yaml.safe_load((out / "synapse/config/federation.yaml").read_text())
    return data["federation_domain_whitelist"]


def _add_mx(steward: Path, out: Path) -> None:
    argv = ["admin", "add-authority", "--steward-dir", str(steward), "--id", "mx"]
    argv += ["--server-name", OTHER, "--state", "Mexico", "--languages", "es,en"]
    assert main([*argv, "--out", str(out), "--target", "host"]) == 0


def test_init_network_signs_directory_v1_with_the_members(tmp_path: Path) -> None:
    steward = tmp_path / "s"
    assert main(["admin", "init-network", "--dir", str(steward), "--member", f"ch={OWN}"]) == 0
    directory = _verified(steward)
    assert directory.version == 1 and directory.network == "coopnet"
    assert directory.server_names() == [OWN]
    assert directory.authority("ch").state == "Switzerland"
    assert (steward / "directory/directory.json").stat().st_mode & 0o777 == 0o644


def test_add_authority_lists_it_installs_the_directory_and_the_bot_finds_it(
    tmp_path: Path,
) -> None:
    steward, out = render(tmp_path, target="host")
    directory = _verified(steward)
    assert directory.version == 2  # v1 empty, v2 with ch
    ch = directory.authority("ch")
    assert ch is not None and ch.server_name == OWN and ch.bot.user_id == f"@bot:{OWN}"
    installed = out / "directory" / "directory.json"
    assert installed.read_bytes() == (steward / "directory/directory.json").read_bytes()
    assert _allowlist(out) == [OWN]
    # The rendered bot.yaml finds the installed directory: no manual step.
    setup = bot_setup(load_bot_file(out / "bot" / "bot.yaml"))
    assert setup.roster.party("ch").bot == f"@bot:{OWN}"
    assert setup.config.member_servers == {OWN}
    # steward.json holds no list of its own: the directory decides.
    data = json.loads((steward / "steward.json").read_text())
    assert data["version"] == 2 and data["directory"] == "directory/directory.json"


def test_second_authority_and_publish_directory_refresh_the_first(tmp_path: Path, capsys):
    steward, out = render(tmp_path, target="host")
    mx = tmp_path / "mx"
    _add_mx(steward, mx)
    assert _verified(steward).version == 3
    assert _allowlist(mx) == sorted([OWN, OTHER])
    assert _allowlist(out) == [OWN]  # not refreshed yet
    capsys.readouterr()
    argv = ["admin", "publish-directory", "--steward-dir", str(steward)]
    assert main([*argv, "--authority-dir", str(out), "--authority-dir", str(mx)]) == 0
    printed = capsys.readouterr().out
    assert "restart Synapse" in printed and str(out) in printed
    assert _allowlist(out) == sorted([OWN, OTHER])
    assert _verified(steward, out / "directory/directory.json").version == 3
    setup = bot_setup(load_bot_file(out / "bot" / "bot.yaml"))
    assert setup.roster.language_of(f"@x:{OTHER}") == "es"


def test_publish_directory_cuts_a_removed_authority_off_through_the_gate(tmp_path: Path, capsys):
    steward, out = render(tmp_path, target="host")
    _add_mx(steward, tmp_path / "mx")
    publish = ["admin", "publish-directory", "--steward-dir", str(steward)]
    assert main([*publish, "--authority-dir", str(out)]) == 0
    hs = yaml.safe_load((out / "synapse/config/homeserver.yaml").read_text())
    config = DirectoryGate.parse_config(hs["modules"][0]["config"])
    gate = ListedServers(config.directory, config.steward_key, OWN)  # as Synapse runs it
    assert gate.allows(OTHER)
    capsys.readouterr()
    assert main(["directory", "remove-authority", "mx", "--steward-dir", str(steward)]) == 0
    assert main([*publish, "--authority-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    # The installed file changed: the running gate refuses mx at its next event.
    assert not gate.allows(OTHER) and gate.version == 4
    assert "the homeserver's federation gate enforces it now" in printed, printed
    assert f"removed: {OTHER} (refused by the gate from now on)" in printed, printed
    assert "restart Synapse" in printed and _allowlist(out) == [OWN]


def test_publish_warns_when_the_homeserver_loads_no_gate(tmp_path: Path, capsys):
    """A bundle rendered before the gate existed: only a restart cuts a member off."""
    steward, out = render(tmp_path, target="host")
    path = out / "synapse/config/homeserver.yaml"
    hs = yaml.safe_load(path.read_text())
    del hs["modules"]
    path.write_text(yaml.safe_dump(hs))
    _add_mx(steward, tmp_path / "mx")
    capsys.readouterr()
    assert (
        main(
            [
                "admin",
                "publish-directory",
                "--steward-dir",
                str(steward),
                "--authority-dir",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "warning: homeserver.yaml loads no federation gate" in printed, printed


def test_publish_from_a_file_refuses_rollback_and_another_key(tmp_path: Path, capsys):
    steward, out = render(tmp_path, target="host")
    old = tmp_path / "v2.json"
    old.write_bytes((steward / "directory/directory.json").read_bytes())
    _add_mx(steward, tmp_path / "mx")
    new = steward / "directory/directory.json"
    publish = ["admin", "publish-directory", "--authority-dir", str(out), "--from"]
    assert main([*publish, str(new)]) == 0
    capsys.readouterr()
    assert main([*publish, str(old)]) == 1
    assert "rollback" in capsys.readouterr().err
    other = tmp_path / "other"
    render(other)
    forged = other / "steward" / "directory" / "directory.json"
    assert main([*publish, str(forged)]) == 1
    assert "refused" in capsys.readouterr().err
    assert _verified(steward, out / "directory/directory.json").version == 3


def test_enrol_and_remove_an_officer_with_devices(tmp_path: Path, capsys) -> None:
    steward_dir, out = render(tmp_path, target="host")
    steward = load_steward(steward_dir)
    user = f"@officer.garcia:{OWN}"
    signed, installed = enrolment.enrol(steward, out, "ch", user, "Ana García", "officer")
    assert signed.version == 3 and installed.version == 3
    assert signed.member(user) is not None
    again, _ = enrolment.enrol(steward, out, "ch", user, "Ana García", "officer")
    assert again.version == 3  # already listed: nothing re-signed
    # The device key, once known, through the directory commands on the steward's directory.
    key = device_key()
    argv = ["directory", "add-device", user, "GARCIADEV", key, "--steward-dir", str(steward_dir)]
    assert main(argv) == 0
    assert "publish-directory" in capsys.readouterr().out
    assert _verified(steward_dir).device_key(user, "GARCIADEV") == key
    removed, installed, devices = enrolment.remove(steward, out, user)
    assert devices == 1 and removed.member(user) is None
    assert _verified(steward_dir, installed.file).member(user) is None
    # Without the steward, the commands say what the steward must run.
    assert "coopnet directory add-officer ch" in enrolment.enrolment_note(user, "officer", "ch")


def test_a_version_1_steward_is_migrated_to_the_signed_directory(tmp_path: Path) -> None:
    steward, _ = render(tmp_path)
    (steward / "directory").joinpath("directory.json").unlink()
    (steward / "directory").joinpath("accepted.json").unlink()
    legacy = {
        "version": 1,
        "name": "t",
        "certificates": "network-ca",
        "members": [{"id": "ch", "server_name": OWN, "state": "Switzerland", "name": "OFJ"}],
    }
    (steward / "steward.json").write_text(json.dumps(legacy))
    loaded = load_steward(steward)
    assert [m.id for m in loaded.members] == ["ch"]
    assert _verified(steward).authority("ch").name == "OFJ"
    assert json.loads((steward / "steward.json").read_text())["version"] == 2


def test_local_network_external_members_live_in_the_directory(tmp_path: Path) -> None:
    options = lifecycle.NetworkOptions(
        authorities=["ch"], base_address="127.0.0.201", external_members=["127.0.0.209"]
    )
    network = lifecycle.create_network(tmp_path / "net", options)
    network_trust.ensure_directory(network, [], lambda _m: None)
    network = load_network(tmp_path / "net")
    assert network.external_members == []  # the directory alone decides from now on
    directory = network_trust.load_directory(network)
    assert directory.authority("ext1").server_name == "127.0.0.209"
    lifecycle.write_configs(network)
    config = yaml.safe_load((tmp_path / "net/ch/homeserver.yaml").read_text())
    assert config["federation_domain_whitelist"] == ["127.0.0.201", "127.0.0.209"]
    assert main(["directory", "remove-authority", "ext1", "--dir", str(tmp_path / "net")]) == 0
    lifecycle.write_configs(load_network(tmp_path / "net"))
    config = yaml.safe_load((tmp_path / "net/ch/homeserver.yaml").read_text())
    assert config["federation_domain_whitelist"] == ["127.0.0.201"]


@pytest.mark.parametrize("role", ["officer", "bot"])
def test_enrolment_refuses_a_second_bot_but_keeps_the_listed_one(tmp_path: Path, role: str):
    steward_dir, out = render(tmp_path, target="host")
    steward = load_steward(steward_dir)
    signed, _ = enrolment.enrol(steward, out, "ch", f"@bot:{OWN}", "bot", "bot")
    assert signed.version == 2  # add-authority listed the bot already
    if role == "bot":
        with pytest.raises(Exception, match="already has the bot"):
            enrolment.enrol(steward, out, "ch", f"@bot2:{OWN}", "bot", "bot")


def test_the_bot_receipt_key_reaches_the_directory_and_verifiers(tmp_path: Path, capsys):
    """Production path: the bot's first start writes its public key; the steward lists it;
    the installed directory alone (with steward.pub) verifies the bot's receipts, also
    after the key is rotated."""
    import datetime as dt

    from bots.consultation.runner import build_bot_from_setup
    from coopnet.keys import key_id, load_signing_key, public_key_file
    from tests.unit.test_receipt_keys_cli import receipt_file

    steward, out = render(tmp_path, target="host")
    setup = bot_setup(load_bot_file(out / "bot" / "bot.yaml"))
    build_bot_from_setup(setup)  # the first start creates the key and KEY.pub
    private = setup.file.record_signing_key
    pub = public_key_file(private)
    assert pub.exists() and pub.parent == private.parent
    bot = f"@bot:{OWN}"
    capsys.readouterr()
    set_key = ["directory", "set-receipt-key", bot, str(pub), "--steward-dir", str(steward)]
    assert main(set_key) == 0
    assert "publish-directory" in capsys.readouterr().out
    publish = ["admin", "publish-directory", "--steward-dir", str(steward)]
    assert main([*publish, "--authority-dir", str(out)]) == 0
    installed = out / "directory" / "directory.json"
    verify = [
        "receipts",
        "verify",
        "--directory",
        str(installed),
        "--steward-key",
        str(out / "directory" / "steward.pub"),
    ]
    old = load_signing_key(private)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    signed = receipt_file(tmp_path / "r.json", old, bot, when)
    assert main([*verify, str(signed)]) == 0
    # Rotation: a new key (keygen) replaces it; the old key's receipt still verifies.
    new_pub = tmp_path / "new.pub"
    assert (
        main(
            ["records", "keygen", "--key", str(tmp_path / "new.key"), "--pubkey-out", str(new_pub)]
        )
        == 0
    )
    assert (
        main(["directory", "set-receipt-key", bot, str(new_pub), "--steward-dir", str(steward)])
        == 0
    )
    assert main([*publish, "--authority-dir", str(out)]) == 0
    listed = _verified(steward, installed).member(bot)
    assert listed is not None
    assert [k.key_id for k in listed[1].receipt_keys] == [
        key_id(old),
        key_id(load_signing_key(tmp_path / "new.key")),
    ]
    capsys.readouterr()
    assert main([*verify, str(signed)]) == 0
    assert "retired" in capsys.readouterr().out
    forged = receipt_file(
        tmp_path / "f.json", load_signing_key(tmp_path / "new.key"), f"@bot:{OTHER}", when
    )
    assert main([*verify, str(forged)]) == 1
