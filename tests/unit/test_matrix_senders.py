"""Which device sent a decrypted event, and the device policy's decision on it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from coopnet.matrix.devices import Decision, DeviceInfo
from coopnet.matrix.senders import sender_device
from coopnet.matrix.snapshots import KEYS_MISMATCH, NOT_ENCRYPTED, NOT_TRUSTED, UNKNOWN_DEVICE

ROOM = "!r:ch.example"
OFFICER = "@officer:mx.example"


class Listed:
    """Trusts exactly one (user, device, key)."""

    def __init__(self, user_id: str, device_id: str, ed25519: str) -> None:
        self.listed = (user_id, device_id, ed25519)

    def decide(self, device: DeviceInfo) -> Decision:
        match = (device.user_id, device.device_id, device.ed25519) == self.listed
        return Decision.TRUST if match else Decision.EXCLUDE


class Devices:
    def __init__(self, *devices: Any) -> None:
        self.devices = devices

    def active_user_devices(self, user_id: str) -> list[Any]:
        return [d for d in self.devices if d.user_id == user_id]


class Sessions:
    def __init__(self, sessions: dict[tuple[str, str, str], str]) -> None:
        self.sessions = sessions  # (room, sender key, session id) -> signing key

    def get(self, room_id: str, sender_key: str, session_id: str) -> Any:
        signing = self.sessions.get((room_id, sender_key, session_id))
        return SimpleNamespace(ed25519=signing) if signing else None


def _device(device_id: str, curve: str, ed: str) -> Any:
    return SimpleNamespace(
        user_id=OFFICER, id=device_id, curve25519=curve, ed25519=ed, display_name=""
    )


def _nio(*devices: Any, sessions: dict[tuple[str, str, str], str] | None = None) -> Any:
    olm = SimpleNamespace(
        inbound_group_store=Sessions(sessions or {}),
        device_store=Devices(*devices),
        account=SimpleNamespace(identity_keys={"curve25519": "own-curve", "ed25519": "own-ed"}),
    )
    return SimpleNamespace(olm=olm, user_id="@bot:ch.example", device_id="BOTDEVICE")


def _decrypted(sender_key: str = "curve-1", session_id: str = "s1", sender: str = OFFICER) -> Any:
    return SimpleNamespace(
        decrypted=True, sender_key=sender_key, session_id=session_id, sender=sender
    )


POLICY = Listed(OFFICER, "LISTED", "ed-1")
LISTED = _device("LISTED", "curve-1", "ed-1")
STOLEN = _device("STOLEN", "curve-2", "ed-2")
SESSIONS = {(ROOM, "curve-1", "s1"): "ed-1", (ROOM, "curve-2", "s2"): "ed-2"}


def test_the_listed_device_is_named_and_trusted() -> None:
    found = sender_device(_nio(LISTED, STOLEN, sessions=SESSIONS), POLICY, ROOM, _decrypted())
    assert (found.device_id, found.ed25519, found.trusted, found.reason) == (
        "LISTED",
        "ed-1",
        True,
        "",
    )


def test_a_device_the_policy_excludes_is_named_and_untrusted() -> None:
    nio = _nio(LISTED, STOLEN, sessions=SESSIONS)
    found = sender_device(nio, POLICY, ROOM, _decrypted("curve-2", "s2"))
    assert (found.device_id, found.trusted, found.reason) == ("STOLEN", False, NOT_TRUSTED)


def test_a_session_that_claims_another_devices_signing_key_is_untrusted() -> None:
    # The stolen device's Olm channel delivered a session claiming the listed key.
    nio = _nio(LISTED, STOLEN, sessions={(ROOM, "curve-2", "s2"): "ed-1"})
    found = sender_device(nio, POLICY, ROOM, _decrypted("curve-2", "s2"))
    assert (found.device_id, found.trusted, found.reason) == ("STOLEN", False, KEYS_MISMATCH)


def test_an_unknown_device_or_session_is_untrusted() -> None:
    nio = _nio(LISTED, sessions=SESSIONS)
    assert sender_device(nio, POLICY, ROOM, _decrypted("curve-2", "s2")).reason == UNKNOWN_DEVICE
    no_session = sender_device(_nio(LISTED), POLICY, ROOM, _decrypted())
    assert (no_session.trusted, no_session.reason) == (False, UNKNOWN_DEVICE)


def test_an_unencrypted_event_is_untrusted() -> None:
    plain = SimpleNamespace(decrypted=False, sender=OFFICER)
    found = sender_device(_nio(LISTED, sessions=SESSIONS), POLICY, ROOM, plain)
    assert (found.device_id, found.trusted, found.reason) == (None, False, NOT_ENCRYPTED)


def test_this_devices_own_event_is_trusted() -> None:
    nio = _nio(sessions={(ROOM, "own-curve", "s0"): "own-ed"})
    own = _decrypted("own-curve", "s0", sender="@bot:ch.example")
    found = sender_device(nio, POLICY, ROOM, own)
    assert (found.device_id, found.trusted) == ("BOTDEVICE", True)
