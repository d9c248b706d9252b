"""What the client layer hands on for each kind of timeline event nio parses (no server)."""

from __future__ import annotations

import json
from typing import Any

from nio import Event, MegolmEvent

from coopnet.matrix.bounded_json import loads
from coopnet.matrix.client import is_message, to_received
from coopnet.matrix.intake import RejectedEvent, bad_event_reason

ROOM = "!room:127.0.0.11"


def timeline(content: Any, event_type: str = "m.room.message", **extra: Any) -> dict[str, Any]:
    return {
        "type": event_type,
        "event_id": "$e1",
        "sender": "@officer1:127.0.0.11",
        "origin_server_ts": 1_700_000_000_000,
        "content": content,
        **extra,
    }


def received(source: dict[str, Any]):  # type: ignore[no-untyped-def]
    event = Event.parse_event(source)
    assert is_message(event), type(event)
    return to_received(ROOM, event)


def test_a_plain_message_is_not_rejected() -> None:
    event = received(timeline({"msgtype": "m.text", "body": "hello"}))
    assert event.rejected is None and event.content["body"] == "hello"


def test_wrong_field_types_are_rejected_with_the_field() -> None:
    assert received(timeline({"msgtype": "m.text", "body": 5})).rejected == (
        "body: expected a string, not int"
    )
    assert received(timeline({"msgtype": ["m.text"], "body": "x"})).rejected == (
        "msgtype: expected a string, not list"
    )
    assert received(timeline({"body": "x"})).rejected == "msgtype: required field"


def test_content_nested_thousands_deep_arrives_cut_and_rejected() -> None:
    deep = '{"a":' * 5_000 + "1" + "}" * 5_000
    body = '{"msgtype": "m.text", "body": "x", "deep": ' + deep + "}"
    envelope = json.dumps({"chunk": [timeline("CONTENT")]})
    source = loads(envelope.replace('"CONTENT"', body))["chunk"][0]
    event = received(source)
    assert event.rejected is not None and "levels deep" in event.rejected
    assert event.content == {}


def test_huge_arrays_and_long_strings_are_rejected() -> None:
    many = received(timeline({"msgtype": "m.text", "body": "x", "l": [0] * 5_000}))
    assert many.rejected == "5000 items in one value (at most 2048)"
    long = received(timeline({"msgtype": "m.text", "body": "x" * 45_000}))
    assert long.rejected is not None and "45000 characters" in long.rejected


def test_reactions_and_redactions_are_handed_on() -> None:
    reaction = received(
        timeline(
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$s", "key": "👍"}},
            "m.reaction",
        )
    )
    assert reaction.rejected is None and reaction.relation == ("m.annotation", "$s")
    redaction = received(timeline({"redacts": "$s"}, "m.room.redaction", redacts="$s"))
    assert redaction.type == "m.room.redaction" and redaction.rejected is None
    gone = received(timeline({}, unsigned={"redacted_because": timeline({}, "m.room.redaction")}))
    assert gone.redacted


def test_an_event_without_id_or_sender_is_not_handed_on() -> None:
    source = timeline({"msgtype": "m.text", "body": "x"})
    del source["event_id"]
    assert not is_message(Event.parse_event(source))


def test_unreadable_plaintext_is_rejected_with_its_reason() -> None:
    megolm = Event.parse_event(
        timeline(
            {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgA",
                "sender_key": "k",
                "session_id": "s",
                "device_id": "D",
            },
            "m.room.encrypted",
        )
    )
    assert isinstance(megolm, MegolmEvent)
    event = to_received(ROOM, RejectedEvent.of(megolm, "its decrypted content is unreadable"))
    assert event.decrypted and event.rejected == "its decrypted content is unreadable"


def test_bad_shapes_are_explained() -> None:
    assert bad_event_reason({"type": 3}) == "its type is not a string"
    assert bad_event_reason({"type": "m.x", "content": []}) == "its content is not an object"
    assert "m.relates_to" in str(bad_event_reason({"type": "m.x", "content": {"m.relates_to": 1}}))


def test_a_redaction_naming_its_target_in_content_is_not_rejected() -> None:
    # Room version 11 and later: "redacts" lives in the content only.
    event = received(timeline({"redacts": "$s"}, "m.room.redaction"))
    assert event.rejected is None and event.content["redacts"] == "$s"


def test_an_invitations_room_type_is_read_from_its_stripped_state() -> None:
    from coopnet.matrix.intake import BoundedAsyncClient, invite_room_types

    create = {"type": "m.room.create", "state_key": "", "sender": "@bot:127.0.0.11"}
    sync = {
        "rooms": {
            "invite": {
                "!lobby:127.0.0.11": {
                    "invite_state": {
                        "events": [
                            {"type": "m.room.name", "content": {"name": "Lobby"}},
                            {**create, "content": {"type": "org.coopnet.network.lobby"}},
                        ]
                    }
                },
                "!case:127.0.0.12": {"invite_state": {"events": [{**create, "content": {}}]}},
                "!odd:127.0.0.12": {"invite_state": {"events": ["x", {"type": 3}, None]}},
                "!odder:127.0.0.12": {"invite_state": "x"},
            }
        }
    }
    assert invite_room_types(sync) == {"!lobby:127.0.0.11": "org.coopnet.network.lobby"}
    assert invite_room_types({"rooms": []}) == {} == invite_room_types({})
    client = BoundedAsyncClient("http://127.0.0.11:8008", "@officer1:127.0.0.12")
    client._absorb("/_matrix/client/v3/sync", 200, sync)
    assert client.invite_room_types == {"!lobby:127.0.0.11": "org.coopnet.network.lobby"}
    client._absorb("/_matrix/client/v3/sync", 500, {"rooms": {"invite": {"!x:y": {}}}})
    assert list(client.invite_room_types) == ["!lobby:127.0.0.11"]
