"""Validating the names an admin types: server names, host names, authority ids."""

from __future__ import annotations

import ipaddress
import re

from coopnet.errors import AdminError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ID = re.compile(r"^[a-z][a-z0-9]{0,15}$")
_LOCALPART = re.compile(r"^[a-z0-9._=/-]{1,64}$")


def validate_authority_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise AdminError(
            f"authority id {value!r} must be 1-16 lower-case letters/digits starting with a "
            "letter, e.g. ch"
        )
    return value


def is_ip_literal(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def validate_dns_name(value: str, what: str = "server name") -> str:
    """A fully qualified DNS host name, lower-cased (``matrix.justice.example``)."""
    name = value.strip().lower().rstrip(".")
    if ":" in name:
        raise AdminError(
            f"{what} {value!r} must not carry a port: federation reaches port 8448 (or the "
            "port published in .well-known/matrix/server), and a port in the server name "
            "becomes part of every user id for ever"
        )
    if is_ip_literal(name):
        raise AdminError(
            f"{what} {value!r} is an IP address; a production homeserver needs a DNS name "
            "(IP literals are only for a lab on one machine: --lab)"
        )
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise AdminError(
            f"{what} {value!r} is not a valid DNS name: use letters, digits and hyphens in "
            "dot-separated labels, e.g. matrix.justice.example"
        )
    if labels[-1].isdigit():
        raise AdminError(f"{what} {value!r}: the last label of a DNS name cannot be numeric")
    return name


def validate_server_name(value: str, lab: bool = False) -> str:
    """A production server name; ``lab`` also accepts an IP literal (one-machine tests)."""
    if lab and is_ip_literal(value.strip()):
        return value.strip()
    return validate_dns_name(value)


def validate_localpart(value: str) -> str:
    name = value.strip()
    if name.startswith("@"):
        name = name[1:].split(":", 1)[0]
    if not _LOCALPART.fullmatch(name):
        raise AdminError(
            f"user name {value!r} must be 1-64 characters among lower-case letters, digits "
            "and . _ = / - (e.g. officer.garcia)"
        )
    return name
