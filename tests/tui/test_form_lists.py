"""Lists in the structured-event forms, driven with the pilot on seeded data (no network):
entries added and removed by keyboard and mouse, errors on the right entry, prefill."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Input, Static

from coopnet.protocol import IdentityDocument, PersonIdentity, PersonName, parse_content
from coopnet.protocol.vocab import DocumentType
from tests.tui.conftest import open_form, until
from tui.app import CoopNetApp
from tui.memory_service import MemoryService
from tui.screens.event_form import EventFormScreen
from tui.seed import seeded_service

ROOM = "!room1:127.0.0.11"
SIZE = (120, 50)


async def identity_form(pilot: Any, app: CoopNetApp) -> EventFormScreen:
    """The identity form of a consultation, opened as an officer does (Ctrl+S, choose)."""
    form: EventFormScreen = await open_form(pilot, app, ROOM, PersonIdentity)
    return form


def sent_identities(service: MemoryService) -> list[PersonIdentity]:
    parsed = [parse_content(content) for _, content in service.sent]
    return [p for p in parsed if isinstance(p, PersonIdentity)]


async def click(pilot: Any, form: EventFormScreen, selector: str) -> None:
    """Scroll ``selector`` into view, as an officer would, and click it."""
    widget = form.query_one(selector)
    fields = form.query_one("#fields")

    def in_view() -> bool:
        fields.scroll_to_widget(widget, animate=False)
        region = widget.region  # empty while not on screen
        return region.area > 0 and fields.region.contains_region(region)

    await until(pilot, in_view, f"{selector} scrolled into view")
    assert await pilot.click(widget), f"the click on {selector} reached it"


async def test_two_names_and_two_documents_make_one_valid_event() -> None:
    service = seeded_service(rooms=2, events_per_room=6, invite=False)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        form = await identity_form(pilot, app)
        # Keyboard: type the first name, Ctrl+O adds a second entry and goes to it.
        form.query_one("#f-names-0--family", Input).focus()
        await pilot.press(*"DOE")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: bool(form.query("#f-names-1--family")), "a second name")
        assert app.focused is form.query_one("#f-names-1--family")
        await pilot.press(*"DOUGH", "tab", *"Jane")
        titles = [str(w.render()) for w in form.query("#f-names Label.entry-title")]
        assert titles == ["Names, entry 1", "Names, entry 2"]
        # Mouse: two identity documents added with the Add button.
        for n in (1, 2):
            await click(pilot, form, "#f-identity_documents > .add-entry")
            await until(
                pilot,
                lambda n=n: len(form.query("#f-identity_documents > .entry")) == n,
                f"identity document {n}",
            )
        form.set_value("identity_documents[0].doc_type", "passport")
        form.set_value("identity_documents[1].doc_type", "national_id")
        form.query_one("#f-identity_documents-0--number", Input).focus()
        await pilot.press(*"E123")
        form.query_one("#f-identity_documents-1--number", Input).focus()
        await pilot.press(*"N456", "tab", *"CN")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(sent_identities(service)), "the identity to be sent")
        assert not isinstance(app.screen, EventFormScreen)
    (identity,) = sent_identities(service)
    assert identity.names == (PersonName(family="DOE"), PersonName(family="DOUGH", given="Jane"))
    assert identity.identity_documents == (
        IdentityDocument(doc_type=DocumentType.PASSPORT, number="E123"),
        IdentityDocument(doc_type=DocumentType.NATIONAL_ID, number="N456", issuing_state="CN"),
    )


async def test_entries_are_removed_and_the_next_ones_move_up() -> None:
    service = seeded_service(rooms=2, events_per_room=6, invite=False)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        form = await identity_form(pilot, app)
        aliases = "#f-aliases"
        for n, alias in enumerate(["ALPHA", "BRAVO", "CHARLIE"], start=1):
            await click(pilot, form, f"{aliases} > .add-entry")
            await until(
                pilot, lambda n=n: len(form.query(f"{aliases} > .entry")) == n, f"alias {n}"
            )
            await pilot.press(*alias)
        numbers = [str(w.render()) for w in form.query(f"{aliases} .entry-number")]
        assert numbers == ["1.", "2.", "3."]
        # Ctrl+R removes the entry holding the focus; the focus stays in that place.
        form.query_one("#f-aliases-1-", Input).focus()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(form.query(f"{aliases} > .entry")) == 2, "two aliases")
        assert {k: v for k, v in form.values().items() if k.startswith("aliases")} == {
            "aliases[0]": "ALPHA",
            "aliases[1]": "CHARLIE",
        }
        assert app.focused is form.query_one("#f-aliases-1-")
        # The Remove button of the first one, with the mouse.
        await click(pilot, form, "#f-aliases-0--entry .remove-entry")
        await until(pilot, lambda: len(form.query(f"{aliases} > .entry")) == 1, "one alias")
        assert form.query_one("#f-aliases-0-", Input).value == "CHARLIE"
        # A required list keeps its last entry; a list at its maximum takes no more.
        assert form.query_one("#f-names-0--entry .remove-entry", Button).disabled
        for n in range(1, 6):
            await click(pilot, form, "#f-nationalities > .add-entry")
            await until(
                pilot,
                lambda n=n: len(form.query("#f-nationalities > .entry")) == n,
                f"nationality {n}",
            )
        assert form.query_one("#f-nationalities > .add-entry", Button).disabled
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert len(form.query("#f-nationalities > .entry")) == 5


async def test_errors_are_shown_on_the_entry_they_belong_to_and_nothing_is_sent() -> None:
    service = seeded_service(rooms=2, events_per_room=6, invite=False)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        form = await identity_form(pilot, app)
        sent_before = len(service.sent)
        form.set_value("names[0].family", "DOE")
        for n in (1, 2, 3):
            await click(pilot, form, "#f-identity_documents > .add-entry")
            await until(
                pilot,
                lambda n=n: len(form.query("#f-identity_documents > .entry")) == n,
                f"identity document {n}",
            )
        # Entry 1 left blank (left out), entry 2 valid, entry 3 with a bad issuing State.
        form.set_value("identity_documents[1].doc_type", "passport")
        form.set_value("identity_documents[1].number", "E1")
        form.set_value("identity_documents[2].doc_type", "passport")
        form.set_value("identity_documents[2].number", "E2")
        form.set_value("identity_documents[2].issuing_state", "china")
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: form.query_one("#form-errors", Static).render().plain != "",
            "the form's errors",
        )
        shown = {w.name for w in form.query(".field-error.shown")}
        assert shown == {"identity_documents[2].issuing_state"}
        error = form.query_one("#f-identity_documents-2--issuing_state-error", Static)
        assert "too_long" in str(error.render())
        assert app.screen is form and len(service.sent) == sent_before
        assert app.focused is form.query_one("#f-identity_documents-2--issuing_state")
        # Corrected, it is sent with the two documents filled in.
        form.set_value("identity_documents[2].issuing_state", "CN")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(sent_identities(service)), "the identity to be sent")
    (identity,) = sent_identities(service)
    assert [d.number for d in identity.identity_documents] == ["E1", "E2"]


async def test_lists_are_prefilled_and_an_empty_required_list_is_an_error_on_it() -> None:
    app = CoopNetApp(seeded_service(rooms=1, events_per_room=6, invite=False))
    results: list[Any] = []
    prefill = {
        "names": [{"family": "DOE"}, {"family": "ДОУ", "script": "Cyrl"}],
        "aliases": ["JD", "J. Doe"],
        "nationalities[1]": "CN",
    }
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        form = EventFormScreen(PersonIdentity, "fr", prefill)
        app.push_screen(form, results.append)
        await until(pilot, lambda: form.is_mounted and bool(form.query(".entry")), "the form")
        assert form.query_one("#f-names-1--family", Input).value == "ДОУ"
        assert [str(w.render()) for w in form.query("#f-names Label.entry-title")] == [
            "Noms, élément 1",
            "Noms, élément 2",
        ]
        assert str(form.query_one("#f-aliases > .add-entry", Button).label) == "+ Ajouter : Alias"
        assert form.values()["nationalities[0]"] == ""
        assert form.content() == {
            "names": [{"family": "DOE"}, {"family": "ДОУ", "script": "Cyrl"}],
            "aliases": ["JD", "J. Doe"],
            "nationalities": ["CN"],
        }
        # Every name blanked: the list itself is in error.
        form.set_value("names[0].family", "")
        form.set_value("names[1].family", "")
        form.set_value("names[1].script", "")
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: form.query_one("#f-names-error").has_class("shown"),
            "the error on the names",
        )
        assert results == []
        form.set_value("names[1].family", "DOE")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(results), "the form to close")
    (event,) = results
    assert isinstance(event, PersonIdentity)
    assert event.names == (PersonName(family="DOE"),)  # the blank first entry is left out
    assert event.nationalities == ("CN",) and event.aliases == ("JD", "J. Doe")


async def test_switching_language_redraws_an_open_form_and_keeps_what_was_typed() -> None:
    service = seeded_service(rooms=2, events_per_room=6, invite=False)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        form = await identity_form(pilot, app)
        form.query_one("#f-names-0--family", Input).focus()
        await pilot.press(*"DOE", "ctrl+o")
        await until(pilot, lambda: bool(form.query("#f-names-1--family")), "a second name")
        await pilot.press(*"DOUGH")
        app.set_language("fr")  # as the palette's Language command does over the form
        await until(
            pilot,
            lambda: (
                [str(w.render()) for w in form.query("#f-names Label.entry-title")]
                == ["Noms, élément 1", "Noms, élément 2"]
            ),
            "the entries titled in French",
        )
        assert form.query_one("#f-names-0--family", Input).value == "DOE"
        assert form.query_one("#f-names-1--family", Input).value == "DOUGH"
        assert "Envoyer" in str(form.query_one("#send", Button).label)
