"""Draft requests the tests share: Mexico asks Switzerland (the issue's scenario)."""

from __future__ import annotations

import copy
from typing import Any

SWISS_LANGUAGE_DOCUMENTS = ("arrest_warrant", "statement_of_facts", "legal_provisions")


def draft_content(
    *,
    translated: bool = True,
    penalty_months: int = 180,
    replaces: str | None = None,
    kinds: tuple[str, ...] = SWISS_LANGUAGE_DOCUMENTS,
) -> dict[str, Any]:
    """A Mexican draft that meets the (illustrative) Swiss profile; ``translated=False``
    drops its French translations, a small ``penalty_months`` goes under the threshold."""
    content: dict[str, Any] = {
        "legal_basis": {"basis": "untoc", "citation": "UNTOC art. 16"},
        "offences": [
            {
                "description": "Lavado de dinero",
                "legal_provisions": ["Código Penal Federal, art. 400 Bis"],
                "dual_criminality": "Code pénal suisse, art. 305bis (blanchiment d'argent)",
                "political": False,
            }
        ],
        "penalty_months": penalty_months,
        "penalty_kind": "maximum_penalty",
        "facts_summary": "Entre 2023 y 2025 la persona blanqueó fondos de una red de tráfico.",
        "person_sought": "Rivera Soto, Ana",
        "nationalities": ["MX"],
        "death_penalty_possible": False,
        "documents": [
            {
                "document_kind": kind,
                "language": "es",
                "certification": "certified_copy",
                **({"translations": ["fr"]} if translated else {}),
            }
            for kind in kinds
        ],
    }
    if replaces is not None:
        content["replaces"] = replaces
    return copy.deepcopy(content)


EXPECTED_MISSING = ["translation", "penalty_threshold"]
"""What a draft with ``translated=False, penalty_months=6`` misses under the Swiss profile."""
