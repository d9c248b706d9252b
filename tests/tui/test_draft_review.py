"""Draft review in the client (seeded data, no network): the checklist card with its
items' states and changes, the draft's card saying where its review stands, the forms
to share a new version, answer an item and confirm ready, each checked by the core
before it is sent; one snapshot (en, 80 columns)."""

from __future__ import annotations

from typing import Any

from coopnet.consultation import changes_between, check_draft
from coopnet.profiles import load_profile
from coopnet.protocol import ChecklistAnswer, DraftChecklist, DraftReady, DraftRequest
from tests.drafts import draft_content
from tests.tui.conftest import open_form, until
from tests.tui.test_cards import text_of
from tui.app import CoopNetApp
from tui.memory_service import MemoryService
from tui.model import Entry
from tui.screens.consultation import ConsultationScreen
from tui.seed import BASE_MS, MX, seeded_service, structured
from tui.widgets.cards import render_entry
from tui.widgets.timeline import Timeline

ROOM = "!room2:127.0.0.11"  # Mexico requests, Switzerland (this officer) is requested
CH_BOT = "@bot:127.0.0.11"
SIZE = (120, 50)
T = BASE_MS + 5_000_000


def draft(**changes: Any) -> DraftRequest:
    parsed = DraftRequest.from_dict(draft_content(**changes))
    assert isinstance(parsed, DraftRequest)
    return parsed


def checklist(draft_id: str, version: DraftRequest, previous: DraftChecklist | None = None) -> Any:
    profile = load_profile("ch")
    assert profile is not None
    items = check_draft(version, profile.answer)
    return DraftChecklist(
        draft=draft_id,
        items=items,
        authority="ch",
        illustrative=True,
        previous=previous.draft if previous else None,
        changes=changes_between(previous.items, items) if previous else (),
    )


def reviewed_service(corrected: bool = False) -> MemoryService:
    """Room 2 with Mexico's draft (no translation, 6 months) and the Swiss bot's checklist;
    with ``corrected``, the second version and its checklist too."""
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    room = service.consultation(ROOM)
    first = draft(translated=False, penalty_months=6)
    entries: list[Entry] = [structured("$draft1", MX, T, first)]
    first_list = checklist("$draft1", first)
    entries.append(structured("$list1", CH_BOT, T + 1000, first_list))
    if corrected:
        second = draft(replaces="$draft1")
        entries.append(structured("$draft2", MX, T + 60_000, second))
        entries.append(
            structured("$list2", CH_BOT, T + 61_000, checklist("$draft2", second, first_list))
        )
    for entry in entries:
        assert room.add(entry)
        assert room.refusal(entry) is None, room.refusal(entry)
    return service


def card(service: MemoryService, event_id: str, lang: str, expanded: bool = False) -> str:
    room = service.consultation(ROOM)
    entry = room.entry(event_id)
    assert entry is not None
    drawn = render_entry(entry, room, service.names, lang, expanded)
    return text_of(drawn)


def test_the_checklist_card_shows_the_missing_items_in_the_readers_language() -> None:
    service = reviewed_service()
    french = card(service, "$list1", "fr")
    assert "✗ Traduction dans une langue acceptée — manquant" in french
    assert "✗ Seuil de peine — manquant" in french
    assert "Indiqué (mois): 6 mois; Seuil (mois): 12 mois" in french
    assert "Base juridique acceptée" not in french  # met: only in the full card
    assert "Base juridique acceptée — rempli" in card(service, "$list1", "fr", expanded=True)
    spanish = card(service, "$list1", "es")
    assert "✗ Traducción a un idioma aceptado — falta" in spanish
    assert "En revisión · ✗ 2 falta" in card(service, "$draft1", "es")


def test_a_corrected_version_shows_what_changed_and_the_first_is_replaced() -> None:
    service = reviewed_service(corrected=True)
    drawn = card(service, "$list2", "en")
    assert "✗ 0 missing" in drawn and "Changes since the previous version" in drawn
    assert "Translation into an accepted language: missing → met" in drawn
    assert "Penalty threshold: missing → met" in drawn
    assert "This draft was replaced by a newer version" in card(service, "$draft1", "en")


async def test_confirm_ready_from_the_form_and_the_cards_say_so() -> None:
    service = reviewed_service(corrected=True)
    app = CoopNetApp(service, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, ROOM, DraftReady)
        assert form.values()["draft"] == "$draft2"  # the latest version
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the form sent")
        room = service.consultation(ROOM)
        await until(pilot, lambda: bool(room.core.drafts()[0].is_ready), "ready to transmit")
        assert "✓ Ready to transmit" in card(service, "$draft2", "en")
        assert "✓ Ready to transmit" in card(service, "$list2", "en")


async def test_an_answer_to_an_item_that_does_not_exist_is_explained_before_sending() -> None:
    service = reviewed_service()
    app = CoopNetApp(service, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, ROOM, ChecklistAnswer)
        values = form.values()
        assert (values["draft"], values["item_id"]) == ("$draft1", "translation")
        assert form.check is not None
        bogus = ChecklistAnswer(draft="$draft1", item_id="no_such_item", comment="?")
        problems = form.check(bogus)
        assert list(problems) == ["item_id"] and "unknown_item" in problems["item_id"][0]
        good = ChecklistAnswer(draft="$draft1", item_id="translation", comment="Sigue.")
        assert form.check(good) == {}


async def test_a_new_version_starts_from_the_latest_and_replaces_it() -> None:
    service = reviewed_service()
    app = CoopNetApp(service, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, ROOM, DraftRequest)
        values = form.values()
        assert values["replaces"] == "$draft1"
        assert values["person_sought"] == "Rivera Soto, Ana"
        assert form.check is not None
        # Switzerland is the requested side: it does not share the draft.
        problems = form.check(draft(replaces="$draft1"))
        assert "draft_wrong_side" in " ".join(sum(problems.values(), []))


async def _open_room(pilot: Any) -> None:
    app = pilot.app
    await until(pilot, lambda: app.list_screen.is_mounted, "the list")
    app.open_consultation(ROOM)
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ConsultationScreen)
            and any(t.shown for t in app.screen.query(Timeline))
            and getattr(app.focused, "id", None) == "composer"
        ),
        "the consultation",
    )
    app.focused.cursor_blink = False
    await pilot.pause()


def test_snapshot_of_a_draft_review(snap_compare: Any, utc: None) -> None:
    app = CoopNetApp(reviewed_service(corrected=True), lang="en")
    assert snap_compare(app, terminal_size=(80, 40), run_before=_open_room)
