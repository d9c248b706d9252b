"""Network rooms (pure): the vocabulary, the room a host's bot creates, and the plan that
makes a room follow the signed directory (invites, removals, server ACL)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bots.framework.state import BotState
from coopnet.cli import main
from coopnet.consultation import network_room
from coopnet.consultation.room import server_acl
from coopnet.protocol.labels import LANGUAGES
from coopnet.protocol.vocab import NetworkRoomTopic
from coopnet.trust import DirectoryRefused, parse_directory
from coopnet.trust import directory as d
from tests.unit.test_directory_cli import net_dir  # noqa: F401  (a fixture)
from tests.unit.test_trust_directory import sample

HOST = "@bot:127.0.0.11"


def _servers(directory: d.Directory) -> list[str]:
    return directory.server_names()


def _officers(directory: d.Directory) -> set[str]:
    return {o.user_id for a in directory.authorities for o in a.officers}


def test_the_room_is_named_from_the_vocabulary_in_six_languages_and_typed() -> None:
    for topic in NetworkRoomTopic:
        names = {network_room.topic_label(topic, lang) for lang in LANGUAGES}
        assert len(names) == 6 and all(f"{topic.value}" not in n for n in names)
        assert network_room.topic_of(network_room.room_type(topic)) is topic
    assert network_room.topic_of(None) is None
    assert network_room.topic_of("m.space") is None
    assert network_room.topic_of("org.coopnet.network.gossip") is None
    assert network_room.topic_label("assurances_practice", "en") == "Assurances practice"


def test_the_created_room_is_encrypted_invite_only_and_allows_the_listed_servers() -> None:
    directory = sample()
    plan = network_room.plan("lobby", directory, HOST)
    state = {e["type"]: e["content"] for e in plan.initial_state}
    assert state["m.room.encryption"]["algorithm"] == "m.megolm.v1.aes-sha2"
    assert state["m.room.join_rules"] == {"join_rule": "invite"}
    assert state["m.room.server_acl"]["allow"] == sorted(_servers(directory))
    assert plan.room_type == "org.coopnet.network.lobby"
    assert plan.name == "Lobby of the central authorities"
    assert plan.invite == ()  # invitations come from reconcile, one by one
    levels = plan.power_levels
    assert levels["invite"] == levels["kick"] == levels["state_default"] == 100
    assert levels["users_default"] == levels["events_default"] == 50
    with pytest.raises(ValueError):
        network_room.plan("gossip", directory, HOST)


def test_a_new_room_invites_every_listed_officer_and_sets_nothing_else() -> None:
    directory = sample()
    acl = server_acl(_servers(directory))
    plan = network_room.reconcile(directory, [HOST], [], acl, HOST)
    assert set(plan.invites) == _officers(directory) and len(plan.invites) == 4
    assert plan.kicks == () and plan.acl is None


def test_nothing_to_do_when_the_room_follows_the_directory() -> None:
    directory = sample()
    officers = sorted(_officers(directory))
    plan = network_room.reconcile(
        directory, [HOST, *officers[:2]], officers[2:], server_acl(_servers(directory)), HOST
    )
    assert plan.nothing_to_do


def test_an_added_authority_is_allowed_and_its_officers_invited() -> None:
    before = sample()
    added = d.Authority(
        id="dd",
        state="D",
        name="Central authority of D",
        server_name="127.0.0.14",
        officers=(d.Member("@o1:127.0.0.14", "Officer"),),
    )
    after = d.with_authority(before, added)
    joined = [HOST, *_officers(before)]
    plan = network_room.reconcile(after, joined, [], server_acl(_servers(before)), HOST)
    assert plan.invites == ("@o1:127.0.0.14",)
    assert plan.kicks == ()
    assert plan.acl is not None and "127.0.0.14" in plan.acl["allow"]
    assert plan.acl["allow"] == sorted(_servers(after))


def test_a_removed_authority_is_removed_and_its_server_left_out_of_the_acl() -> None:
    before = sample()
    gone = before.authorities[1]
    after = d.without_authority(before, gone.id)
    officers = sorted(_officers(before))
    gone_officers = {o.user_id for o in gone.officers}
    # One of its officers had joined, the other was still invited: both go.
    joined = [HOST, *[o for o in officers if o not in gone_officers], sorted(gone_officers)[0]]
    invited = [sorted(gone_officers)[1]]
    plan = network_room.reconcile(after, joined, invited, server_acl(_servers(before)), HOST)
    assert set(plan.kicks) == gone_officers
    assert plan.invites == ()
    assert plan.acl is not None and gone.server_name not in plan.acl["allow"]
    assert plan.acl["allow"] == sorted(_servers(after))


def test_an_unlisted_member_on_a_listed_server_is_removed_but_never_the_host() -> None:
    directory = sample()
    stranger = "@someone:127.0.0.11"
    joined = [HOST, stranger, *_officers(directory)]
    plan = network_room.reconcile(directory, joined, [], server_acl(_servers(directory)), HOST)
    assert plan.kicks == (stranger,)


def test_the_host_keeps_its_own_server_even_when_the_directory_forgets_it() -> None:
    directory = sample()
    host = "@bot:127.0.0.99"
    plan = network_room.reconcile(directory, [host], [], None, host)
    assert plan.acl is not None and "127.0.0.99" in plan.acl["allow"]


# ---------------------------------------------------------------- the directory lists them
def test_the_directory_lists_network_rooms_and_signs_them() -> None:
    directory = sample()
    assert "network_rooms" not in directory.to_json()  # older directories hash the same
    host = directory.authorities[0].id
    listed = d.with_network_room(directory, "lobby", host)
    assert listed.network_room("lobby") == d.NetworkRoom("lobby", host)
    assert parse_directory(listed.to_json()) == listed
    assert d.without_network_room(listed, "lobby").network_rooms == ()


def test_bad_network_rooms_are_refused_naming_the_field() -> None:
    directory = sample()
    host = directory.authorities[0].id
    with pytest.raises(DirectoryRefused, match=r"network_rooms\[0\]\.topic: .*'gossip'"):
        parse_directory(
            {**directory.to_json(), "network_rooms": [{"topic": "gossip", "host": host}]}
        )
    with pytest.raises(DirectoryRefused, match=r"network_rooms\[0\]\.host: 'zz' hosts"):
        d.with_network_room(directory, "lobby", "zz")
    listed = d.with_network_room(directory, "lobby", host)
    with pytest.raises(DirectoryRefused, match="already there"):
        d.with_network_room(listed, "lobby", directory.authorities[1].id)
    with pytest.raises(DirectoryRefused, match="hosts the network room"):
        d.without_authority(listed, host)
    with pytest.raises(DirectoryRefused, match="no network room"):
        d.without_network_room(directory, "lobby")
    doubled = replace(listed, network_rooms=listed.network_rooms * 2)
    with pytest.raises(DirectoryRefused, match="network room"):
        parse_directory(doubled.to_json())


def test_the_steward_adds_and_removes_a_network_room(net_dir: Path, capsys) -> None:  # noqa: F811
    assert (
        main(["directory", "add-network-room", "lobby", "--host", "ch", "--dir", str(net_dir)]) == 0
    )
    assert main(["directory", "show", "--dir", str(net_dir)]) == 0
    shown = capsys.readouterr().out
    assert "Lobby of the central authorities" in shown and "network rooms" in shown
    assert (
        main(["directory", "add-network-room", "gossip", "--host", "ch", "--dir", str(net_dir)])
        == 1
    )
    assert "not a network room topic" in capsys.readouterr().err
    assert (
        main(["directory", "add-network-room", "lobby", "--host", "xx", "--dir", str(net_dir)]) == 1
    )
    assert "--host 'xx'" in capsys.readouterr().err
    assert main(["directory", "remove-authority", "ch", "--dir", str(net_dir)]) != 0
    assert "hosts the network room(s) lobby" in capsys.readouterr().err
    assert main(["directory", "remove-network-room", "lobby", "--dir", str(net_dir)]) == 0


# ---------------------------------------------------------------- the host bot remembers
async def test_the_host_bot_remembers_the_rooms_it_created_across_restarts(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state.db")
    try:
        assert state.network_rooms() == {}
        await state.save_network_room("lobby", "!lobby:127.0.0.11")
        await state.save_sync_token("s1")  # shares the table: neither shadows the other
    finally:
        state.close()
    again = BotState(tmp_path / "state.db")
    try:
        assert again.network_rooms() == {"lobby": "!lobby:127.0.0.11"}
        assert again.sync_token() == "s1"
    finally:
        again.close()
