"""The demo network's practice-library entries: real decisions with illustrative one-line
summaries (not legal advice), checked with the library rules when loaded."""

from __future__ import annotations

from typing import Any

from coopnet.errors import BadFileError
from coopnet.protocol import CaseLawReference, ParseError, parse_entry

DEMO_ENTRIES: tuple[dict[str, Any], ...] = (
    {
        "citation": "Othman (Abu Qatada) v. the United Kingdom, no. 8139/09",
        "court": "European Court of Human Rights",
        "jurisdiction": "ECtHR",
        "date": "2012-01-17",
        "topics": ["torture", "fair_trial", "monitoring"],
        "assurance_types": ["no_torture", "fair_trial"],
        "summary": (
            "Criteria for the quality and weight of diplomatic assurances against "
            "ill-treatment, including whether compliance can be objectively "
            "verified (monitoring); deportation barred by a flagrant denial of "
            "justice (evidence obtained by torture). Illustrative summary."
        ),
        "url": "https://hudoc.echr.coe.int/eng?i=001-108629",
    },
    {
        "citation": "Soering v. the United Kingdom, no. 14038/88",
        "court": "European Court of Human Rights",
        "jurisdiction": "ECtHR",
        "date": "1989-07-07",
        "topics": ["death_penalty", "detention_conditions"],
        "assurance_types": ["death_penalty"],
        "summary": (
            "Extradition to face a capital charge would expose the person to the "
            "death-row phenomenon, inhuman treatment: the requested State answers "
            "for the foreseeable consequences of surrender. Illustrative summary."
        ),
        "url": "https://hudoc.echr.coe.int/eng?i=001-57619",
    },
    {
        "citation": "Agiza v. Sweden, CAT/C/34/D/233/2003",
        "court": "UN Committee against Torture",
        "jurisdiction": "UN CAT",
        "date": "2005-05-20",
        "topics": ["torture", "monitoring"],
        "assurance_types": ["no_torture", "consular_access"],
        "summary": (
            "Diplomatic assurances without a mechanism for their enforcement did "
            "not protect against the manifest risk of torture after expulsion. "
            "Illustrative summary."
        ),
        "url": "https://juris.ohchr.org/",
    },
)


def demo_library() -> list[CaseLawReference]:
    """The shipped entries; :class:`BadFileError` naming the entry and field if broken."""
    entries = []
    for index, fields in enumerate(DEMO_ENTRIES):
        parsed = parse_entry(fields)
        if isinstance(parsed, ParseError):
            raise BadFileError(__name__, f"DEMO_ENTRIES[{index}]: {parsed}")
        entries.append(parsed)
    return entries
