"""Every room key this device gets, seen once; never a later copy over an earlier one,
never a forged copy over the genuine one.

nio stores an inbound Megolm session in two places, its in-memory group-session store
(``add``) and its database (``save_inbound_group_session``), and replaces a session by a
second copy with the same id, even one that starts at a later message index: after that
the earlier messages cannot be read any more. The spec's key-sharing rules keep the copy
that starts earliest. :class:`RoomKeys` wraps both calls of one Olm machine and every
session actually kept is handed to the listeners (the key backup), whichever way it came:
created for an own outbound session, ``m.room_key``, forwarded, imported.

A session id is only the session's public key, visible in every encrypted event: anyone
can pair it with a ratchet of their own and put that in the key backup. Copies are one
session only when their ratchets agree (:func:`continues`); when they do not, the copy
that came from the sender's device over Olm wins over one from the backup (doubtful),
and a doubtful copy never pushes out what is held.
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
        self._confirm_listeners: list[Listener] = []
        # Whether a held session's copy came by a path that does not authenticate its
        # sender (the key backup); the key backup sets it.
        self.doubtful: Callable[[str], bool] = lambda _session_id: False
        store = olm.inbound_group_store
        add, save = store.add, olm.save_inbound_group_session

        def add_from_olm(_store: Any, session: InboundGroupSession) -> bool:
            # nio's own paths: m.room_key, accepted forwards, its outbound sessions.
            if not self._should_store(session, authenticated=True):
                return False
            return bool(add(session))

        def save_kept(_olm: Any, session: InboundGroupSession) -> None:
            held = _olm.inbound_group_store.get(session.room_id, session.sender_key, session.id)
            if held is not session:
                return  # a copy that was not kept
            save(session)
            self._announce(session)

        store.add = MethodType(add_from_olm, store)
        olm.save_inbound_group_session = MethodType(save_kept, olm)
        self._add = add
        self._save = save

    def _should_store(self, new: InboundGroupSession, authenticated: bool) -> bool:
        """Whether ``new`` is to replace (or be) the held copy of its session.

        Two copies whose ratchets agree are one session: the earlier is kept, and a copy
        that came by an authenticated path vouches for a doubtful one held. Copies that
        disagree under one session id mean one is forged: an authenticated copy replaces
        a doubtful one; otherwise the held copy stays.
        """
        held = self.get(new.room_id, new.sender_key, new.id)
        if held is None:
            return True
        if held is new:
            return False
        if new.first_known_index < held.first_known_index:
            earlier, later = new, held
        else:
            earlier, later = held, new
        if continues(earlier, later):
            if authenticated and held.ed25519 == new.ed25519 and self.doubtful(held.id):
                for listener in self._confirm_listeners:
                    listener(held)
            if earlier is held:
                log.info(
                    "kept room key %s from index %d, not a copy from index %d",
                    new.id,
                    held.first_known_index,
                    new.first_known_index,
                )
            return earlier is new
        if authenticated and self.doubtful(held.id):
            log.warning("room key %s: a copy from its sender replaces a forged one", new.id)
            return True
        log.warning(
            "refused a copy of room key %s from index %d: its ratchet is not the one of the "
            "copy held from index %d (a forged key)",
            new.id,
            new.first_known_index,
            held.first_known_index,
        )
        return False

    def on_saved(self, listener: Listener) -> None:
        """Call ``listener`` with every session kept (stored or replacing a copy)."""
        self._listeners.append(listener)

    def on_confirmed(self, listener: Listener) -> None:
        """Call ``listener`` with a doubtful session held when a copy of it came by an
        authenticated path (its sender's device, over Olm)."""
        self._confirm_listeners.append(listener)

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

    def _add_imported(self, session: InboundGroupSession) -> bool:
        return self._should_store(session, authenticated=False) and bool(self._add(session))

    def import_session(self, session: InboundGroupSession) -> bool:
        """Keep an imported session (from the key backup: not authenticated) unless the
        copy held starts no later, or disagrees with it; True if kept."""
        if not self._add_imported(session):
            return False
        self._save(session)
        self._announce(session)
        return True

    def import_many(self, sessions: Iterable[InboundGroupSession]) -> list[InboundGroupSession]:
        """:meth:`import_session` for many (a restore): the kept ones, stored together."""
        kept = [s for s in sessions if self._add_imported(s)]
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
