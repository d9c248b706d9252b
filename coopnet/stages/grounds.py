"""Legal rules an officer must see when choosing a refusal ground (pure data).

UNTOC art. 16(15) (extradition) and art. 18(22) (mutual legal assistance) forbid refusing
a request on the sole ground that the offence is also considered to involve fiscal
matters. ``fiscal_offence`` stays in the vocabulary (treaties outside UNTOC's scope may
allow it, and a refusal may cite it beside other grounds), but choosing it shows the rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from coopnet.protocol.vocab import RefusalGround

GROUND_WARNINGS: dict[RefusalGround, str] = {
    RefusalGround.FISCAL_OFFENCE: "warning.fiscal_offence",  # UNTOC art. 16(15), 18(22)
}
"""Refusal ground → label key of the rule to show when it is chosen."""


def ground_warnings(grounds: Iterable[RefusalGround | str]) -> tuple[str, ...]:
    """The label keys of the rules the chosen grounds call for, in vocabulary order."""
    chosen = {RefusalGround(g) for g in grounds if g in RefusalGround._value2member_map_}
    return tuple(key for ground, key in GROUND_WARNINGS.items() if ground in chosen)
