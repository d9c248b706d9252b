"""Every room key this device gets, seen once, and never a later copy over an earlier one.

nio stores an inbound Megolm session in two places, its in-memory group-session store
(``add``) and its database (``save_inbound_group_session``), and replaces a session by a
second copy with the same id, even one that starts at a later message index: after that
the earlier messages cannot be read any more. The spec's key-sharing rules keep the
copy that starts earliest. :class:`RoomKeys` wraps both calls of one Olm machine: a copy
that starts later than the one held is dropped (logged), and every session actually kept
is handed to the listeners (the key backup), whichever way it came: created for an own
outbound session, ``m.room_key``, forwarded, imported. An earlier copy replaces the one
held only when its ratchet leads to it (:func:`continues`): a session id is a public
key, and a forged copy under a known id must not push out the genuine one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from types import MethodType
from typing import Any

from nio.crypto import InboundGroupSession
from nio.store.models import ForwardedChains, MegolmInboundSessions

log = logging.getLogger(__name__)

Listener = Callable[[InboundGroupSession], None]
SAVE_CHUNK = 200  # rows per INSERT (6 values each, far below SQLite's variable limit)


def continues(earlier: InboundGroupSession, later: InboundGroupSession) -> bool:
    """Whether ``earlier`` is the same Megolm ratchet as ``later``, from an earlier index.

    A session id is only the session's public key: anyone can pair it with a ratchet of
    their own. The ratchet only moves forward, so a genuine earlier copy, exported at the
    later copy's first index, gives exactly the later copy's export.
    """
    index = later.first_known_index
    try:
        return earlier.export_session(index) == later.export_session(index)
    except Exception:  # noqa: BLE001 - a session that cannot be exported there
        return False


class RoomKeys:
    def __init__(self, olm: Any) -> None:
        self._olm = olm
        self._listeners: list[Listener] = []
        store = olm.inbound_group_store
        add, save = store.add, olm.save_inbound_group_session

        def keep_earliest(_store: Any, session: InboundGroupSession) -> bool:
            held = _store.get(session.room_id, session.sender_key, session.id)
            if held is session:
                return False
            if held is not None and held.first_known_index <= session.first_known_index:
                log.info(
                    "kept room key %s from index %d, not a copy from index %d",
                    session.id,
                    held.first_known_index,
                    session.first_known_index,
                )
                return False
            if held is not None and not continues(session, held):
                log.warning(
                    "refused a copy of room key %s from index %d: it does not lead to the "
                    "copy held from index %d (a forged key)",
                    session.id,
                    session.first_known_index,
                    held.first_known_index,
                )
                return False
            return bool(add(session))

        def save_kept(_olm: Any, session: InboundGroupSession) -> None:
            held = _olm.inbound_group_store.get(session.room_id, session.sender_key, session.id)
            if held is not session:
                return  # a later copy that was not kept
            save(session)
            self._announce(session)

        store.add = MethodType(keep_earliest, store)
        olm.save_inbound_group_session = MethodType(save_kept, olm)
        self._save = save

    def on_saved(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _announce(self, session: InboundGroupSession) -> None:
        for listener in self._listeners:
            try:
                listener(session)
            except Exception:  # a listener must not lose the key itself
                log.exception("a room-key listener failed on %s", session.id)

    def all(self) -> list[InboundGroupSession]:
        return list(self._olm.inbound_group_store)

    def get(self, room_id: str, sender_key: str, session_id: str) -> InboundGroupSession | None:
        found: InboundGroupSession | None = self._olm.inbound_group_store.get(
            room_id, sender_key, session_id
        )
        return found

    def import_session(self, session: InboundGroupSession) -> bool:
        """Keep an imported session unless one that starts no later is held; True if kept."""
        if not self._olm.inbound_group_store.add(session):
            return False
        self._olm.save_inbound_group_session(session)
        return True

    def import_many(self, sessions: Iterable[InboundGroupSession]) -> list[InboundGroupSession]:
        """:meth:`import_session` for many (a restore): the kept ones, stored together."""
        kept = [s for s in sessions if self._olm.inbound_group_store.add(s)]
        if not save_many(getattr(self._olm, "store", None), kept):
            for session in kept:
                self._save(session)
        for session in kept:
            self._announce(session)
        return kept


def save_many(store: Any, sessions: list[InboundGroupSession]) -> bool:
    """Write sessions to nio's database in a few statements; False if that cannot be done
    (another store, another schema): the caller then saves them one by one.

    nio's own save costs two statements and a model binding per session (about 20 ms on
    a busy machine: minutes for the 10,000 keys of a restore). The rows are those nio's
    ``save_inbound_group_session`` writes.
    """
    if not sessions:
        return True
    try:
        account = store._get_account()
        if account is None:
            return False
        with store.database.bind_ctx(store.models), store.database.atomic():
            for start in range(0, len(sessions), SAVE_CHUNK):
                chunk = sessions[start : start + SAVE_CHUNK]
                MegolmInboundSessions.insert_many(
                    [
                        {
                            "sender_key": s.sender_key,
                            "account": account,
                            "fp_key": s.ed25519,
                            "room_id": s.room_id,
                            "session": s.pickle(store.pickle_key),
                            "session_id": s.id,
                        }
                        for s in chunk
                    ]
                ).on_conflict_replace().execute()
                chains = [
                    {"sender_key": key, "session": s.id}
                    for s in chunk
                    for key in s.forwarding_chain
                ]
                if chains:
                    ForwardedChains.insert_many(chains).on_conflict_replace().execute()
    except Exception as exc:  # noqa: BLE001 - nio's schema is not ours: fall back
        log.warning("storing %d room keys at once failed (%r); one by one", len(sessions), exc)
        return False
    return True
