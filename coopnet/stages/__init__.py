"""Extradition and mutual-legal-assistance stage machines and deadline rules (no I/O).

- :mod:`coopnet.stages.model` – the two machines: stages, transitions, who may trigger each;
- :mod:`coopnet.stages.machine` – derive the current stage and history from events;
- :mod:`coopnet.stages.rulebook` – deadline rules by legal basis, from ``deadline_rules.json``;
- :mod:`coopnet.stages.grounds` – rules to show when a refusal ground is chosen;
- :mod:`coopnet.stages.profile_rules` – the requested State's own time limits, from its answer;
- :mod:`coopnet.stages.deadlines` – due dates, overdue status and reminders;
- :mod:`coopnet.stages.working_days` – working days in a State's calendar (its holidays);
- :mod:`coopnet.stages.tracker` – all of it from a consultation's timeline in one call.
"""

from __future__ import annotations

from coopnet.stages.deadlines import (
    Deadline,
    Reminder,
    compute,
    reminders_between,
    step_deadline,
)
from coopnet.stages.grounds import GROUND_WARNINGS, ground_warnings
from coopnet.stages.machine import (
    REASONS as STAGE_REASONS,
)
from coopnet.stages.machine import (
    HistoryEntry,
    StageFold,
    StageInput,
    StageRefusal,
    StageState,
    check,
    derive,
    side_of,
)
from coopnet.stages.model import EXTRADITION, MACHINES, MLA, Machine, Transition
from coopnet.stages.profile_rules import profile_ruleset
from coopnet.stages.rulebook import DeadlineRule, Rulebook, RulebookError, load_rulebook
from coopnet.stages.tracker import (
    ConsultationStatus,
    TimelineItem,
    answers_for,
    status_of,
    track,
)
from coopnet.stages.working_days import WorkingCalendar, calendar_for, country_code

__all__ = [
    "EXTRADITION",
    "MACHINES",
    "MLA",
    "STAGE_REASONS",
    "Deadline",
    "DeadlineRule",
    "HistoryEntry",
    "Machine",
    "StageFold",
    "StageRefusal",
    "Reminder",
    "Rulebook",
    "RulebookError",
    "StageInput",
    "StageState",
    "Transition",
    "check",
    "compute",
    "derive",
    "load_rulebook",
    "answers_for",
    "GROUND_WARNINGS",
    "ground_warnings",
    "profile_ruleset",
    "reminders_between",
    "step_deadline",
    "WorkingCalendar",
    "calendar_for",
    "country_code",
    "side_of",
    "ConsultationStatus",
    "TimelineItem",
    "status_of",
    "track",
]
