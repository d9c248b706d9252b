"""The figures of an authority's consultations (pure: folded consultations in, counts out).

Everything is read from the state :mod:`coopnet.consultation` folds (stage history,
deadlines, refusal grounds, assurances, documents and their certification); nothing here
decides what a step counts for. The figures name no case, person or free text: they are
counts keyed by the protocol's vocabulary, the counterpart States and deadline rule ids.

Definitions (the README repeats them):

- a consultation counts in a period when it was opened in it (the day of its opening
  event, UTC); its state is the state at the end of the period;
- time in a stage: days from entering it (the date of the transition into it; the opening
  day for the first stage) to the date of the transition out of it; only stays that ended
  count, and not a first stage left on a date before the opening (a back-dated step).
  Median: the middle value (the mean of the two middle ones); 90th percentile: the
  nearest rank (the smallest value with at least 90 % of the values at or below it);
- a deadline is met when its stage ended on or before its due date, missed when it ended
  after it (late) or is overdue, extended when an extension moved its due date (whatever
  happened after); pending and cancelled ones are counted apart;
- refusals by ground: transitions to ``refused`` and grants or executions refused in part,
  one count per ground named;
- an assurance is breached when it was ever marked breached; kept when fulfilled, or
  monitored and never breached; not given when declined, found insufficient or withdrawn;
  open otherwise;
- documents exchanged: every accepted document (each version and translation), sent by
  the authority or received; certified: those a receiving bot's valid receipt certifies.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from coopnet.consultation import Consultation, DocumentState, Roster
from coopnet.protocol import StageTransition
from coopnet.protocol.vocab import AssuranceStatus, DeadlineStatus, Stage

OUTCOMES = ("kept", "breached", "not_given", "open")
DEADLINE_OUTCOMES = ("met", "missed", "extended", "pending", "cancelled")
NOT_GIVEN = frozenset(
    {AssuranceStatus.DECLINED, AssuranceStatus.INSUFFICIENT, AssuranceStatus.WITHDRAWN}
)


@dataclass(frozen=True)
class Period:
    """Consultations opened from ``start`` to ``end`` (both days included; None: open)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def holds(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Figures:
    """What ``coopnet stats`` reports. Counts are plain dicts keyed by vocabulary values."""

    authority: str
    period: Period
    as_of: dt.date
    consultations: int
    by_kind: dict[str, int]
    by_counterpart: dict[str, int]  # counterpart State -> consultations
    by_kind_and_counterpart: dict[tuple[str, str], int]
    by_side: dict[str, int]  # "requesting" / "requested": the authority's own side
    stage_days: dict[str, tuple[int, ...]]  # stage -> days of each ended stay, sorted
    deadlines: dict[str, dict[str, int]]  # rule id -> outcome -> count
    refusals: int
    refusals_by_ground: dict[str, int]
    partial_refusals_by_ground: dict[str, int]
    assurances: dict[str, dict[str, int]]  # assurance type -> outcome -> count
    documents: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> counts

    def deadline_totals(self) -> dict[str, int]:
        totals = dict.fromkeys(DEADLINE_OUTCOMES, 0)
        for outcomes in self.deadlines.values():
            for name, n in outcomes.items():
                totals[name] += n
        return totals

    def document_totals(self) -> dict[str, int]:
        totals = {"sent": 0, "received": 0, "certified": 0}
        for counts in self.documents.values():
            for name, n in counts.items():
                totals[name] += n
        return totals


def median(values: Iterable[int]) -> float | None:
    found = list(values)
    return float(statistics.median(found)) if found else None


def percentile(values: Iterable[int], share: float) -> int | None:
    """Nearest-rank percentile (``share`` in (0, 1]) of the values; None for none."""
    found = sorted(values)
    if not found:
        return None
    rank = max(1, math.ceil(share * len(found)))
    return found[rank - 1]


def _stays(consultation: Consultation, as_of: dt.date, opened_on: dt.date) -> list[tuple[str, int]]:
    status = consultation.status(as_of)
    if status is None:
        return []
    history = status.stages.history
    stays = []
    for before, after in zip(history, history[1:], strict=False):
        entered = before.date or opened_on
        # A first step dated before the opening (back-dated) leaves no stay to measure.
        if after.date is not None and after.date >= entered:
            stays.append((before.stage.value, (after.date - entered).days))
    return stays


def _deadline_outcomes(consultation: Consultation, as_of: dt.date) -> Iterable[tuple[str, str]]:
    status = consultation.status(as_of)
    for deadline in status.deadlines if status else ():
        rule = deadline.rule.id
        if deadline.extended:
            yield rule, "extended"
        if deadline.status is DeadlineStatus.MET:
            yield rule, "missed" if deadline.late else "met"
        elif deadline.status is DeadlineStatus.OVERDUE:
            yield rule, "missed"
        else:
            yield rule, deadline.status.value


def _assurance_outcome(history: Iterable[AssuranceStatus], latest: AssuranceStatus) -> str:
    seen = set(history)
    if AssuranceStatus.BREACHED in seen:
        return "breached"
    if AssuranceStatus.FULFILLED in seen or AssuranceStatus.MONITORED in seen:
        return "kept"
    if latest in NOT_GIVEN:
        return "not_given"
    return "open"


def _nested(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (outer, inner), n in sorted(counter.items()):
        out.setdefault(outer, {})[inner] = n
    return out


def compute(
    consultations: Mapping[str, Consultation],
    roster: Roster,
    authority: str,
    period: Period | None = None,
    as_of: dt.date | None = None,
) -> Figures:
    """The figures of ``authority`` over the consultations of its record opened in
    ``period``, each as it stood on ``as_of`` (default: the period's end, else today)."""
    period = period or Period()
    as_of = as_of or period.end or dt.datetime.now(dt.UTC).date()
    kinds: Counter[str] = Counter()
    counterparts: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    sides: Counter[str] = Counter()
    stage_days: dict[str, list[int]] = {}
    deadlines: Counter[tuple[str, str]] = Counter()
    refusals = 0
    grounds: Counter[str] = Counter()
    partial: Counter[str] = Counter()
    assurances: Counter[tuple[str, str]] = Counter()
    documents: Counter[tuple[str, str]] = Counter()
    counted = 0
    for consultation in consultations.values():
        opened, opened_id = consultation.opened, consultation.opened_id
        message = consultation.message(opened_id) if opened_id else None
        if opened is None or message is None or not period.holds(message.day):
            continue
        if authority == opened.requesting_authority:
            side, other = "requesting", opened.requested_authority
        elif authority == opened.requested_authority:
            side, other = "requested", opened.requesting_authority
        else:
            continue  # not a consultation of this authority
        counted += 1
        party = roster.party(other)
        state = party.state if party is not None else other
        kinds[opened.kind.value] += 1
        counterparts[state] += 1
        pairs[(opened.kind.value, state)] += 1
        sides[side] += 1
        for stage, days in _stays(consultation, as_of, message.day):
            stage_days.setdefault(stage, []).append(days)
        deadlines.update(_deadline_outcomes(consultation, as_of))
        for step in consultation.accepted():
            event = step.event
            if not isinstance(event, StageTransition):
                continue
            if event.to_stage is Stage.REFUSED:
                refusals += 1
                grounds.update(g.value for g in event.grounds)
            elif event.partial:
                partial.update(g.value for g in event.grounds)
        for record in consultation.assurances().values():
            latest = record.latest
            outcome = _assurance_outcome(record.history, latest.assurance_status)
            assurances[(latest.assurance_type.value, outcome)] += 1
        for held in consultation.documents():
            kind = held.document.document_kind.value
            documents[(kind, "sent" if held.authority == authority else "received")] += 1
            if held.state is DocumentState.CERTIFIED:
                documents[(kind, "certified")] += 1
    return Figures(
        authority=authority,
        period=period,
        as_of=as_of,
        consultations=counted,
        by_kind=dict(sorted(kinds.items())),
        by_counterpart=dict(sorted(counterparts.items())),
        by_kind_and_counterpart=dict(sorted(pairs.items())),
        by_side=dict(sorted(sides.items())),
        stage_days={s: tuple(sorted(d)) for s, d in sorted(stage_days.items())},
        deadlines=_nested(deadlines),
        refusals=refusals,
        refusals_by_ground=dict(sorted(grounds.items())),
        partial_refusals_by_ground=dict(sorted(partial.items())),
        assurances=_nested(assurances),
        documents=_nested(documents),
    )
