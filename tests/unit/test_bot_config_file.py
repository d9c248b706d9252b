"""``coopnet bot run --config bot.yaml``: the file ``coopnet admin add-authority`` renders
loads into the consultation bot's configuration (no server)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from bots.consultation.config_file import (
    BotConfigError,
    bot_setup,
    load_bot_file,
    read_password,
)
from bots.consultation.runner import build_bot_from_setup
from coopnet.cli import bot as bot_cli
from coopnet.errors import BadFileError
from coopnet.keys import load_signing_key
from coopnet.matrix.devices import DirectoryDevices, EnrolledDevices
from coopnet.trust import directory as d
from coopnet.trust.store import now_iso, publish
from tests.admin.helpers import render

OWN = "matrix.ofj.example"
OTHER = "matrix.fgr.example"


def signed_directory(steward: Path, out: Path) -> Path:
    """What the steward publishes and the admin puts into the authority's directory."""
    directory = d.parse_directory(
        d.Directory(
            network="t",
            version=1,
            issued_at=now_iso(),
            authorities=(
                d.Authority(
                    id="ch",
                    state="Switzerland",
                    name="Federal Office of Justice",
                    server_name=OWN,
                    languages=("fr", "de", "en"),
                    officers=(d.Member(f"@officer1:{OWN}"),),
                    bot=d.Member(f"@bot:{OWN}"),
                ),
                d.Authority(
                    id="mx",
                    state="Mexico",
                    name="Fiscalía General de la República",
                    server_name=OTHER,
                    languages=("es",),
                    bot=d.Member(f"@bot:{OTHER}"),
                ),
            ),
        ).to_json()
    )
    path = out / "directory" / "directory.json"
    publish(directory, load_signing_key(steward / "keys" / "steward.key"), path)
    return path


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Path, Path]:
    steward, out = render(tmp_path, target="host")
    return steward, out


def test_rendered_bot_yaml_loads_into_a_bot_configuration(rendered) -> None:
    steward, out = rendered
    signed_directory(steward, out)
    bot_file = load_bot_file(out / "bot" / "bot.yaml")
    assert bot_file.authority == "ch" and bot_file.user_id == f"@bot:{OWN}"
    assert bot_file.records_db == out / "data" / "bot" / "records.db"
    setup = bot_setup(bot_file, tick_seconds=5)
    config = setup.config
    assert config.homeserver == "http://127.0.0.1:8008"
    assert config.user_id == f"@bot:{OWN}"
    assert config.store_dir == out / "data" / "bot" / "store"
    assert config.state_db == out / "data" / "bot" / "state.db"
    assert config.member_servers == {OWN, OTHER}
    assert config.tick_seconds == 5
    assert isinstance(setup.policy, DirectoryDevices)
    members = setup.roster
    assert members.authority_of(f"@officer1:{OWN}") == "ch"
    assert members.authority_of(f"@someone:{OTHER}") == "mx"
    assert members.language_of(f"@x:{OWN}") == "en"  # bot.yaml's language wins for its own
    assert members.language_of(f"@x:{OTHER}") == "es"
    assert [o.user_id for o in members.party("ch").officers] == [f"@officer1:{OWN}"]
    bot = build_bot_from_setup(setup)
    assert bot.authority_id == "ch"
    assert bot.records_path == bot_file.records_db
    assert bot.signing_key_path == bot_file.record_signing_key
    assert bot_file.record_signing_key.exists()  # created 0600 on first use


def test_without_a_directory_the_bot_trusts_no_device(rendered, tmp_path: Path) -> None:
    _, out = rendered
    data = yaml.safe_load((out / "bot" / "bot.yaml").read_text())
    data["directory"] = None
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump(data))
    setup = bot_setup(load_bot_file(path))
    assert isinstance(setup.policy, EnrolledDevices)
    assert setup.config.member_servers == {OWN}
    assert setup.roster.party("ch").bot == f"@bot:{OWN}"


def test_named_but_missing_directory_is_a_clear_error(rendered) -> None:
    _, out = rendered
    (out / "directory" / "directory.json").unlink()  # add-authority installs one
    with pytest.raises(BotConfigError, match="does not exist yet"):
        bot_setup(load_bot_file(out / "bot" / "bot.yaml"))


def test_directory_signed_by_another_key_is_refused(rendered, tmp_path: Path) -> None:
    steward, out = rendered
    signed_directory(steward, out)
    other = tmp_path / "other"
    render(other)  # another network with its own steward key
    (out / "directory" / "steward.pub").write_text(
        (other / "steward" / "keys" / "steward.pub").read_text()
    )
    with pytest.raises(BotConfigError):
        bot_setup(load_bot_file(out / "bot" / "bot.yaml"))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"user_id": "bot"}, "user_id: 'bot' is not a Matrix user id"),
        ({"homeserver": ""}, "homeserver: must not be empty"),
        ({"homeserver": 8008}, "homeserver: expected a string, found a number"),
        ({"steward_public_key": None}, "needs 'steward_public_key'"),
    ],
)
def test_bad_files_are_refused(rendered, tmp_path: Path, change: dict, message: str) -> None:
    _, out = rendered
    data = {**yaml.safe_load((out / "bot" / "bot.yaml").read_text()), **change}
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(BadFileError, match=message):
        load_bot_file(path)
    with pytest.raises(BadFileError, match="missing.yaml: does not exist"):
        load_bot_file(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(BadFileError, match="expected an object, found a list"):
        load_bot_file(tmp_path / "list.yaml")
    (tmp_path / "cut.yaml").write_text('authority: "ch\n')
    with pytest.raises(BadFileError, match="not valid YAML .*truncated"):
        load_bot_file(tmp_path / "cut.yaml")


def test_relative_paths_and_first_login_password(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "bot.password").write_text("s3cret\n")
    path = tmp_path / "bot.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "authority": "ch",
                "homeserver": "http://127.0.0.1:8008",
                "user_id": "@bot:127.0.0.161",
                "password_file": "secrets/bot.password",
                "state_dir": "data/bot",
                "store_dir": "data/bot/store",
                "records_db": "data/bot/records.db",
                "record_signing_key": "data/bot/record-signing.key",
            }
        )
    )
    bot_file = load_bot_file(path)
    assert bot_file.store_dir == tmp_path / "data" / "bot" / "store"
    assert read_password(bot_file) == "s3cret"
    (tmp_path / "secrets" / "bot.password").unlink()
    with pytest.raises(BadFileError, match="bot.password: does not exist.*register the bot"):
        read_password(bot_file)


def test_cli_needs_config_or_authority(capsys) -> None:
    parser = argparse.ArgumentParser(prog="coopnet")
    bot_cli.register(parser.add_subparsers())
    for argv in (["bot", "run"], ["bot", "run", "--config", "x.yaml", "--authority", "ch"]):
        args = parser.parse_args(argv)
        with pytest.raises(SystemExit):
            args.func(args)
    assert "--config" in capsys.readouterr().err
    assert parser.parse_args(["bot", "run", "--authority", "ch"]).config is None
