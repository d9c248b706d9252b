"""The server ACL a room should have under the signed directory (pure)."""

from __future__ import annotations

from coopnet.consultation.room import followed_server_acl, server_acl


def test_a_removed_authority_leaves_the_acl_and_the_own_server_stays() -> None:
    current = server_acl(["127.0.0.11", "127.0.0.13"])
    wanted = followed_server_acl(
        current, ["127.0.0.13"], ["127.0.0.11", "127.0.0.12"], "127.0.0.11"
    )
    assert wanted == {"allow": ["127.0.0.11"], "deny": [], "allow_ip_literals": True}


def test_nothing_to_do_when_the_acl_already_follows() -> None:
    current = server_acl(["a.example", "b.example"])
    assert (
        followed_server_acl(current, [], ["a.example", "b.example", "c.example"], "a.example")
        is None
    )


def test_ports_are_ignored_and_members_restore_a_relisted_server() -> None:
    current = server_acl(["a.example"])
    wanted = followed_server_acl(
        current, ["b.example:8448"], ["a.example", "b.example:8448"], "a.example:8448"
    )
    assert wanted is not None and wanted["allow"] == ["a.example", "b.example"]


def test_no_acl_yet_and_foreign_entries_are_closed() -> None:
    wanted = followed_server_acl(None, ["x.example"], ["a.example"], "a.example")
    assert wanted is not None and wanted["allow"] == ["a.example"]
    opened = {"allow": ["*"], "deny": [], "allow_ip_literals": True}
    assert followed_server_acl(opened, [], ["a.example"], "a.example")["allow"] == ["a.example"]
