"""A second copy of a room key never replaces one that starts at an earlier index.

nio's own Olm machine and SQLite store, real vodozemac sessions: the shape in which
Element's crypto engine sends a room key a second time, from a later message index.
"""

from __future__ import annotations

from pathlib import Path

import vodozemac
from nio.crypto import Olm
from nio.store import DefaultStore

from coopnet.matrix.room_keys import RoomKeys

ROOM = "!room:127.0.0.11"
SENDER_CURVE = "c" * 43
SENDER_ED = "e" * 43


def _machine(path: Path, guarded: bool) -> Olm:
    olm = Olm("@bot:127.0.0.13", "BOTDEVICE", DefaultStore("@bot:127.0.0.13", "BOTDEVICE", path))
    if guarded:
        RoomKeys(olm)
    return olm


def _keys() -> tuple[str, str, str, bytes]:
    """A session's key from index 0, the same session's key from index 1, its id and
    the ciphertext of its first message (index 0)."""
    outbound = vodozemac.GroupSession()
    from_zero = outbound.session_key.to_base64()
    first = outbound.encrypt(b"the first message").to_base64()
    from_one = outbound.session_key.to_base64()
    return from_zero, from_one, outbound.session_id, first


def _first_index(olm: Olm, session_id: str) -> int:
    session = olm.inbound_group_store.get(ROOM, SENDER_CURVE, session_id)
    assert session is not None
    return session.first_known_index


def _receive(olm: Olm, session_key: str, session_id: str) -> None:
    olm.create_group_session(SENDER_CURVE, SENDER_ED, ROOM, session_id, session_key)


def test_nio_alone_lets_a_later_copy_replace_the_earlier_one(tmp_path: Path):
    """Why the guard exists (if nio fixes it, this test says so)."""
    from_zero, from_one, session_id, _ = _keys()
    olm = _machine(tmp_path, guarded=False)
    _receive(olm, from_zero, session_id)
    _receive(olm, from_one, session_id)
    assert _first_index(olm, session_id) == 1


def test_the_earliest_copy_is_kept_in_memory_and_in_the_store(tmp_path: Path):
    from_zero, from_one, session_id, first = _keys()
    olm = _machine(tmp_path, guarded=True)
    _receive(olm, from_zero, session_id)
    _receive(olm, from_one, session_id)
    assert _first_index(olm, session_id) == 0
    # After a restart, from the database: still from index 0, and the first message reads.
    reloaded = _machine(tmp_path, guarded=True)
    assert _first_index(reloaded, session_id) == 0
    session = reloaded.inbound_group_store.get(ROOM, SENDER_CURVE, session_id)
    message = vodozemac.MegolmMessage.from_base64(first)
    assert session._session.decrypt(message).plaintext == b"the first message"


def test_an_earlier_copy_replaces_a_later_one(tmp_path: Path):
    from_zero, from_one, session_id, _ = _keys()
    olm = _machine(tmp_path, guarded=True)
    _receive(olm, from_one, session_id)
    assert _first_index(olm, session_id) == 1
    _receive(olm, from_zero, session_id)  # e.g. the answer to a key request
    assert _first_index(olm, session_id) == 0
    assert _first_index(_machine(tmp_path, guarded=True), session_id) == 0
