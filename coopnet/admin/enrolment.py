"""Enrolling officers and bots in the signed network directory (trust model).

The directory is signed by the steward; an authority's admin cannot sign it. Until
``coopnet admin`` drives :mod:`coopnet.trust` (see deploy/README.md, "Joining the
network"), enrolment is a documented no-op: the command says what the steward must add.
"""

from __future__ import annotations


def enrolment_note(user_id: str, role: str) -> str:
    return (
        f"directory enrolment: not done by this command. Send the steward the new {role} "
        f"{user_id}; the steward adds it to the signed network directory, and the device "
        "key once the officer has logged in (the officer's client shows it). Until then "
        "other authorities' clients exclude this account's devices."
    )


def removal_note(user_id: str) -> str:
    return (
        f"directory: ask the steward to remove {user_id} (and its devices) from the signed "
        "network directory, so that other authorities stop sharing room keys with it."
    )
