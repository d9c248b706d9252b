"""Which reminders and overdue warnings the bot posts (``due_notices``), pure: each once,
and after the bot was offline only the latest reminder that fell due, or the overdue
warning once the date has passed.

The consultation: provisional arrest executed on 2026-03-02 under the European Convention
on Extradition, so the formal request is due 18 days later, on 2026-03-20, with reminders
7 and 2 days before and on the day.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bots.consultation.reminders import Notice, due_notices
from coopnet.protocol.events import ConsultationOpened, DeadlineExtension, StageTransition
from coopnet.protocol.vocab import Stage
from coopnet.stages import ConsultationStatus, TimelineItem, track

RULE = "formal_request_after_provisional_arrest"
RULE_EN = "Formal request after provisional arrest"
DUE = dt.date(2026, 3, 20)
BASE = f"{RULE}:2026-03-02:2026-03-20"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


OPENED = ConsultationOpened.from_dict(
    {
        "case_ref": "CH-MX-2026-0007",
        "kind": "extradition",
        "requesting_authority": "ch",
        "requested_authority": "mx",
        "legal_basis": {"basis": "multilateral_treaty", "instrument": "ece-1957"},
    }
)


def step(a: Stage, b: Stage, when: str, authority: str) -> TimelineItem:
    return TimelineItem(
        StageTransition(from_stage=a, to_stage=b, date=day(when)), authority, day(when)
    )


ARREST = [
    step(Stage.PRE_REQUEST_CONSULTATION, Stage.PROVISIONAL_ARREST_REQUESTED, "2026-03-01", "ch"),
    step(Stage.PROVISIONAL_ARREST_REQUESTED, Stage.PROVISIONAL_ARREST_EXECUTED, "2026-03-02", "mx"),
]


def status(today: dt.date, extra: list[TimelineItem] | None = None) -> ConsultationStatus:
    assert isinstance(OPENED, ConsultationOpened)
    return track(OPENED, [*ARREST, *(extra or [])], today=today)


def notices(
    today: str, sent: set[str] | None = None, extra: list[TimelineItem] | None = None
) -> list[Notice]:
    """The notices of the formal-request deadline the bot would post on ``today``."""
    on = day(today)
    found = due_notices(status(on, extra), sent or set(), on, "en")
    return [n for n in found if n.key.startswith(f"{RULE}:")]


def test_nothing_before_the_first_reminder() -> None:
    assert notices("2026-03-02") == []
    assert notices("2026-03-12") == []


def test_the_reminder_seven_days_before_names_the_rule_date_and_days_left() -> None:
    [reminder] = notices("2026-03-13")
    assert reminder.key == f"{BASE}:2026-03-13"
    assert RULE_EN in reminder.text and "2026-03-20" in reminder.text
    assert "7 days" in reminder.text


def test_each_reminder_is_posted_once() -> None:
    [first] = notices("2026-03-13")
    assert notices("2026-03-13", {first.key}) == []
    assert notices("2026-03-17", {first.key}) == []  # no new reminder date in between
    [second] = notices("2026-03-18", {first.key})
    assert second.key == f"{BASE}:2026-03-18" and "2 days" in second.text


def test_after_an_offline_bot_only_the_latest_missed_reminder_is_posted() -> None:
    # Offline from before the 13th until the 19th: the reminders of the 13th and the 18th
    # fell due meanwhile; one notice, the latest, counting the days from today.
    [catch_up] = notices("2026-03-19")
    assert catch_up.key == f"{BASE}:2026-03-18"
    assert "1 day" in catch_up.text
    # The older missed reminder is not posted afterwards either.
    assert notices("2026-03-19", {catch_up.key}) == []


def test_due_today_is_a_reminder_not_a_warning() -> None:
    [today] = notices("2026-03-20")
    assert today.key == f"{BASE}:2026-03-20" and "0 days" in today.text


def test_offline_past_the_due_date_posts_one_overdue_warning() -> None:
    # Offline from before the first reminder until after the due date.
    [warning] = notices("2026-03-25")
    assert warning.key == f"{BASE}:overdue"
    assert RULE_EN in warning.text and "2026-03-20" in warning.text
    assert "Reminder" not in warning.text
    assert notices("2026-03-25", {warning.key}) == []
    assert notices("2026-04-30", {warning.key}) == []  # once, however long it stays overdue


def test_the_day_after_the_due_date_warns_even_when_every_reminder_was_posted() -> None:
    sent = {f"{BASE}:2026-03-13", f"{BASE}:2026-03-18", f"{BASE}:2026-03-20"}
    [warning] = notices("2026-03-21", sent)
    assert warning.key == f"{BASE}:overdue"


def received(when: str) -> list[TimelineItem]:
    """The request sent and received (ECE art. 16(4): the clock stops at receipt)."""
    return [
        step(Stage.PROVISIONAL_ARREST_EXECUTED, Stage.FORMAL_REQUEST_TRANSMITTED, when, "ch"),
        step(Stage.FORMAL_REQUEST_TRANSMITTED, Stage.FORMAL_REQUEST_RECEIVED, when, "mx"),
    ]


def test_a_deadline_met_in_time_or_late_posts_nothing() -> None:
    assert notices("2026-03-18", extra=received("2026-03-15")) == []
    assert notices("2026-03-25", extra=received("2026-03-23")) == []


def test_ece_16_4_a_request_sent_but_not_received_still_reminds() -> None:
    sent = step(
        Stage.PROVISIONAL_ARREST_EXECUTED, Stage.FORMAL_REQUEST_TRANSMITTED, "2026-03-15", "ch"
    )
    [today] = notices("2026-03-20", extra=[sent])
    assert today.key == f"{BASE}:2026-03-20"


def test_an_extended_deadline_reminds_again_for_its_new_date() -> None:
    extension = TimelineItem(
        DeadlineExtension(rule=RULE, extended_until=day("2026-04-01")), "mx", day("2026-03-19")
    )
    sent = {f"{BASE}:2026-03-18"}
    # Extended on the 19th to 1 April: the old reminder does not count for the new date,
    # and nothing is due before 25 March (7 days before).
    assert notices("2026-03-21", sent, extra=[extension]) == []
    [reminder] = notices("2026-03-25", sent, extra=[extension])
    assert reminder.key == f"{RULE}:2026-03-02:2026-04-01:2026-03-25"
    assert "2026-04-01" in reminder.text


@pytest.mark.parametrize("lang", ["ar", "zh", "en", "fr", "ru", "es"])
def test_notices_in_each_language_carry_the_date(lang: str) -> None:
    for today in ("2026-03-13", "2026-03-25"):
        on = day(today)
        [notice] = [
            n for n in due_notices(status(on), set(), on, lang) if n.key.startswith(f"{RULE}:")
        ]
        assert "2026-03-20" in notice.text and notice.text.strip()
        if lang != "en":
            english = due_notices(status(on), set(), on, "en")
            assert notice.text not in [n.text for n in english]
