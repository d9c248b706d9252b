"""A second copy of a room key never replaces one that starts earlier; every key kept is
announced once (what the key backup uploads). nio's real session store and sessions;
only the Olm machine's persistence is a stand-in that records what it saved."""

from __future__ import annotations

import base64
import os

from nio.crypto import InboundGroupSession, OutboundGroupSession
from nio.crypto.memorystores import GroupSessionStore

from coopnet.matrix.room_keys import RoomKeys

ROOM = "!room:hs"


class Machine:
    """The two attributes of nio's Olm machine that RoomKeys wraps."""

    def __init__(self) -> None:
        self.inbound_group_store = GroupSessionStore()
        self.saved: list[InboundGroupSession] = []

    def save_inbound_group_session(self, session: InboundGroupSession) -> None:
        self.saved.append(session)

    def create_group_session(self, session: InboundGroupSession) -> None:
        # What nio's create_group_session does with an m.room_key: add, then save.
        self.inbound_group_store.add(session)
        self.save_inbound_group_session(session)


def _copies() -> tuple[InboundGroupSession, InboundGroupSession]:
    """The same Megolm session from index 0 and from index 2."""
    outbound = OutboundGroupSession()
    outbound.shared = True
    early = InboundGroupSession(outbound.session_key, "ed", "curve", ROOM)
    outbound.encrypt("one")
    outbound.encrypt("two")
    late = InboundGroupSession(outbound.session_key, "ed", "curve", ROOM)
    assert early.id == late.id and early.first_known_index == 0
    assert late.first_known_index == 2
    return early, late


def test_a_later_copy_does_not_replace_an_earlier_one() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    announced: list[InboundGroupSession] = []
    keys.on_saved(announced.append)
    early, late = _copies()
    machine.create_group_session(early)
    machine.create_group_session(late)  # a second m.room_key, from a later index
    held = keys.get(ROOM, "curve", early.id)
    assert held is early and held.first_known_index == 0
    assert machine.saved == [early] and announced == [early]


def test_an_earlier_copy_replaces_a_later_one_and_is_announced() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    announced: list[InboundGroupSession] = []
    keys.on_saved(announced.append)
    early, late = _copies()
    machine.create_group_session(late)
    assert keys.import_session(early)  # e.g. restored from the key backup
    assert keys.get(ROOM, "curve", early.id) is early
    assert announced == [late, early]
    assert not keys.import_session(late)  # and not back again
    assert keys.get(ROOM, "curve", early.id) is early


def test_the_same_session_object_is_not_saved_twice() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    early, _ = _copies()
    assert keys.import_session(early)
    assert not keys.import_session(early)
    assert machine.saved == [early] and keys.all() == [early]


def test_a_failing_listener_does_not_lose_the_key() -> None:
    machine = Machine()
    keys = RoomKeys(machine)

    def broken(session: InboundGroupSession) -> None:
        raise RuntimeError("listener bug")

    keys.on_saved(broken)
    early, _ = _copies()
    assert keys.import_session(early)
    assert machine.saved == [early]


def test_a_forged_earlier_copy_under_a_known_session_id_is_refused() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    _, late = _copies()
    machine.create_group_session(late)
    forged = _forged_from(late)
    assert forged.id == late.id and forged.first_known_index == 0
    assert not keys.import_session(forged)
    assert keys.get(ROOM, "curve", late.id) is late
    assert machine.saved == [late]


def test_the_backup_state_file_round_trips_and_a_damaged_one_starts_over(tmp_path) -> None:
    from coopnet.matrix.key_backup import STATE_FILE, BackupState

    state = BackupState("3", "pub", {"!r|k|s": 4}, {"s"})
    state.save(tmp_path)
    assert (tmp_path / STATE_FILE).stat().st_mode & 0o077 == 0
    assert BackupState.load(tmp_path) == state
    (tmp_path / STATE_FILE).write_text("{not json")
    assert BackupState.load(tmp_path) == BackupState()  # everything is uploaded again


def test_many_restored_keys_are_stored_together_as_nio_reads_them(tmp_path, caplog) -> None:
    from nio.crypto import Olm
    from nio.store import DefaultStore

    store = DefaultStore("@officer:hs", "DEVICE", str(tmp_path))
    keys = RoomKeys(Olm("@officer:hs", "DEVICE", store))
    announced: list[InboundGroupSession] = []
    keys.on_saved(announced.append)
    sessions = []
    for i in range(450):
        outbound = OutboundGroupSession()
        chain = ["forwarder-key"] if i % 2 else []
        sessions.append(
            InboundGroupSession(outbound.session_key, f"ed{i}", f"curve{i}", f"!r{i % 7}:hs", chain)
        )
    kept = keys.import_many([*sessions, sessions[0]])  # a duplicate is not stored twice
    assert "one by one" not in caplog.text  # the bulk path, not the fallback
    assert kept == sessions and announced == sessions
    reloaded = DefaultStore("@officer:hs", "DEVICE", str(tmp_path)).load_inbound_group_sessions()
    by_id = {s.id: s for s in reloaded}
    assert set(by_id) == {s.id for s in sessions}
    for session in sessions:
        again = by_id[session.id]
        assert (again.room_id, again.sender_key, again.ed25519) == (
            session.room_id,
            session.sender_key,
            session.ed25519,
        )
        assert again.forwarding_chain == session.forwarding_chain
        assert again.export_session(0) == session.export_session(0)


def _forged_from(genuine: InboundGroupSession, index: int = 0) -> InboundGroupSession:
    """A copy under the genuine session id with a ratchet of one's own, from ``index``.
    Export format: version, index (4 bytes), ratchet (128 bytes), the session's public
    key (its id)."""
    raw = bytearray(base64.b64decode(genuine.export_session(genuine.first_known_index) + "=="))
    raw[1:5] = index.to_bytes(4, "big")
    raw[5:133] = os.urandom(128)
    text = base64.b64encode(bytes(raw)).decode().rstrip("=")
    return InboundGroupSession.import_session(text, "ed", "curve", ROOM)


def test_a_copy_from_its_sender_vouches_for_a_doubtful_copy_held() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    doubtful: set[str] = set()
    keys.doubtful = doubtful.__contains__
    confirmed: list[InboundGroupSession] = []
    keys.on_confirmed(confirmed.append)
    early, late = _copies()
    assert keys.import_session(early)  # from the key backup
    doubtful.add(early.id)
    machine.create_group_session(late)  # the same session from its sender, later index
    assert keys.get(ROOM, "curve", early.id) is early  # the earlier copy stays
    assert confirmed == [early]


def test_a_copy_from_its_sender_replaces_a_forged_doubtful_copy() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    doubtful: set[str] = set()
    keys.doubtful = doubtful.__contains__
    _, genuine = _copies()
    forged = _forged_from(genuine)
    assert keys.import_session(forged)  # put in the key backup by whoever knows its key
    doubtful.add(forged.id)
    machine.create_group_session(genuine)  # the sender's own copy, from index 2
    assert keys.get(ROOM, "curve", genuine.id) is genuine
    assert machine.saved == [forged, genuine]


def test_a_doubtful_copy_never_replaces_what_is_held() -> None:
    machine = Machine()
    keys = RoomKeys(machine)
    keys.doubtful = lambda _session_id: True
    _, genuine = _copies()
    assert keys.import_session(genuine)
    assert not keys.import_session(_forged_from(genuine))
    assert keys.get(ROOM, "curve", genuine.id) is genuine
