"""The client's side of issue 17: the network's handling codes preselected on compose, the
progress answer proposed from the consultation's state, the warning before copying what
its handling code forbids passing on."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console

from coopnet.consultation import ConsultationSettings
from coopnet.protocol import PersonIdentity, ProgressAnswer, ProgressQuery, RefusalEnvisaged
from coopnet.protocol.handling import with_handling
from coopnet.protocol.labels import label
from coopnet.protocol.vocab import HandlingCode
from tests.tui.conftest import open_form, until
from tui.app import CoopNetApp
from tui.screens.consultation import ConsultationScreen
from tui.seed import CN, demo_directory, seeded_service, structured
from tui.widgets.side_panel import render_panel
from tui.widgets.timeline import Timeline

ROOM = "!room1:127.0.0.11"
SIZE = (120, 50)


async def test_compose_preselects_the_network_default_and_proposes_the_answer() -> None:
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    room = service.consultation(ROOM)
    assert room.add(structured("$query", CN, 1_780_000_100_000, ProgressQuery(question="?")))
    app = CoopNetApp(service, lang="es")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, ROOM, ProgressAnswer)
        content = form.content()
        assert content["query"] == "$query"
        status = room.status(service.today())
        assert status is not None and content["stage"] == status.stages.current.value
        assert content["handling"] == ["case_only"]  # the default for any other exchange


async def test_compose_preselects_the_signed_directory_s_defaults_not_the_built_in_ones() -> None:
    # The network's rules come with its signed directory: the client folds and composes
    # with the same settings as the bots.
    network = ConsultationSettings(
        progress_answer_working_days=3,
        handling={"*": (HandlingCode.DOMESTIC_AGENCIES,)},
    )
    directory = demo_directory()
    directory = replace(directory, roster=replace(directory.roster, settings=network))
    service = seeded_service(rooms=2, events_per_room=9, invite=False, directory=directory)
    room = service.consultation(ROOM)
    assert room.core.settings is network
    assert room.add(structured("$query", CN, 1_780_000_100_000, ProgressQuery(question="?")))
    app = CoopNetApp(service, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, ROOM, ProgressAnswer)
        assert form.content()["handling"] == ["domestic_agencies"]


async def test_the_envisaged_refusal_form_proposes_a_date_to_answer_by() -> None:
    app = CoopNetApp(seeded_service(rooms=2, events_per_room=9, invite=False), lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, ROOM, RefusalEnvisaged)
        assert form.content()["respond_by"] > app.service.today().isoformat()


async def test_copying_what_may_not_be_passed_on_warns_first() -> None:
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    room = service.consultation(ROOM)
    identity = PersonIdentity.from_dict({"names": [{"family": "DOE"}]})
    assert isinstance(identity, PersonIdentity)
    marked = with_handling(identity, [HandlingCode.NO_ONWARD])
    assert room.add(structured("$marked", CN, 1_780_000_200_000, marked))
    app = CoopNetApp(service, lang="en")
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        app.open_consultation(ROOM)
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and bool(app.screen.query(Timeline)),
            "the room",
        )
        timeline = app.screen.query_one(Timeline)
        timeline.focus()
        await until(pilot, lambda: timeline.has_entry("$marked"), "the marked card")
        index = next(i for i, e in enumerate(room.entries) if e.event_id == "$marked")
        timeline.select(index)
        await pilot.press("y")
        warning = label("handling_warning.no_onward", "en")
        await until(
            pilot,
            lambda: any(warning in n.message for n in app._notifications),
            "the handling warning",
        )
        assert copied == []
        await pilot.press("y")
        await until(pilot, lambda: bool(copied), "the copy once confirmed")
        assert label("handling_code.no_onward", "en") in copied[0]


def test_the_side_panel_says_which_calendar_a_working_day_deadline_uses() -> None:
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    room = service.consultation(ROOM)
    assert room.add(structured("$query", CN, 1_780_000_100_000, ProgressQuery(question="?")))
    day = room.entry("$query").day  # type: ignore[union-attr]
    console = Console(width=80, color_system=None, record=True)
    console.print(render_panel(room, day, "fr"))
    text = console.export_text()
    assert label("rule.progress_answer", "fr")[:20] in text.replace("\n", " ")
    assert "CH public holidays" in text  # the requested State, Switzerland, answers
