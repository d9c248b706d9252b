"""Deadline rules from the requested State's own law, as its legal-requirements profile
states it (pure).

UNTOC art. 16(7) makes extradition subject to the conditions of the requested State's
domestic law or applicable treaties, and art. 16(9) leaves custody to them; the UN Model
Treaty's 40 days (art. 9(4), a figure in brackets) is only a default. So when the
requested State has answered its requirements in the consultation, its provisional-arrest
and surrender time limits become rules of the consultation, ranked below a treaty named as
the legal basis and above the basis defaults (:meth:`Rulebook.rules_for`).
"""

from __future__ import annotations

from typing import Any

from coopnet.protocol.requirements import RequirementsFields
from coopnet.protocol.vocab import Kind, Side, Stage
from coopnet.stages.rulebook import DeadlineRule, Ruleset

S = Stage
REQUEST_RECEIVED_AT = frozenset(
    {
        # The requested State has the request (ECE art. 16(4): "received"): it records
        # receipt, or takes a step that only a received request allows.
        S.FORMAL_REQUEST_RECEIVED,
        S.SUPPLEMENTARY_INFO_REQUESTED,
        S.JUDICIAL_PHASE,
        S.EXECUTIVE_DECISION,
        S.REFUSED,
    }
)
PROVISIONAL_ARREST_ENDS_AT = frozenset(
    # Released (ECE art. 16(4)-(5)), extradited with consent (no request needed), or over.
    {S.PROVISIONALLY_RELEASED, S.GRANTED, S.CLOSED, S.WITHDRAWN}
)
TAKEN_OVER_AT = frozenset({S.IN_TRANSIT, S.SURRENDERED})
SURRENDER_ENDS_AT = frozenset(
    {
        S.SURRENDER_POSTPONED,
        S.TEMPORARY_SURRENDER,
        S.RELEASED_NOT_TAKEN_OVER,
        S.CLOSED,
        S.WITHDRAWN,
    }
)


def _certainty(answer: RequirementsFields) -> str:
    # A State's answer about its own law is cited from that answer; a demo profile is not.
    return "illustrative" if answer.illustrative is not False else "cited"


def _source(answer: RequirementsFields, state: str, citation: str | None) -> str:
    where = citation or "provision not stated"
    mark = " (illustrative profile)" if answer.illustrative is not False else ""
    return (
        f"Law of the requested State ({state}) as its requirements answer states it: {where}{mark}"
    )


def _rule(
    answer: RequirementsFields, state: str, rule_id: str, citation: str | None, **rest: Any
) -> DeadlineRule:
    source = _source(answer, state, citation)
    return DeadlineRule(
        rule_id, f"profile-{state}", "stage", source, _certainty(answer), Side.REQUESTING, **rest
    )


def profile_ruleset(answer: RequirementsFields, state: str) -> Ruleset | None:
    """The extradition time limits a requested State's answer gives, or None if it gives none."""
    rules: list[DeadlineRule] = []
    days = answer.provisional_arrest_days
    if days is not None:
        longest = answer.provisional_arrest_max_days
        rules.append(
            _rule(
                answer,
                state,
                "formal_request_after_provisional_arrest",
                answer.provisional_arrest_citation,
                start_stage=S.PROVISIONAL_ARREST_EXECUTED,
                met_at=REQUEST_RECEIVED_AT,
                cancelled_at=PROVISIONAL_ARREST_ENDS_AT,
                days=days,
                extendable_to_days=longest if longest is not None and longest > days else None,
            )
        )
    if answer.surrender_days is not None:
        rules.append(
            _rule(
                answer,
                state,
                "surrender_after_appointed_date",
                answer.surrender_citation,
                start_stage=S.SURRENDER_SCHEDULED,
                start_from_due_date=True,
                met_at=TAKEN_OVER_AT,
                cancelled_at=SURRENDER_ENDS_AT,
                days=answer.surrender_days,
                purpose="surrender",
            )
        )
    if not rules:
        return None
    title = f"Law of the requested State ({state}), from its requirements answer"
    return Ruleset(f"profile-{state}", title, Kind.EXTRADITION, (), (), False, tuple(rules))
