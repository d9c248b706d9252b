"""Where nio meets what a homeserver sends: every decoding is bounded, every failure a value.

nio decodes JSON in two places, both remote input: the HTTP body of every answer
(``AsyncClient.parse_body``: /sync with its timeline, state, to-device and account data,
/messages, …) and the plaintext of Olm and Megolm messages (``json.loads`` in
``nio.crypto.olm_machine``). :class:`BoundedAsyncClient` overrides the first; the module
hook below puts :class:`~coopnet.matrix.bounded_json.BoundedJsonModule` in front of the
second. Decryption that fails in any other way (nio indexing content that is not what it
expects) becomes a :class:`RejectedEvent` carrying the reason instead of an exception that
would end the sync.
"""

from __future__ import annotations

import json
import logging
from json import JSONDecodeError
from typing import Any

from aiohttp import ClientError, ClientResponse
from nio import AsyncClient, BadEvent, EncryptionError, MegolmEvent
from nio.client.async_client import client_session
from nio.crypto import olm_machine

from coopnet.errors import MatrixError
from coopnet.matrix.bounded_json import BoundedJsonModule, BoundsError, loads
from coopnet.matrix.cross_signing import KEYS_QUERY, CrossSigningView
from coopnet.protocol.bounds import TEXT

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 16
SYNC = "/sync"  # the client API's sync path ends so (v3, r0)

# nio's Olm/Megolm plaintext goes through the bounded decoder (the module's only json use
# on remote text; key-export files, the other one, are local and also fit the bounds).
olm_machine.json = BoundedJsonModule()  # type: ignore[assignment]


class RejectedEvent(BadEvent):
    """A timeline event nio could not turn into an event, with the reason why."""

    reason: str = ""

    @classmethod
    def of(cls, event: MegolmEvent, reason: str) -> RejectedEvent:
        rejected = cls(
            event.source, event.event_id, event.sender, event.server_timestamp, "m.room.encrypted"
        )
        rejected.reason = reason
        rejected.decrypted = True  # the key was there: what it decrypted to was unreadable
        return rejected


def bad_event_reason(source: dict[str, Any]) -> str | None:
    """Why nio refused an event's shape (its schemas say only that they did); None when
    nio's schema is only older than the event (a redaction naming its target in its
    content, as from room version 11)."""
    event_type = source.get("type")
    content = source.get("content")
    if not isinstance(event_type, str):
        return "its type is not a string"
    if not isinstance(content, dict):
        return "its content is not an object"
    if event_type == "m.room.redaction" and isinstance(content.get("redacts"), str):
        return None
    if event_type == "m.room.message":
        for field in ("msgtype", "body"):
            if field not in content:
                return f"{field}: required field"
            if not isinstance(content[field], str):
                return f"{field}: expected a string, not {type(content[field]).__name__}"
    relation = content.get("m.relates_to")
    if "m.relates_to" in content and not isinstance(relation, dict):
        return "m.relates_to: expected an object"
    return f"it does not have the shape of a {event_type[:80]} event"


class BoundedAsyncClient(AsyncClient):
    """nio's client with bounded decoding of answers and exception-free decryption; every
    ``/keys/query`` answer also feeds :attr:`cross_signing`, the part nio drops."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cross_signing = CrossSigningView()
        # The creation content ``type`` of rooms this account is invited to, which nio
        # drops from an invitation's stripped state (a network room's says its topic).
        self.invite_room_types: dict[str, str] = {}

    async def parse_body(self, transport_response: ClientResponse) -> dict[Any, Any]:
        try:
            value = loads(await _read_capped(transport_response, TEXT.max_bytes))
        except (BoundsError, JSONDecodeError, ClientError) as exc:
            log.warning("refused the answer to %s: %s", transport_response.url.path, exc)
            return {}
        if not isinstance(value, dict):
            return {}
        self._absorb(transport_response.url.path, transport_response.status, value)
        return value

    def _absorb(self, path: str, status: int, value: dict[str, Any]) -> None:
        if status == 200 and path.endswith(KEYS_QUERY):
            self.cross_signing.absorb(value)
        if status == 200 and path.endswith(SYNC):
            self.invite_room_types.update(invite_room_types(value))

    @client_session
    async def api_request(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """One authenticated JSON request of what nio has no call for; the answer is
        decoded with the same bounds as every other."""
        headers = {"Authorization": f"Bearer {self.access_token}"}
        try:
            response = await self.send(method, path, json.dumps(body), headers=headers)
            async with response:
                status = response.status
                value = loads(await _read_capped(response, TEXT.max_bytes))
        except (BoundsError, JSONDecodeError, ClientError, TimeoutError) as exc:
            raise MatrixError(f"{method} {path} failed: {exc or type(exc).__name__}") from None
        value = value if isinstance(value, dict) else {}
        self._absorb(path, status, value)
        return status, value

    def load_store(self) -> None:
        super().load_store()
        if self.olm is not None:
            _guard_decryption(self.olm)


async def _read_capped(response: ClientResponse, limit: int) -> bytes:
    if response.content_length is not None and response.content_length > limit:
        raise BoundsError(f"an answer of {response.content_length} bytes, at most {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise BoundsError(f"an answer of more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _guard_decryption(olm: Any) -> None:
    """Wrap the Olm machine's decryption (nio's ``_decrypt_megolm_no_error`` and the
    to-device path call these attributes) so that only a missing key is an error."""
    decrypt_megolm = olm.decrypt_megolm_event
    handle_to_device = olm.handle_to_device_event

    def guarded_megolm(event: MegolmEvent, room_id: str | None = None) -> Any:
        try:
            return decrypt_megolm(event, room_id)
        except EncryptionError:
            raise
        except Exception as exc:  # noqa: BLE001 - remote content must not end the sync
            log.warning("the decrypted content of %s is unreadable: %r", event.event_id, exc)
            return RejectedEvent.of(event, f"its decrypted content is unreadable ({exc!r:.120})")

    def guarded_to_device(event: Any) -> Any:
        try:
            return handle_to_device(event)
        except Exception as exc:  # noqa: BLE001 - one bad to-device message is dropped
            log.warning("dropped an unreadable to-device message from %s: %r", event.sender, exc)
            return None

    olm.decrypt_megolm_event = guarded_megolm
    olm.handle_to_device_event = guarded_to_device


def invite_room_types(sync: dict[str, Any]) -> dict[str, str]:
    """The room type of each invitation in a /sync answer, from the ``m.room.create`` of
    its stripped state (Synapse shares it with invitees); rooms without one left out.
    Remote input: anything not of the expected shape is passed over."""
    rooms = sync.get("rooms")
    invites = rooms.get("invite") if isinstance(rooms, dict) else None
    found: dict[str, str] = {}
    for room_id, invite in invites.items() if isinstance(invites, dict) else ():
        state = invite.get("invite_state") if isinstance(invite, dict) else None
        events = state.get("events") if isinstance(state, dict) else None
        for event in events if isinstance(events, list) else ():
            if not isinstance(event, dict) or event.get("type") != "m.room.create":
                continue
            content = event.get("content")
            room_type = content.get("type") if isinstance(content, dict) else None
            if isinstance(room_id, str) and isinstance(room_type, str):
                found[room_id] = room_type
    return found
