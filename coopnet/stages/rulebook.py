"""Deadline rules loaded from a data file (``deadline_rules.json`` by default).

The file is local configuration, so a malformed file raises :class:`RulebookError`
(a :class:`~coopnet.errors.CoopNetError`) with the offending path, instead of being
half-used. Rulesets are chosen by the consultation's legal basis: its ``instrument`` id
first, then the basis type; rulesets marked ``always`` apply to every consultation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from coopnet.errors import CoopNetError
from coopnet.protocol.records import LegalBasis
from coopnet.protocol.vocab import Kind, LegalBasisType, Side, Stage

TRIGGERS = ("stage", "postponement", "transition_due_date")
CERTAINTIES = ("cited", "to_verify", "illustrative")


class RulebookError(CoopNetError):
    """The deadline rules file is malformed."""


@dataclass(frozen=True)
class DeadlineRule:
    id: str
    ruleset: str
    trigger: str
    source: str
    certainty: str
    responsible: Side | None = None
    start_stage: Stage | None = None
    start_from_due_date: bool = False
    met_at: frozenset[Stage] = frozenset()
    cancelled_at: frozenset[Stage] = frozenset()
    days: int | None = None
    extendable_to_days: int | None = None


@dataclass(frozen=True)
class Ruleset:
    id: str
    title: str
    kind: Kind | None
    instruments: tuple[str, ...]
    basis_types: tuple[LegalBasisType, ...]
    always: bool
    rules: tuple[DeadlineRule, ...]


@dataclass(frozen=True)
class Rulebook:
    rulesets: tuple[Ruleset, ...]
    reminder_offsets_days: tuple[int, ...]

    def select(self, kind: Kind, basis: LegalBasis | None) -> tuple[Ruleset, ...]:
        """The rulesets for a consultation: ``always`` ones plus the best legal-basis match."""
        chosen = [rs for rs in self.rulesets if rs.always]
        candidates = [rs for rs in self.rulesets if not rs.always and rs.kind in (None, kind)]
        match = None
        if basis is not None and basis.instrument:
            match = next((rs for rs in candidates if basis.instrument in rs.instruments), None)
        if match is None and basis is not None:
            match = next((rs for rs in candidates if basis.basis in rs.basis_types), None)
        if match is not None:
            chosen.append(match)
        return tuple(chosen)

    def rules_for(self, kind: Kind, basis: LegalBasis | None) -> tuple[DeadlineRule, ...]:
        return tuple(rule for rs in self.select(kind, basis) for rule in rs.rules)


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise RulebookError(f"{where}.{key}: missing")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise RulebookError(f"{where}.{key}: wrong type {type(value).__name__}")
    return value


def _enum(enum: type, value: Any, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise RulebookError(f"{where}: unknown value {value!r}") from None


def _rule(data: Any, ruleset: str, where: str) -> DeadlineRule:
    if not isinstance(data, dict):
        raise RulebookError(f"{where}: expected an object")
    trigger = _get(data, "trigger", str, where)
    if trigger not in TRIGGERS:
        raise RulebookError(f"{where}.trigger: one of {', '.join(TRIGGERS)}")
    certainty = _get(data, "certainty", str, where)
    if certainty not in CERTAINTIES:
        raise RulebookError(f"{where}.certainty: one of {', '.join(CERTAINTIES)}")
    responsible = data.get("responsible")
    rule = DeadlineRule(
        id=_get(data, "id", str, where),
        ruleset=ruleset,
        trigger=trigger,
        source=_get(data, "source", str, where),
        certainty=certainty,
        responsible=None if responsible is None else _enum(Side, responsible, where),
    )
    if trigger != "stage":
        return rule
    days = _get(data, "days", int, where)
    limit = data.get("extendable_to_days")
    if limit is not None and (not isinstance(limit, int) or limit < days):
        raise RulebookError(f"{where}.extendable_to_days: an integer >= days, or null")
    return replace(
        rule,
        start_stage=_enum(Stage, _get(data, "start_stage", str, where), where),
        start_from_due_date=bool(data.get("start_from_due_date", False)),
        met_at=frozenset(_enum(Stage, s, where) for s in _get(data, "met_at", list, where)),
        cancelled_at=frozenset(_enum(Stage, s, where) for s in data.get("cancelled_at", [])),
        days=days,
        extendable_to_days=limit,
    )


def parse_rulebook(data: Any) -> Rulebook:
    if not isinstance(data, dict) or data.get("format") != 1:
        raise RulebookError('rulebook: expected an object with "format": 1')
    offsets = _get(data, "reminder_offsets_days", list, "rulebook")
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
        raise RulebookError("rulebook.reminder_offsets_days: integers")
    rulesets = []
    for i, rs in enumerate(_get(data, "rulesets", list, "rulebook")):
        where = f"rulesets[{i}]"
        if not isinstance(rs, dict):
            raise RulebookError(f"{where}: expected an object")
        rs_id = _get(rs, "id", str, where)
        kind = rs.get("kind")
        rules = tuple(
            _rule(r, rs_id, f"{where}.rules[{j}]")
            for j, r in enumerate(_get(rs, "rules", list, where))
        )
        rulesets.append(
            Ruleset(
                id=rs_id,
                title=_get(rs, "title", str, where),
                kind=None if kind is None else _enum(Kind, kind, f"{where}.kind"),
                instruments=tuple(rs.get("instruments", [])),
                basis_types=tuple(
                    _enum(LegalBasisType, b, f"{where}.basis_types")
                    for b in rs.get("basis_types", [])
                ),
                always=bool(rs.get("always", False)),
                rules=rules,
            )
        )
    return Rulebook(tuple(rulesets), tuple(sorted(offsets)))


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load the rules file at ``path``, or the packaged ``deadline_rules.json``."""
    try:
        if path is None:
            text = resources.files(__package__).joinpath("deadline_rules.json").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise RulebookError(f"cannot read deadline rules: {exc}") from exc
    return parse_rulebook(data)
