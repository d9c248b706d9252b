"""Enrolling officers and bots in the signed network directory (trust model).

The directory is signed by the steward. When the steward's directory is at hand
(``--steward-dir``: the steward runs the command, or steward and admin are one office),
``register-officer`` / ``deactivate-officer`` enrol or remove the account themselves and
install the new version in the authority's directory. Otherwise they say exactly which
command the steward must run. A device key is listed once the officer has logged in and
the key is known (``coopnet directory add-device|enrol --steward-dir``).
"""

from __future__ import annotations

from pathlib import Path

from coopnet.admin.publish import Installed, publish_to
from coopnet.admin.steward import Steward
from coopnet.trust import directory as d


def enrol(
    steward: Steward,
    authority_dir: Path,
    authority_id: str,
    user_id: str,
    name: str,
    role: str,
    master_key: str | None = None,
) -> tuple[d.Directory, Installed]:
    """List ``user_id`` as an officer (or the bot) of ``authority_id``, with its
    cross-signing master key when known; install the result.

    An account already listed in that role is left as it is (the version does not change).
    """

    def change(current: d.Directory) -> d.Directory:
        found = current.member(user_id)
        if found is not None and found[0].id == authority_id:
            return current
        member = d.Member(user_id, name, master_key=master_key)
        return d.with_member(current, authority_id, member, role)

    signed = steward.edit(change)
    return signed, publish_to(steward, authority_dir)


def remove(
    steward: Steward, authority_dir: Path, user_id: str
) -> tuple[d.Directory, Installed, int]:
    """Remove ``user_id`` and every device listed for it; install the result.

    Returns the directory, the installation and how many devices were delisted.
    """
    found = steward.signed().member(user_id)
    devices = len(found[1].devices) if found else 0

    def change(current: d.Directory) -> d.Directory:
        return d.without_member(current, user_id) if current.member(user_id) else current

    signed = steward.edit(change)
    return signed, publish_to(steward, authority_dir), devices


def enrolment_note(user_id: str, role: str, authority_id: str = "ID") -> str:
    flag = " --bot" if role == "bot" else ""
    return (
        f"directory enrolment: not done (no --steward-dir). The steward lists the new {role} "
        f"with 'coopnet directory add-officer {authority_id} {user_id}{flag} --steward-dir "
        "STEWARD' and, once the officer has logged in, the device key with 'coopnet "
        "directory add-device ... --steward-dir STEWARD'; then 'coopnet admin "
        "publish-directory' installs it here. Until then other authorities' clients "
        "exclude this account's devices."
    )


def removal_note(user_id: str) -> str:
    return (
        f"directory: not changed (no --steward-dir). The steward removes {user_id} and its "
        f"devices with 'coopnet directory remove-officer {user_id} --steward-dir STEWARD' "
        "and publishes the new version ('coopnet admin publish-directory'), so that other "
        "authorities stop sharing room keys with it."
    )
