"""Deadline rules loaded from a data file (``deadline_rules.json`` by default).

The file is local configuration, so a malformed file raises :class:`RulebookError`
(a :class:`~coopnet.errors.BadFileError`) naming the file and the field path, instead of
being half-used.

Which rules a consultation gets (:meth:`Rulebook.rules_for`), the most specific winning for
each ``purpose`` (a rule's purpose is its id unless it says otherwise):

1. the ruleset of the treaty named as the legal basis (its ``instrument`` id);
2. the requested State's own law, from the profile it answered in the consultation
   (:mod:`coopnet.stages.profile_rules`): UNTOC art. 16(7) leaves the conditions of
   extradition to the requested State's law and treaties, art. 16(9) custody likewise;
3. the default ruleset for the kind of legal basis (used only when no treaty matched).

Rulesets marked ``always`` apply to every consultation. Each selected rule says where it
came from (:attr:`DeadlineRule.origin`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from coopnet.datafile import (
    Boolean,
    Choice,
    FileRecord,
    Integer,
    ListOf,
    Nested,
    Nullable,
    Text,
    describe,
    read_json,
    spec,
)
from coopnet.errors import BadFileError
from coopnet.protocol.records import LegalBasis
from coopnet.protocol.validation import MISSING, OUT_OF_RANGE, ParseError, Problem, join
from coopnet.protocol.vocab import Kind, LegalBasisType, RuleOrigin, Side, Stage

TRIGGERS = ("stage", "postponement", "transition_due_date")
CERTAINTIES = ("cited", "to_verify", "illustrative")


class RulebookError(BadFileError):
    """The deadline rules file is missing or malformed (the CLI exits 2)."""


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
    purpose: str = ""  # what the rule is about; the most specific rule per purpose wins
    origin: RuleOrigin | None = None  # where it came from, set when selected
    due_date_met_at: tuple[tuple[Stage, frozenset[Stage]], ...] = ()
    """trigger 'transition_due_date': a due date set entering the first stage is met when
    the consultation reaches one of the others (else: when it leaves that stage)."""

    @property
    def aim(self) -> str:
        return self.purpose or self.id


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
        return tuple(rs for rs, _ in self._select(kind, basis))

    def _select(self, kind: Kind, basis: LegalBasis | None) -> list[tuple[Ruleset, RuleOrigin]]:
        chosen = [(rs, RuleOrigin.COMMON) for rs in self.rulesets if rs.always]
        candidates = [rs for rs in self.rulesets if not rs.always and rs.kind in (None, kind)]
        if basis is not None and basis.instrument:
            match = next((rs for rs in candidates if basis.instrument in rs.instruments), None)
            if match is not None:
                return [*chosen, (match, origin_of(match))]
        if basis is not None:
            match = next((rs for rs in candidates if basis.basis in rs.basis_types), None)
            if match is not None:
                chosen.append((match, RuleOrigin.BASIS_DEFAULT))
        return chosen

    def rules_for(
        self,
        kind: Kind,
        basis: LegalBasis | None,
        requested_state: Ruleset | None = None,
    ) -> tuple[DeadlineRule, ...]:
        """The rules of a consultation, each with its :attr:`~DeadlineRule.origin`: for each
        purpose the treaty's rule, else the requested State's (``requested_state``, from
        :func:`coopnet.stages.profile_rules.profile_ruleset`), else the basis default."""
        layers: dict[RuleOrigin, list[DeadlineRule]] = {o: [] for o in RuleOrigin}
        for rs, origin in self._select(kind, basis):
            layers[origin] += [replace(r, origin=origin) for r in rs.rules]
        if requested_state is not None and requested_state.kind in (None, kind):
            layers[RuleOrigin.REQUESTED_STATE] = [
                replace(r, origin=RuleOrigin.REQUESTED_STATE) for r in requested_state.rules
            ]
        out = list(layers[RuleOrigin.COMMON])
        taken: set[str] = set()
        for origin in (RuleOrigin.INSTRUMENT, RuleOrigin.REQUESTED_STATE, RuleOrigin.BASIS_DEFAULT):
            fresh = [r for r in layers[origin] if r.aim not in taken]
            taken |= {r.aim for r in fresh}
            out += fresh
        return tuple(out)


def origin_of(ruleset: Ruleset) -> RuleOrigin:
    """A ruleset keyed by treaty only states that treaty's rules; one that also serves a
    kind of legal basis (e.g. UNTOC, which fixes no period) is a default."""
    if ruleset.always:
        return RuleOrigin.COMMON
    if ruleset.instruments and not ruleset.basis_types:
        return RuleOrigin.INSTRUMENT
    return RuleOrigin.BASIS_DEFAULT


_SOURCE = Text(2000)
_DAYS = Nullable(Integer(0, 3650))


@dataclass(frozen=True)
class DueDateEntry(FileRecord):
    """For a rule triggered by a transition's due date: where a due date set entering
    ``set_at`` is met (e.g. a date for execution set with the request, UNTOC art. 18(24),
    is met at execution, not at acknowledgement)."""

    set_at: Stage = spec(Choice(Stage))
    met_at: tuple[Stage, ...] = spec(ListOf(Choice(Stage), 100))


@dataclass(frozen=True)
class RuleEntry(FileRecord):
    """One rule as the file writes it."""

    id: str = spec(Text(64))
    trigger: str = spec(Text(choices=TRIGGERS))
    source: str = spec(_SOURCE)
    certainty: str = spec(Text(choices=CERTAINTIES))
    responsible: Side | None = spec(Nullable(Choice(Side)), default=None)
    start_stage: Stage | None = spec(Nullable(Choice(Stage)), default=None)
    start_from_due_date: bool = spec(Boolean(), default=False)
    met_at: tuple[Stage, ...] = spec(ListOf(Choice(Stage), 100), default=())
    cancelled_at: tuple[Stage, ...] = spec(ListOf(Choice(Stage), 100), default=())
    days: int | None = spec(_DAYS, default=None)
    extendable_to_days: int | None = spec(_DAYS, default=None)
    purpose: str | None = spec(Nullable(Text(64)), default=None)
    due_date_met_at: tuple[DueDateEntry, ...] = spec(ListOf(Nested(DueDateEntry), 100), default=())

    def check(self, path: str) -> list[Problem]:
        if self.trigger != "stage":
            return []
        found = [
            Problem(join(path, name), MISSING, "required for a rule triggered by a stage")
            for name in ("days", "start_stage", "met_at")
            if not getattr(self, name) and not (name == "days" and self.days == 0)
        ]
        limit = self.extendable_to_days
        if limit is not None and self.days is not None and limit < self.days:
            detail = f"{limit} is less than days ({self.days})"
            found.append(Problem(join(path, "extendable_to_days"), OUT_OF_RANGE, detail))
        return found

    def rule(self, ruleset: str) -> DeadlineRule:
        base = DeadlineRule(
            self.id,
            ruleset,
            self.trigger,
            self.source,
            self.certainty,
            self.responsible,
            purpose=self.purpose or "",
        )
        if self.trigger == "transition_due_date":
            return replace(
                base,
                cancelled_at=frozenset(self.cancelled_at),
                due_date_met_at=tuple(
                    (e.set_at, frozenset(e.met_at)) for e in self.due_date_met_at
                ),
            )
        if self.trigger != "stage":
            return base
        return replace(
            base,
            start_stage=self.start_stage,
            start_from_due_date=self.start_from_due_date,
            met_at=frozenset(self.met_at),
            cancelled_at=frozenset(self.cancelled_at),
            days=self.days,
            extendable_to_days=self.extendable_to_days,
        )


@dataclass(frozen=True)
class RulesetEntry(FileRecord):
    id: str = spec(Text(64))
    title: str = spec(Text(500))
    rules: tuple[RuleEntry, ...] = spec(ListOf(Nested(RuleEntry), 1000))
    kind: Kind | None = spec(Nullable(Choice(Kind)), default=None)
    instruments: tuple[str, ...] = spec(ListOf(Text(128), 1000), default=())
    basis_types: tuple[LegalBasisType, ...] = spec(ListOf(Choice(LegalBasisType), 100), default=())
    always: bool = spec(Boolean(), default=False)

    def ruleset(self) -> Ruleset:
        return Ruleset(
            self.id,
            self.title,
            self.kind,
            self.instruments,
            self.basis_types,
            self.always,
            tuple(r.rule(self.id) for r in self.rules),
        )


@dataclass(frozen=True)
class RulebookFile(FileRecord):
    reminder_offsets_days: tuple[int, ...] = spec(ListOf(Integer(-3650, 3650), 100))
    rulesets: tuple[RulesetEntry, ...] = spec(ListOf(Nested(RulesetEntry), 1000))
    format: int = spec(Integer(1, 1), default=1, required=True)

    def rulebook(self) -> Rulebook:
        return Rulebook(
            tuple(rs.ruleset() for rs in self.rulesets), tuple(sorted(self.reminder_offsets_days))
        )


def parse_rulebook(data: Any, where: str = "rulebook") -> Rulebook:
    """The rulebook of decoded JSON; a wrong field is a :class:`RulebookError` naming it."""
    parsed = RulebookFile.from_dict(data)
    if isinstance(parsed, ParseError):
        raise RulebookError(where, describe(parsed))
    return parsed.rulebook()


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load the rules file at ``path``, or the packaged ``deadline_rules.json``."""
    if path is None:
        text = resources.files(__package__).joinpath("deadline_rules.json").read_text("utf-8")
        return parse_rulebook(json.loads(text), "the packaged deadline_rules.json")
    try:
        data = read_json(Path(path), "the deadline rules file")
    except BadFileError as exc:
        raise RulebookError(exc.file, exc.detail) from None
    return parse_rulebook(data, str(path))
