"""The observations for the review mechanism in the client (issue 18, part 6): from the
statistics screen or the palette, the four sections the officer writes, a live word count
of the summary, saved as the draft and the JSON signed by the bot's key over the
authority's real record (seeded with the record store, verified on reading); refusals
write nothing and keep the officer's text."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static, TextArea
from textual_fspicker import FileSave

from coopnet.keys import key_id
from coopnet.stats import as_document
from coopnet.stats.observations import Signer, verify_observations
from coopnet.stats.record import figures_of_record
from tests.tui.conftest import palette_screen, until
from tests.tui.test_statistics import drawn, open_from_palette
from tests.unit.stats_seed import seed
from tests.unit.test_records_support import attacker_connection
from tests.unit.test_stats import KEYS, PERIOD, ROSTER
from tui.app import CoopNetApp
from tui.screens.observations import ObservationsScreen
from tui.seed import seeded_service

SIGNER = Signer("ch", "Switzerland", "@bot:ch.example", KEYS["ch"])
TRUSTED = {key_id(KEYS["ch"]): KEYS["ch"].public_key()}


def words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def app_with_record(record: Path, signer: Signer | None = SIGNER) -> CoopNetApp:
    service = seeded_service(rooms=2, events_per_room=3, invite=False)
    service.statistics_source = lambda: as_document(
        figures_of_record(record, ROSTER, period=PERIOD)
    )
    service.review_signer = (lambda: signer) if signer is not None else None
    return CoopNetApp(service)


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "records.db"
    seed(path, ROSTER, KEYS["ch"], KEYS)
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The officer's working directory, where the draft goes by default."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


async def open_observations(pilot: Any, app: CoopNetApp) -> ObservationsScreen:
    return await palette_screen(pilot, app, "Observations for the review", ObservationsScreen)


def write(screen: ObservationsScreen, summary: str, **others: str) -> None:
    screen.query_one("#t-summary", TextArea).load_text(summary)
    for key, text in others.items():
        screen.query_one(f"#t-{key}", TextArea).load_text(text)


def count(screen: ObservationsScreen) -> str:
    return drawn(screen.query_one("#count", Static))


async def save(pilot: Any, screen: ObservationsScreen) -> None:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: not screen.saving, "the save")


async def test_the_statistics_screen_opens_the_observations_with_headings_and_count(
    record: Path, workdir: Path
) -> None:
    app = app_with_record(record)
    async with app.run_test(size=(120, 50)) as pilot:
        await open_from_palette(pilot, app)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ObservationsScreen), "observations")
        screen = app.screen
        assert isinstance(screen, ObservationsScreen)
        path = screen.query_one("#path", Input).value
        assert path == str(workdir / "observations-ch-2026-05-28.md"), path
        heads = [str(screen.query_one(f"#l-{k}").render()) for k in ("summary", "good_practices")]
        assert heads == ["Summary", "Good practices"]
        assert count(screen).strip() == "0 / 1,500 words"
        await pilot.press(*"twelve words")
        await until(pilot, lambda: count(screen).strip() == "2 / 1,500 words", "the live count")
        write(screen, words(1501))
        await until(pilot, lambda: "over the limit by 1" in count(screen), "the count over")
        assert screen.query_one("#count").has_class("over")
        # Ctrl+O: a save dialog (textual-fspicker) chooses another file.
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, FileSave), "the save dialog")
        app.screen.dismiss(workdir / "other.md")
        path_input = screen.query_one("#path", Input)
        await until(pilot, lambda: path_input.value == str(workdir / "other.md"), "the chosen file")
        app.set_language("fr")
        await pilot.pause()
        assert str(screen.query_one("#l-summary").render()) == "Résumé"
        assert "1,501 / 1,500 mots : 1 de trop" in count(screen)


async def test_1501_words_are_refused_and_nothing_is_written(record: Path, workdir: Path) -> None:
    app = app_with_record(record)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_observations(pilot, app)
        write(screen, words(1501), good_practices="Direct contact between authorities.")
        await save(pilot, screen)
        error = drawn(screen.query_one("#error", Static))
        assert "Not saved, nothing written" in error
        assert "1,501 words, over the limit of 1,500 by 1" in error
        assert os.listdir(workdir) == []
        # The officer's text is where it was.
        assert screen.sections()["good_practices"] == "Direct contact between authorities."
        assert len(screen.sections()["summary"].split()) == 1501


async def test_1500_words_are_saved_signed_and_the_json_verifies(
    record: Path, workdir: Path
) -> None:
    app = app_with_record(record)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_observations(pilot, app)
        write(screen, words(1500), gaps_and_challenges="Translations arrive late.")
        await save(pilot, screen)
        assert drawn(screen.query_one("#error", Static)).strip() == ""
        out = workdir / "observations-ch-2026-05-28.md"
        signed = out.with_suffix(".json")
        sections = out.with_suffix(".sections.md")
        assert screen.written == [out, signed, sections]
        assert sorted(os.listdir(workdir)) == sorted(p.name for p in screen.written)
        document = json.loads(signed.read_text(encoding="utf-8"))
        check = verify_observations(document, TRUSTED)
        assert check.ok, check.reason
        assert document["summary_words"] == 1500 and document["authority"] == "ch"
        figures = next(s for s in document["sections"] if s["key"] == "figures")
        assert figures["figures"]["consultations"]["total"] == 3
        markdown = out.read_text(encoding="utf-8")
        assert "Translations arrive late." in markdown
        assert "Words in the summary: 1,500 / 1,500" in markdown
        assert (out.stat().st_mode & 0o777) == 0o600
    # A later start loads the sections kept beside the draft.
    again = app_with_record(record)
    async with again.run_test(size=(120, 50)) as pilot:
        screen = await open_observations(pilot, again)
        assert screen.sections()["gaps_and_challenges"] == "Translations arrive late."
        assert count(screen).strip() == "1,500 / 1,500 words"


async def test_an_empty_summary_or_a_record_that_does_not_verify_writes_nothing(
    record: Path, workdir: Path
) -> None:
    app = app_with_record(record)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_observations(pilot, app)
        write(screen, "", good_practices="Kept.")
        await save(pilot, screen)
        assert "{#summary}: empty (write the summary)" in drawn(screen.query_one("#error"))
        conn = attacker_connection(record)
        conn.execute("DELETE FROM entries WHERE seq = 4")
        conn.close()
        write(screen, words(10))
        await save(pilot, screen)
        assert "does not verify" in drawn(screen.query_one("#error", Static))
        assert os.listdir(workdir) == []
        assert screen.sections()["good_practices"] == "Kept."


async def test_without_the_bot_key_nothing_is_signed_and_f2_keeps_the_sections(
    record: Path, workdir: Path
) -> None:
    app = app_with_record(record, signer=None)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_observations(pilot, app)
        write(screen, words(3), technical_assistance="Training of judges.")
        await save(pilot, screen)
        assert "bot key: no one signs" in drawn(screen.query_one("#error", Static))
        assert os.listdir(workdir) == []
        await pilot.press("f2")
        kept = workdir / "observations-ch-2026-05-28.sections.md"
        await until(pilot, kept.exists, "the sections file")
        assert os.listdir(workdir) == [kept.name]
        assert "Training of judges." in kept.read_text(encoding="utf-8")
        # Closed and opened again: the text stays while the client runs.
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ObservationsScreen), "closed")
        screen = await open_observations(pilot, app)
        assert screen.sections()["technical_assistance"] == "Training of judges."


def test_snapshot_of_the_observations(
    snap_compare: Any, utc: None, record: Path, workdir: Path
) -> None:
    async def fill(pilot: Any) -> None:
        app = pilot.app
        screen = await open_observations(pilot, app)
        write(screen, words(1501), good_practices="Consultation before the request.")
        screen.query_one("#path", Input).value = "observations-ch-2026-05-28.md"
        await until(pilot, lambda: "over the limit" in count(screen), "the count")
        screen.query_one("#t-summary", TextArea).focus()
        pilot.app.focused.cursor_blink = False  # the picture must not depend on the blink
        await pilot.pause()

    assert snap_compare(app_with_record(record), terminal_size=(110, 50), run_before=fill)
