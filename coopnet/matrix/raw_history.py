"""A ``/messages`` page kept as the server sent it, decoded only where asked.

nio's ``room_messages`` validates and decrypts every event of a page. The gap checks
(:func:`coopnet.matrix.history.unheld_events`) read back through what a program already
holds, before every sync batch and every few seconds: under load nearly all of a bot's
decryption and schema validation went to events it had handled long before. This
response keeps the page raw (still decoded within :mod:`coopnet.matrix.intake`'s bounds
and sent with nio's retries); :func:`decode` turns the events asked for into nio events
exactly as ``room_messages`` would (validated, then decrypted by the client).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nio import AsyncClient, ErrorResponse, Response, RoomMessagesResponse
from nio.api import Api, MessageDirection

from coopnet.errors import MatrixError


@dataclass
class RawHistoryResponse(Response):
    room_id: str = field()
    chunk: list[dict[str, Any]] = field()
    end: str | None = field(default=None)

    @classmethod
    def from_dict(
        cls, parsed_dict: dict[Any, Any], room_id: str
    ) -> RawHistoryResponse | ErrorResponse:
        chunk = parsed_dict.get("chunk")
        if "errcode" in parsed_dict or not isinstance(chunk, list):
            return ErrorResponse.from_dict(parsed_dict)
        end = parsed_dict.get("end")
        return cls(
            room_id,
            [e for e in chunk if isinstance(e, dict)],
            end if isinstance(end, str) else None,
        )


def timeline_id(raw: dict[str, Any]) -> str | None:
    """The id of a raw event that may be a timeline event (None: a state event or one
    without an id or a sender, which is never one)."""
    event_id = raw.get("event_id")
    if (
        "state_key" in raw
        or not isinstance(event_id, str)
        or not isinstance(raw.get("sender"), str)
    ):
        return None
    return event_id


async def fetch_raw(
    client: AsyncClient, room_id: str, start: str | None, limit: int
) -> RawHistoryResponse | ErrorResponse:
    """The page of the room's history before ``start`` (None: the newest), newest first."""
    method, path = Api.room_messages(
        client.access_token, room_id, start=start, direction=MessageDirection.back, limit=limit
    )
    return await client._send(RawHistoryResponse, method, path, response_data=(room_id,))


async def decode(client: AsyncClient, room_id: str, raw: list[dict[str, Any]]) -> list[Any]:
    """These raw events as nio events, decrypted where the client holds the room key (nio's
    own path for a ``/messages`` answer)."""
    if not raw:
        return []
    response = RoomMessagesResponse.from_dict({"chunk": raw, "start": ""}, room_id)
    if not isinstance(response, RoomMessagesResponse):
        raise MatrixError(f"reading the history of {room_id} failed: {response}")
    await client.receive_response(response)
    return list(response.chunk)
