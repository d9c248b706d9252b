"""Internal accounts of an authority: its domestic agencies (prosecutor, police, foreign
affairs, court liaison) for coordination rooms.

They are accounts of the authority's own homeserver with the role ``internal`` in
``network.json``: registered and enrolled like officers (a device, its key, cross-signing,
a key backup), trusted by their own authority's devices through that configuration, and
never listed in the signed directory (:func:`coopnet.network.trust.directory_entry` lists
officers and the bot only), so no other authority ever learns of them.
"""

from __future__ import annotations

import re
import secrets

from coopnet.errors import NetworkError
from coopnet.network.lifecycle import Report, enroll_devices, register_account
from coopnet.network.model import AGENCIES, INTERNAL, Account, Network

LOCALPART = re.compile(r"^[a-z0-9._=-]{1,64}$")


async def add_internal_account(
    network: Network,
    authority_id: str,
    agency: str,
    localpart: str | None = None,
    display_name: str | None = None,
    report: Report = lambda _m: None,
) -> Account:
    """Register (or find) the account of ``agency`` on ``authority_id``'s homeserver,
    enrol its device and save ``network.json``. Bad input names the argument."""
    if agency not in AGENCIES:
        raise NetworkError(f"agency: {agency!r} is not one of {', '.join(AGENCIES)}")
    authority = network.authority(authority_id)
    localpart = localpart or agency.replace("_", "-")
    if not LOCALPART.match(localpart):
        raise NetworkError(
            f"localpart: {localpart!r} must be 1-64 of a-z, 0-9 and . _ = - (a Matrix localpart)"
        )
    user_id = f"@{localpart}:{authority.server_name}"
    existing = next((a for a in authority.accounts if a.user_id == user_id), None)
    if existing is not None and not existing.is_internal:
        raise NetworkError(f"localpart: {user_id} is already the {existing.role} account")
    account = existing or Account(
        user_id=user_id,
        localpart=localpart,
        password=secrets.token_urlsafe(18),
        role=INTERNAL,
        display_name=display_name or f"{authority.state} {agency.replace('_', ' ')}",
        store_dir=str(authority.path / "clients" / localpart),
        agency=agency,
    )
    if existing is None:
        authority.accounts.append(account)
    await register_account(authority, account)
    await enroll_devices(network, report)
    network.save()
    report(f"{authority.id}: internal account {user_id} ({agency}) ready, not in the directory")
    return account
