"""The device policy and experts' temporary access (issue 18 part 2): an expert's device
is trusted only while a grant is in force, only the device or master key the grant names,
and only when a listed officer of the expert's own homeserver granted it (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from coopnet.matrix.devices import Decision, DeviceInfo, DirectoryDevices
from coopnet.trust.grants import ExpertGrant
from tests.unit.test_trust_directory import device_key, sample

EXPERT = "@interpreter:127.0.0.11"
UNTIL = dt.date(2026, 12, 20)


class Grants:
    """A grant source as the programs fill it from their folded consultations."""

    def __init__(self, *grants: ExpertGrant) -> None:
        self.grants = list(grants)

    def grants_of(self, user_id: str) -> Sequence[ExpertGrant]:
        return [g for g in self.grants if g.expert == user_id]


def test_an_expert_is_trusted_only_through_a_grant_naming_its_device() -> None:
    key, master = device_key(), device_key()
    laptop = DeviceInfo(EXPERT, "INTERP1", key, "")
    grants = Grants()
    policy = DirectoryDevices(sample(), grants=grants)
    assert policy.decide(laptop) is Decision.EXCLUDE  # no grant: an unlisted user
    assert "not in the directory" in policy.reason(laptop)
    grants.grants.append(ExpertGrant(EXPERT, "@o1:127.0.0.11", UNTIL, {"INTERP1": key}))
    assert policy.decide(laptop) is Decision.TRUST
    # Another device of the expert, or the same id with another key: not named.
    assert policy.decide(replace(laptop, device_id="OTHER")) is Decision.EXCLUDE
    assert policy.decide(replace(laptop, ed25519=device_key())) is Decision.EXCLUDE
    assert "names" in policy.reason(replace(laptop, device_id="OTHER"))
    # A master key named: a device its self-signing key signed is trusted, another not.
    grants.grants[0] = ExpertGrant(EXPERT, "@o1:127.0.0.11", UNTIL, {}, master)
    signed = DeviceInfo(EXPERT, "PHONE", device_key(), "", master_key=master)
    assert policy.decide(signed) is Decision.TRUST
    assert policy.decide(replace(signed, master_key=device_key())) is Decision.EXCLUDE
    assert policy.decide(replace(signed, master_key=None)) is Decision.EXCLUDE
    # The grant ends (the source no longer gives it): excluded again.
    grants.grants.clear()
    assert policy.decide(signed) is Decision.EXCLUDE


def test_a_grant_counts_only_from_a_listed_officer_of_the_experts_server() -> None:
    key = device_key()
    laptop = DeviceInfo(EXPERT, "INTERP1", key, "")
    for granter, why in (
        ("@o1:127.0.0.12", "another homeserver"),  # an officer of China
        ("@bot:127.0.0.11", "not a listed officer"),  # the bot is no officer
        ("@stranger:127.0.0.11", "not a listed officer"),
        (EXPERT, "not a listed officer"),  # an expert vouching for itself
    ):
        policy = DirectoryDevices(
            sample(), grants=Grants(ExpertGrant(EXPERT, granter, UNTIL, {"INTERP1": key}))
        )
        assert policy.decide(laptop) is Decision.EXCLUDE, granter
        assert why in policy.reason(laptop), (granter, policy.reason(laptop))


def test_a_grant_never_changes_what_the_directory_says_of_listed_users() -> None:
    directory = sample()
    _, member = directory.member("@o1:127.0.0.12")  # type: ignore[misc]
    impostor = DeviceInfo("@o1:127.0.0.12", "NEW", device_key(), "")
    grant = ExpertGrant("@o1:127.0.0.12", "@o1:127.0.0.12", UNTIL, {"NEW": impostor.ed25519})
    policy = DirectoryDevices(directory, grants=Grants(grant))
    assert member.devices and policy.decide(impostor) is Decision.EXCLUDE
