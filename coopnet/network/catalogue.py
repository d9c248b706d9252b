"""Authorities the local network knows by short id.

The demo network is Switzerland, China and Mexico. Names are illustrative: a real
network takes them from the signed directory that its steward publishes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownAuthority:
    id: str
    state: str
    name: str
    language: str  # one of the six UN languages, the officers' default


KNOWN_AUTHORITIES: dict[str, KnownAuthority] = {
    a.id: a
    for a in (
        KnownAuthority("ch", "Switzerland", "Federal Office of Justice (illustrative)", "fr"),
        KnownAuthority("cn", "China", "Ministry of Justice (illustrative)", "zh"),
        KnownAuthority("mx", "Mexico", "Fiscalía General de la República (illustrative)", "es"),
        KnownAuthority("fr", "France", "Ministry of Justice (illustrative)", "fr"),
        KnownAuthority(
            "ru", "Russian Federation", "Prosecutor General's Office (illustrative)", "ru"
        ),
        KnownAuthority("eg", "Egypt", "Ministry of Justice (illustrative)", "ar"),
        KnownAuthority("gb", "United Kingdom", "Home Office (illustrative)", "en"),
    )
}

DEFAULT_AUTHORITIES = ("ch", "cn", "mx")


def describe(authority_id: str) -> KnownAuthority:
    """The catalogue entry for an id, or a neutral placeholder for an id it does not know."""
    known = KNOWN_AUTHORITIES.get(authority_id)
    if known is not None:
        return known
    return KnownAuthority(
        authority_id, authority_id.upper(), f"Central authority {authority_id.upper()}", "en"
    )
