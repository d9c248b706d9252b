"""Late room keys without a homeserver: when keys are requested, which requests count."""

from __future__ import annotations

from types import SimpleNamespace

from nio import RoomKeyRequest, RoomKeyRequestCancellation

from coopnet.matrix.late_keys import KeySharer, KeyWaiter


def _megolm_source(event_id: str, session_id: str) -> dict:
    return {
        "type": "m.room.encrypted",
        "event_id": event_id,
        "sender": "@mx:b",
        "origin_server_ts": 1,
        "content": {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgA",
            "device_id": "MXDEVICE",
            "sender_key": "curve",
            "session_id": session_id,
        },
    }


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _waiter(clock: Clock) -> tuple[KeyWaiter, list[str]]:
    waiter = KeyWaiter(
        SimpleNamespace(olm=None),
        policy=None,
        request_after=(2.0, 10.0),
        give_up_after=30.0,
        clock=clock,
    )  # type: ignore[arg-type]
    asked: list[str] = []

    async def request(megolm) -> bool:
        asked.append(megolm.session_id)
        return True

    waiter.request = request  # type: ignore[method-assign]
    return waiter, asked


async def test_keys_are_requested_once_per_session_and_step_then_given_up():
    clock = Clock()
    waiter, asked = _waiter(clock)
    waiter.watch("!r", "$1", _megolm_source("$1", "S1"))
    waiter.watch("!r", "$2", _megolm_source("$2", "S1"))  # same session: one request
    await waiter.request_due()
    assert asked == []  # the key may still come by itself
    clock.now += 2.5
    await waiter.request_due()
    await waiter.request_due()
    assert asked == ["S1"]
    clock.now += 8.0
    await waiter.request_due()
    assert asked == ["S1", "S1"]  # asked again once
    clock.now += 100.0
    await waiter.request_due()
    assert asked == ["S1", "S1"]  # no more steps
    assert [event_id for event_id, _ in waiter.expired()] == ["$1", "$2"]
    assert waiter.waiting == {}


async def test_a_decrypted_event_is_no_longer_waited_for():
    clock = Clock()
    waiter, asked = _waiter(clock)
    waiter.watch("!r", "$1", _megolm_source("$1", "S1"))
    waiter.forget("$1")
    clock.now += 50.0
    await waiter.request_due()
    assert asked == [] and waiter.expired() == []


def _request(sender: str, request_id: str) -> RoomKeyRequest:
    return RoomKeyRequest(
        {}, sender, "DEV", request_id, "m.megolm.v1.aes-sha2", "!r", "curve", "S1"
    )


def test_only_other_users_requests_not_cancelled_in_the_same_sync_are_answered():
    cancelled = RoomKeyRequestCancellation({}, "@ch:a", "DEV", "r2")
    resp = SimpleNamespace(
        to_device_events=[
            _request("@ch:a", "r1"),
            _request("@ch:a", "r2"),
            cancelled,
            _request("@me:c", "r3"),  # our own devices: nio answers those
        ]
    )
    requests = KeySharer.requests_in(resp, "@me:c")  # type: ignore[arg-type]
    assert [r.request_id for r in requests] == ["r1"]
