"""Keep the earliest copy of a Megolm room key.

A sender may send the same room key a second time (after setting up a new Olm session,
as Element's crypto engine does), exported from a later message index; a forwarded or
imported copy can also start later. nio replaces the session it holds with any new
object of the same session id — its in-memory store compares sessions by identity — and
``create_group_session`` writes every copy to the database. The later copy then cannot
decrypt the first messages ("unknown message index"). A copy replaces the held one only
when it starts at an earlier index (the spec's key-sharing rules; the key backup keeps
the better copy the same way).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def keep_earliest_room_keys(olm: Any) -> None:
    """Wrap the Olm machine's inbound group store and its save so that no copy of a
    room key replaces one that starts at an earlier (or the same) message index."""
    store = olm.inbound_group_store
    add = store.add
    save = olm.save_inbound_group_session

    def add_if_earlier(session: Any) -> bool:
        held = store.get(session.room_id, session.sender_key, session.id)
        if held is not None and held is not session:
            if held.first_known_index <= session.first_known_index:
                log.info(
                    "kept room key %s of %s from index %d (a copy from index %d came)",
                    session.id,
                    session.room_id,
                    held.first_known_index,
                    session.first_known_index,
                )
                return False
        return bool(add(session))

    def save_if_held(session: Any) -> None:
        # nio saves a new room key even when the store kept the earlier copy.
        if store.get(session.room_id, session.sender_key, session.id) is session:
            save(session)

    store.add = add_if_earlier
    olm.save_inbound_group_session = save_if_held
