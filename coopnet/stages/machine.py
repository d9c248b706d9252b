"""Derive a consultation's current stage and history from its stage-transition events.

The stage is never stored in room state (state events are not encrypted): the bot and
the client replay the timeline's :class:`~coopnet.protocol.events.StageTransition`
events through :func:`derive`. Each refused transition comes back with a reason code
(label ``reason.<code>`` in six languages) and an English explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from coopnet.protocol.envelope import REVISION
from coopnet.protocol.events import StageTransition
from coopnet.protocol.vocab import Kind, Side, Stage
from coopnet.stages.model import MACHINES, NEEDS_DUE_DATE, NEEDS_GROUNDS, Machine

# Reason codes of refused transitions.
FROM_MISMATCH = "from_mismatch"
NOT_IN_MACHINE = "not_in_machine"
FINAL_STAGE = "final_stage"
NOT_ALLOWED = "not_allowed"
WRONG_SIDE = "wrong_side"
UNKNOWN_SIDE = "unknown_side"
DATE_BEFORE_PREVIOUS = "date_before_previous"
GROUNDS_REQUIRED = "grounds_required"  # UNTOC art. 18(23), ECE art. 18(2)
REASONS_REQUIRED = "reasons_required"  # UNTOC art. 18(23), ECE art. 18(2)
DUE_DATE_REQUIRED = "due_date_required"  # ECE art. 18(4): the appointed date
FORMAL_REQUEST_REQUIRED = "formal_request_required"  # Third Additional Protocol, art. 6

REASONS = (
    FROM_MISMATCH,
    NOT_IN_MACHINE,
    FINAL_STAGE,
    NOT_ALLOWED,
    WRONG_SIDE,
    UNKNOWN_SIDE,
    DATE_BEFORE_PREVIOUS,
    GROUNDS_REQUIRED,
    REASONS_REQUIRED,
    DUE_DATE_REQUIRED,
    FORMAL_REQUEST_REQUIRED,
)


@dataclass(frozen=True)
class StageInput:
    """One transition event as seen in the timeline, with the side of its sender.

    ``side`` comes from the Matrix sender (see :func:`side_of`), never from the content;
    ``revision`` is the rules revision it was sent under (the payload's ``revision``).
    """

    transition: StageTransition
    side: Side | None
    event_id: str | None = None
    revision: int = REVISION


@dataclass(frozen=True)
class HistoryEntry:
    stage: Stage
    date: dt.date | None  # None for the initial stage
    side: Side | None = None
    event_id: str | None = None
    note: str | None = None
    due_date: dt.date | None = None


@dataclass(frozen=True)
class StageRefusal:
    """Why a transition was not applied."""

    code: str
    message: str
    event_id: str | None = None


@dataclass(frozen=True)
class StageState:
    kind: Kind
    current: Stage
    history: tuple[HistoryEntry, ...]
    refused: tuple[StageRefusal, ...]

    @property
    def is_final(self) -> bool:
        return self.current in MACHINES[self.kind].terminal


def side_of(authority: str, requesting: str, requested: str) -> Side | None:
    """Which side an authority is on in a consultation (None if neither)."""
    if authority == requesting:
        return Side.REQUESTING
    if authority == requested:
        return Side.REQUESTED
    return None


def check(
    machine: Machine,
    current: Stage,
    transition: StageTransition,
    side: Side | None,
    last_date: dt.date | None = None,
    *,
    revision: int = REVISION,
    visited: frozenset[Stage] = frozenset(),
) -> tuple[str, str] | None:
    """None if the transition may be applied at ``current``, else (reason code, message).

    ``visited`` are the stages the consultation has been at; ``revision`` the rules the
    step was sent under (revision 1 steps are judged as they were when sent)."""
    source, target = transition.from_stage, transition.to_stage
    if target not in machine.stages or source not in machine.stages:
        bad = target if target not in machine.stages else source
        return NOT_IN_MACHINE, f"stage {bad!s} does not exist in a {machine.kind!s} consultation"
    if source != current:
        return FROM_MISMATCH, (
            f"the transition starts from {source!s} but the consultation is at {current!s}"
        )
    if current in machine.terminal:
        return FINAL_STAGE, f"{current!s} is a final stage; no transition leaves it"
    found = machine.find(source, target, revision)
    if found is None:
        allowed = ", ".join(str(s) for s in machine.next_stages(source)) or "none"
        return NOT_ALLOWED, f"{source!s} cannot go to {target!s}; allowed next: {allowed}"
    if side is None:
        return UNKNOWN_SIDE, "the sender is on neither side of this consultation"
    if side not in found.sides:
        only = " or ".join(sorted(str(s) for s in found.sides))
        return WRONG_SIDE, f"only the {only} side may move {source!s} to {target!s}"
    if last_date is not None and transition.date < last_date:
        return DATE_BEFORE_PREVIOUS, (
            f"date {transition.date.isoformat()} is before the previous stage's date "
            f"{last_date.isoformat()}"
        )
    if revision >= 2:
        return _missing(found.needs, found.after_any, transition, visited)
    return None


def _missing(
    needs: frozenset[str],
    after_any: frozenset[Stage],
    transition: StageTransition,
    visited: frozenset[Stage],
) -> tuple[str, str] | None:
    """What a revision-2 step lacks, or None."""
    target = transition.to_stage
    if after_any and not (after_any & visited):
        wanted = " or ".join(sorted(str(s) for s in after_any))
        return FORMAL_REQUEST_REQUIRED, (
            f"{target!s} follows only {wanted}: when consent is not given or is withdrawn "
            "the requesting State submits the formal request (Third Additional Protocol to "
            "the ECE, art. 6(1)-(2))"
        )
    if NEEDS_DUE_DATE in needs and transition.due_date is None:
        return DUE_DATE_REQUIRED, (
            f"{target!s} needs the appointed date of surrender as due_date: the time limit "
            "for taking over the person runs from it (ECE art. 18(4))"
        )
    if NEEDS_GROUNDS in needs or transition.partial:
        what = "a refusal in part" if transition.partial else "a refusal"
        if not transition.grounds:
            return GROUNDS_REQUIRED, (
                f"{what} names its grounds (grounds, from the refusal-ground vocabulary; "
                "UNTOC art. 18(23), ECE art. 18(2))"
            )
        if not (transition.reasons or "").strip():
            return REASONS_REQUIRED, (
                f"{what} gives its reasons (reasons; UNTOC art. 18(23), ECE art. 18(2))"
            )
    return None


class StageFold:
    """A consultation's stage, built one transition at a time (in the consultation's
    order). :func:`derive` and :mod:`coopnet.consultation` both fold through it, so the
    rule that refuses a transition is written once."""

    def __init__(self, kind: Kind) -> None:
        self.machine = MACHINES[kind]
        self.history: list[HistoryEntry] = [HistoryEntry(self.machine.initial, None)]
        self.refused: list[StageRefusal] = []
        self._state: StageState | None = None

    @property
    def current(self) -> HistoryEntry:
        return self.history[-1]

    def judge(self, item: StageInput) -> tuple[str, str] | None:
        """Why ``item`` would be refused now (reason code, message), or None."""
        current = self.current
        # The date rule: not before the date of the stage the consultation is at.
        return check(
            self.machine,
            current.stage,
            item.transition,
            item.side,
            current.date,
            revision=item.revision,
            visited=frozenset(h.stage for h in self.history),
        )

    def add(self, item: StageInput) -> StageRefusal | None:
        """Apply ``item`` if it may be applied; the refusal otherwise (also kept)."""
        problem = self.judge(item)
        self._state = None
        if problem is not None:
            refusal = StageRefusal(problem[0], problem[1], item.event_id)
            self.refused.append(refusal)
            return refusal
        t = item.transition
        self.history.append(
            HistoryEntry(t.to_stage, t.date, item.side, item.event_id, t.note, t.due_date)
        )
        return None

    def state(self) -> StageState:
        if self._state is None:
            self._state = StageState(
                self.machine.kind, self.current.stage, tuple(self.history), tuple(self.refused)
            )
        return self._state


def derive(kind: Kind, inputs: Iterable[StageInput]) -> StageState:
    """Replay transitions in timeline order; refused ones leave the stage unchanged."""
    fold = StageFold(kind)
    for item in inputs:
        fold.add(item)
    return fold.state()
