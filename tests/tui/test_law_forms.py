"""The client offers the stages, grounds and assurance statuses of issue 21 and explains,
before sending, what the bots would refuse (seeded data, no network)."""

from __future__ import annotations

import datetime as dt

from textual.widgets import SelectionList, Static

from coopnet.protocol import RefusalEnvisaged, StageTransition
from coopnet.protocol.vocab import AssuranceStatus, RefusalGround, Stage
from tests.tui.conftest import open_form, until
from tui.app import CoopNetApp
from tui.screens.event_form import EventFormScreen
from tui.seed import CN, seeded_service, structured

ROOM = "!room1:127.0.0.11"
SIZE = (120, 50)


async def stage_form(pilot, app: CoopNetApp) -> EventFormScreen:
    form: EventFormScreen = await open_form(pilot, app, ROOM, StageTransition)
    return form


def options(form: EventFormScreen, path: str) -> set[str]:
    widget = form.query_one(f"#f-{path}")
    if isinstance(widget, SelectionList):
        return {widget.get_option_at_index(i).value for i in range(widget.option_count)}
    return {value for _, value in widget._options if value is not widget.BLANK}  # type: ignore[attr-defined]


async def test_the_stage_form_offers_new_stages_and_grounds_and_shows_the_fiscal_rule() -> None:
    app = CoopNetApp(seeded_service(rooms=2, events_per_room=9, invite=False), lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        form = await stage_form(pilot, app)
        assert {Stage.PROVISIONALLY_RELEASED, Stage.FORMAL_REQUEST_RECEIVED} <= options(
            form, "to_stage"
        )
        grounds = options(form, "grounds")
        assert {RefusalGround.DUAL_CRIMINALITY, RefusalGround.ESSENTIAL_INTERESTS} <= grounds
        rule = form.query_one("#f-grounds-rule", Static)
        assert not rule.has_class("shown")
        form.set_value("grounds", ["fiscal_offence"])
        # UNTOC art. 16(15), 18(22): shown as soon as the fiscal ground is chosen.
        await until(pilot, lambda: rule.has_class("shown"), "the fiscal-offence rule")
        assert "16, par. 15" in str(rule.render())
        form.set_value("grounds", ["nationality"])
        await until(pilot, lambda: not rule.has_class("shown"), "the rule hidden again")


async def test_a_refusal_without_grounds_is_explained_before_it_is_sent() -> None:
    """UNTOC art. 18(23), ECE art. 18(2): the client says, on the field, what the bots
    would refuse a refusal for."""
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    room = service.consultation(ROOM)
    day = service.today()
    sent = StageTransition(
        from_stage=Stage.PROVISIONAL_ARREST_EXECUTED,
        to_stage=Stage.FORMAL_REQUEST_TRANSMITTED,
        date=day,
    )
    assert room.add(structured("$formal", CN, 2_000_000_000_000, sent))
    app = CoopNetApp(service, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        form = await stage_form(pilot, app)
        assert form.check is not None
        bare = StageTransition(
            from_stage=Stage.FORMAL_REQUEST_TRANSMITTED, to_stage=Stage.REFUSED, date=day
        )
        problems = form.check(bare)
        assert list(problems) == ["grounds"] and "18(23)" in problems["grounds"][0]
        no_reasons = StageTransition(
            from_stage=Stage.FORMAL_REQUEST_TRANSMITTED,
            to_stage=Stage.REFUSED,
            date=day,
            grounds=(RefusalGround.DUAL_CRIMINALITY,),
        )
        assert list(form.check(no_reasons)) == ["reasons"]
        complete = StageTransition(
            from_stage=Stage.FORMAL_REQUEST_TRANSMITTED,
            to_stage=Stage.REFUSED,
            date=day,
            grounds=(RefusalGround.DUAL_CRIMINALITY,),
            reasons="The conduct is not an offence under our law.",
        )
        # Rules revision 3: the requesting side is consulted first (UNTOC art. 16(16)).
        before = form.check(complete)
        assert list(before) == ["to_stage"] and "16(16)" in before["to_stage"][0]
        envisaged = RefusalEnvisaged(
            grounds=(RefusalGround.DUAL_CRIMINALITY,),
            reasons="The conduct is not an offence under our law.",
            respond_by=dt.date(2033, 12, 31),  # after the day it is sent (2033-05-18)
        )
        assert room.add(structured("$envisaged", service.user_id, 2_000_000_000_001, envisaged))
        assert room.refusal(room.entry("$envisaged")) is None  # type: ignore[arg-type]
        assert form.check(complete) == {}


def test_assurance_statuses_include_declined_insufficient_withdrawn_fulfilled() -> None:
    from coopnet.protocol import Assurance
    from tui.forms import walk

    status = next(d for d in walk(Assurance) if d.name == "assurance_status")
    values = {m.value for m in status.spec.enum}  # type: ignore[attr-defined]
    assert {s.value for s in AssuranceStatus} == values
    assert {"declined", "insufficient", "withdrawn", "fulfilled"} <= values
