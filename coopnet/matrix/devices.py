"""Deciding each device before room keys are shared.

nio refuses to send into an encrypted room while any member device is undecided
(``OlmUnverifiedDeviceError``). CoopNet never ignores that: a :class:`DevicePolicy`
decides every device to be trusted (gets room keys) or excluded (blacklisted, gets
none and is reported). :class:`DirectoryDevices` is the trust model's policy;
:class:`EnrolledDevices` the interim one, from ``network.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from coopnet.ids import server_of
from coopnet.trust.directory import Directory
from coopnet.trust.grants import ExpertGrant, GrantSource, NoGrants
from coopnet.trust.store import load_verified
from coopnet.trust.verifications import VerificationStore, trusted_by_verification


class Decision(Enum):
    TRUST = "trust"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class DeviceInfo:
    user_id: str
    device_id: str
    ed25519: str
    display_name: str
    master_key: str | None = None
    """The user's master key whose self-signing key signed exactly this device key (the
    chain checked by :mod:`coopnet.trust.cross_signing`); None when none did."""
    cross_signing_problem: str = ""
    """Why the user's published cross-signing keys do not vouch for this device (empty
    when they do, or when the user publishes none)."""


class DevicePolicy(Protocol):
    def decide(self, device: DeviceInfo) -> Decision: ...


def exclusion_reason(policy: DevicePolicy, device: DeviceInfo) -> str:
    """Why ``policy`` excludes ``device``, as far as the policy says (empty: trusted)."""
    if policy.decide(device) is Decision.TRUST:
        return ""
    reason = getattr(policy, "reason", None)
    return (reason(device) if callable(reason) else "") or "not trusted by the device policy"


def listed_master_key(policy: DevicePolicy, user_id: str) -> str | None:
    """The master key the policy's directory lists for ``user_id`` (None: no directory,
    or it lists none)."""
    listed = getattr(policy, "master_key_of", None)
    return listed(user_id) if callable(listed) else None


@dataclass(frozen=True)
class EnrolledDevices:
    """Trust exactly the devices enrolled for the network: same user, device id and key.

    ``enrolled`` maps user id -> device id -> Ed25519 fingerprint key. A device whose key
    differs from the enrolled one (a replaced or impersonated device) is excluded.
    """

    enrolled: Mapping[str, Mapping[str, str]]

    def decide(self, device: DeviceInfo) -> Decision:
        expected = self.enrolled.get(device.user_id, {}).get(device.device_id)
        if expected is not None and expected == device.ed25519:
            return Decision.TRUST
        return Decision.EXCLUDE


class DirectoryDevices:
    """The trust model's device policy: trust what the verified directory lists, else exclude.

    A device is trusted when the signed directory lists it for that user with that exact
    Ed25519 key; or when the directory lists the user's master key and that master key's
    self-signing key signed the device (cross-signing: an officer's new device is trusted
    once the officer signed it); or when this device's officer verified it interactively
    (SAS) and the user is a member listed in the directory; or, for the accounts of the
    authority's own domestic agencies (``local``: user id -> device id -> key, from the
    authority's configuration; never in the directory, never federated), exactly the
    enrolled device with its key; or, for an expert given temporary access to a
    consultation (``grants``: the grants in force, filled from the folded consultations),
    exactly a device or master key that a grant names, while the grant is in force and
    only when a directory-listed officer of the expert's own homeserver granted it (a
    master key as for officers: its self-signing key signed the device). Everything
    else — an unlisted device, a listed device id with another key, a device signed by
    another master key than the listed one, any device of a user the directory does not
    list — is excluded (blacklisted, no room keys); :meth:`reason` says why.
    ``directory`` may be swapped for a newer verified one with :meth:`update`.
    """

    ACCEPTED_FILE = "accepted-directory.json"
    VERIFICATIONS_FILE = "verifications.json"

    def __init__(
        self,
        directory: Directory,
        verifications: VerificationStore | None = None,
        source: tuple[Path, str, Path] | None = None,
        local: Mapping[str, Mapping[str, str]] | None = None,
        grants: GrantSource | None = None,
    ) -> None:
        self.directory = directory
        self.verifications = verifications
        self._source = source  # (signed file, steward key, accepted-version file)
        self.local: Mapping[str, Mapping[str, str]] = local or {}
        self.grants: GrantSource = grants or NoGrants()
        """Experts' grants in force; a program that follows consultations sets it."""

    @classmethod
    def load(
        cls,
        directory_file: str | Path,
        steward_key: str,
        store_dir: Path,
        local: Mapping[str, Mapping[str, str]] | None = None,
    ) -> DirectoryDevices:
        """The policy of one device: the signed directory, verified against the pinned
        steward key and this device's own accepted version (no rollback), and the
        verifications this device's officer made (both files in ``store_dir``).
        """
        source = (Path(directory_file), steward_key, store_dir / cls.ACCEPTED_FILE)
        directory = load_verified(*source)
        verifications = VerificationStore(store_dir / cls.VERIFICATIONS_FILE)
        return cls(directory, verifications, source, local)

    def reload(self) -> Directory:
        """Re-read the signed directory (a newer version is accepted, an older one refused)."""
        if self._source is not None:
            self.directory = load_verified(*self._source)
        return self.directory

    def update(self, directory: Directory) -> None:
        self.directory = directory

    def decide(self, device: DeviceInfo) -> Decision:
        return Decision.TRUST if not self.reason(device) else Decision.EXCLUDE

    def master_key_of(self, user_id: str) -> str | None:
        found = self.directory.member(user_id)
        return found[1].master_key if found is not None else None

    def reason(self, device: DeviceInfo) -> str:
        """Why the device is excluded; empty when it is trusted."""
        enrolled = self.local.get(device.user_id)
        if enrolled is not None:
            if enrolled.get(device.device_id) == device.ed25519:
                return ""
            return "not the device its authority enrolled for this internal account"
        found = self.directory.member(device.user_id)
        if found is None:
            granted = self._granted(device)
            return granted if granted is not None else f"{device.user_id} is not in the directory"
        listed = self.directory.device_key(device.user_id, device.device_id)
        if listed is not None:
            return "" if listed == device.ed25519 else "its key is not the one the directory lists"
        master = found[1].master_key
        if master is not None and device.master_key == master:
            return ""
        if self.verifications is not None:
            self.verifications.reload()
            record = self.verifications.get(device.user_id, device.device_id)
            if trusted_by_verification(record, device.ed25519):
                return ""
        if master is None:
            return "the directory does not list it"
        if device.master_key is not None:
            return f"signed by the master key {device.master_key}, not by the directory's {master}"
        return f"not signed by its owner ({device.cross_signing_problem or 'no cross-signing'})"

    def _granted(self, device: DeviceInfo) -> str | None:
        """Why an expert's device is excluded despite its grants ("" when a grant in force
        vouches for it); None when no grant names the user at all."""
        grants = self.grants.grants_of(device.user_id)
        if not grants:
            return None
        why = "not a device or master key its access grant names"
        for grant in grants:
            problem = self._granter_problem(grant)
            if problem:
                why = problem
                continue
            if grant.devices.get(device.device_id) == device.ed25519:
                return ""
            if grant.master_key is not None and device.master_key == grant.master_key:
                return ""
        return why

    def _granter_problem(self, grant: ExpertGrant) -> str:
        """The grant must come from an officer the directory lists on the expert's own
        homeserver (the consultation core checked it too: this policy trusts no one's word
        but the directory's)."""
        found = self.directory.member(grant.granted_by)
        if found is None or found[1] not in found[0].officers:
            return f"its access was granted by {grant.granted_by}, not a listed officer"
        if ":" not in grant.expert or found[0].server_name != server_of(grant.expert):
            return f"its access was granted by {grant.granted_by}, of another homeserver"
        return ""
