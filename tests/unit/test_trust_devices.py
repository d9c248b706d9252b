"""The directory device policy, remembered verifications and enrolment requests (pure)."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import public_key_raw
from coopnet.matrix.devices import Decision, DeviceInfo, DirectoryDevices
from coopnet.records.canonical import canonical_bytes
from coopnet.trust import (
    Device,
    DirectoryRefusal,
    DirectoryRefused,
    VerificationRecord,
    VerificationStore,
)
from coopnet.trust import directory as d
from coopnet.trust.verifications import (
    check_enrolment_request,
    enrolment_payload,
    enrolment_request,
)
from tests.unit.test_trust_directory import device_key, sample


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def listed(directory, user_id: str) -> DeviceInfo:
    _, member = directory.member(user_id)
    device = member.devices[0]
    return DeviceInfo(user_id, device.device_id, device.ed25519, "")


def test_policy_trusts_listed_devices_and_excludes_the_rest():
    directory = sample()
    policy = DirectoryDevices(directory)
    good = listed(directory, "@o1:127.0.0.11")
    assert policy.decide(good) is Decision.TRUST
    assert policy.decide(listed(directory, "@bot:127.0.0.12")) is Decision.TRUST
    # Same device id, another key (a replaced or impersonated device).
    assert policy.decide(replace(good, ed25519=device_key())) is Decision.EXCLUDE
    # A new device of a listed officer: the attacker who knows the password.
    assert policy.decide(replace(good, device_id="ATTACKER")) is Decision.EXCLUDE
    # Any device of a user the directory does not list.
    assert policy.decide(DeviceInfo("@x:127.0.0.99", "D", device_key(), "")) is Decision.EXCLUDE


def test_policy_follows_a_new_directory():
    directory = sample()
    policy = DirectoryDevices(directory)
    device = listed(directory, "@o1:127.0.0.12")
    policy.update(d.without_authority(directory, "cn"))
    assert policy.decide(device) is Decision.EXCLUDE


def test_remembered_sas_verification_is_trusted_only_for_listed_users(tmp_path: Path):
    directory = sample()
    store = VerificationStore(tmp_path / "verifications.json")
    policy = DirectoryDevices(directory, store)
    new_laptop = DeviceInfo("@o2:127.0.0.12", "LAPTOP", device_key(), "")
    stranger = DeviceInfo("@x:127.0.0.99", "D", device_key(), "")
    assert policy.decide(new_laptop) is Decision.EXCLUDE
    for info in (new_laptop, stranger):
        store.remember(
            VerificationRecord(
                info.user_id,
                info.device_id,
                info.ed25519,
                "@o1:127.0.0.11",
                "DEV1",
                "2026-01-01T00:00:00+00:00",
            )
        )
    assert policy.decide(new_laptop) is Decision.TRUST
    assert policy.decide(stranger) is Decision.EXCLUDE
    # A different key under the verified device id is not the verified device.
    assert policy.decide(replace(new_laptop, ed25519=device_key())) is Decision.EXCLUDE
    # Persisted, private, and read back by another store on the same file.
    assert os.stat(store.path).st_mode & 0o077 == 0
    again = VerificationStore(store.path)
    assert again.get("@o2:127.0.0.12", "LAPTOP").ed25519 == new_laptop.ed25519


def _request(directory, verifier_key: Ed25519PrivateKey, **changes):
    record = VerificationRecord(
        "@o2:127.0.0.12",
        "LAPTOP",
        device_key(),
        "@o1:127.0.0.11",
        "DEV1",
        "2026-01-01T00:00:00+00:00",
    )
    record = replace(record, **changes)
    signature = b64(verifier_key.sign(canonical_bytes(enrolment_payload(record))))
    return record, enrolment_request(record, signature)


def test_enrolment_request_signed_by_a_listed_device_is_accepted():
    verifier = Ed25519PrivateKey.generate()
    directory = sample()
    _, member = directory.member("@o1:127.0.0.11")
    directory = d.without_device(directory, "@o1:127.0.0.11", "DEV1")
    directory = d.with_device(
        directory, "@o1:127.0.0.11", Device("DEV1", b64(public_key_raw(verifier)))
    )
    record, request = _request(directory, verifier)
    assert check_enrolment_request(request, directory) == record
    # Altered after signing, signed by an unlisted device, unsigned, or for a stranger.
    altered = {**request, "verification": {**request["verification"], "device_id": "OTHER"}}
    assert _reason(altered, directory) is DirectoryRefusal.BAD_SIGNATURE
    _, foreign = _request(directory, verifier, verifier_device="ELSEWHERE")
    assert _reason(foreign, directory) is DirectoryRefusal.WRONG_KEY
    assert _reason({**request, "signature": ""}, directory) is DirectoryRefusal.UNSIGNED
    _, stranger = _request(directory, verifier, user_id="@x:127.0.0.99")
    assert _reason(stranger, directory) is DirectoryRefusal.MALFORMED
    assert _reason({"type": "nope"}, directory) is DirectoryRefusal.MALFORMED


def _reason(request, directory) -> DirectoryRefusal:
    with pytest.raises(DirectoryRefused) as info:
        check_enrolment_request(request, directory)
    return info.value.reason


def test_trust_package_imports_neither_nio_nor_textual():
    import subprocess
    import sys

    code = (
        "import sys, coopnet.trust, coopnet.trust.verifications;"
        "bad = [m for m in ('nio', 'textual') if m in sys.modules];"
        "print(*bad, file=sys.stderr); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
