"""Documents in the client: attach (typed path or picker) → card → panel → save 0600 →
a file whose hash does not match is refused, nothing written; cancel sends nothing.

On seeded data (:mod:`tui.seed`, the in-memory service); the real network's test is in
``test_documents_network.py``.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

from rich.console import Console

from coopnet.protocol import Document
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.screens.attach import AttachScreen
from tui.screens.consultation import ConsultationScreen
from tui.screens.documents import DocumentsScreen, SaveScreen
from tui.screens.transfer import TransferScreen
from tui.seed import DOCUMENTS_ROOM, seeded_service
from tui.widgets.cards import render_entry
from tui.widgets.documents_panel import document_rows

SIZE = (140, 45)


def service() -> Any:
    return seeded_service(rooms=2, events_per_room=9, documents=True, invite=False)


def text_of(renderable: Any, width: int = 400) -> str:
    console = Console(width=width, record=True)
    console.print(renderable)
    return console.export_text()


async def open_documents_room(pilot: Any, app: CoopNetApp) -> ConsultationScreen:
    await until(pilot, lambda: app.list_screen.is_mounted, "the list")
    app.open_consultation(DOCUMENTS_ROOM)
    await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the consultation")
    assert isinstance(app.screen, ConsultationScreen)
    return app.screen


async def attach(pilot: Any, app: CoopNetApp, path: Path, title: str, **selects: str) -> None:
    """Attach ``path`` the officer's way: ctrl+o, the path typed, a kind, a title."""
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, AttachScreen), "the attach dialog")
    screen = app.screen
    screen.query_one("#path").value = str(path)
    screen.query_one("#doc-title").value = title
    for select_id, value in {"kind": "judgment", **selects}.items():
        screen.query_one(f"#{select_id}").value = value  # a Select, or the language Input
    await pilot.press("ctrl+s")


def test_document_rows_group_versions_and_translations_under_their_original() -> None:
    seeded = service()
    rows = document_rows(seeded.consultation(DOCUMENTS_ROOM))
    shape = [(r.held.event_id, r.depth, r.version, r.translation) for r in rows]
    assert shape == [
        ("$dw", 0, 1, False),
        ("$dt", 1, 1, True),  # the translation, under its original
        ("$df", 0, 1, False),
        ("$df2", 1, 2, False),  # the second version, under the first
        ("$dp", 0, 1, False),
    ]


def test_document_card_says_kind_title_size_hash_and_who_certified() -> None:
    seeded = service()
    consultation = seeded.consultation(DOCUMENTS_ROOM)
    names = seeded.names

    def card(event_id: str, lang: str = "en") -> str:
        entry = consultation.entry(event_id)
        assert entry is not None
        return text_of(render_entry(entry, consultation, names, lang))

    warrant = consultation.entry("$dw")
    assert warrant is not None and isinstance(warrant.event, Document)
    drawn = card("$dw")
    assert "Document · Arrest warrant" in drawn and "Orden de aprehensión 123/2026" in drawn
    assert f"sha256 {warrant.event.sha256[:12]}" in drawn and "kB" in drawn
    assert "✓ certified by bot · Switzerland" in drawn
    assert "awaited" in card(
        "$df2"
    ) and "Replaces (earlier version): Exposición de los hechos" in card("$df2")
    rejected = card("$dp")
    assert "✗ rejected by bot · Switzerland" in rejected and "SHA-256 is 0000" in rejected
    assert "Translation of: Orden de aprehensión" in card("$dt")
    assert "Mandat d'arrêt" in card("$dw", "fr")


async def test_attach_card_panel_save_0600_and_hash_mismatch(tmp_path: Path) -> None:
    seeded = service()
    app = CoopNetApp(seeded)
    source = tmp_path / "judgment.pdf"
    data = b"%PDF illustrative judgment\n" * 5000
    source.write_bytes(data)
    out = tmp_path / "saved"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_documents_room(pilot, app)
        consultation = seeded.consultation(DOCUMENTS_ROOM)
        before = len(consultation.documents())
        # A missing file is refused in the dialog, before anything is sent.
        await attach(pilot, app, tmp_path / "missing.pdf", "Judgment")
        await until(
            pilot,
            lambda: "no such file" in str(app.screen.query_one("#error").render()),
            "the error",
        )
        assert isinstance(app.screen, AttachScreen) and len(consultation.documents()) == before
        app.screen.query_one("#path").value = str(source)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(consultation.documents()) == before + 1, "the document sent")
        await until(pilot, lambda: app.screen is screen, "back in the consultation")
        sent = consultation.documents()[-1]
        assert sent.document.sha256 == hashlib.sha256(data).hexdigest()
        assert sent.document.size == len(data) and sent.document.title == "Judgment"
        # Its card is in the timeline (drawn by the one card renderer).
        card = text_of(
            render_entry(consultation.entry(sent.event_id), consultation, seeded.names, "en")
        )
        assert "Document · Judgment" in card and "receipt of bot · Mexico awaited" in card

        # The panel lists it; Enter saves it to a folder, 0600, hash checked.
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, DocumentsScreen), "the documents panel")
        panel = app.screen
        options = panel.query_one("#documents")
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert sent.event_id in ids
        options.highlighted = ids.index(sent.event_id)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen), "the folder dialog")
        app.screen.query_one("#folder").value = str(out)
        await pilot.press("enter")
        saved = out / "judgment.pdf"
        await until(pilot, lambda: saved.exists(), "the saved file")
        assert saved.read_bytes() == data
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        await until(pilot, lambda: app.screen is panel, "back in the panel")

        # The homeserver hands out other bytes: refused, nothing written.
        url = consultation.entry(sent.event_id).source["file"]["url"]
        seeded.files[url] = data[:-1] + b"X"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen), "the folder dialog")
        app.screen.query_one("#folder").value = str(out)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is panel, "back in the panel")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Not saved, nothing written" in m and "SHA-256" in m for m in messages)
        assert sorted(p.name for p in out.iterdir()) == ["judgment.pdf"]


async def test_a_new_version_and_a_translation_link_to_their_original(tmp_path: Path) -> None:
    seeded = service()
    app = CoopNetApp(seeded)
    files = {}
    for name in ("request-v1", "request-v2", "request-fr"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(f"{name}\n".encode() * 100)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_documents_room(pilot, app)
        consultation = seeded.consultation(DOCUMENTS_ROOM)

        async def sent(path: Path, count: int, **selects: str) -> str:
            await attach(pilot, app, path, "Formal request", kind="formal_request", **selects)
            await until(pilot, lambda: len(consultation.documents()) == count, path.name)
            await until(pilot, lambda: app.screen is screen, "back in the consultation")
            return consultation.documents()[-1].event_id

        # Only the authority that sent a document sends its new versions: said at once.
        await attach(pilot, app, files["request-v2"], "Facts", replaces="$df2")
        error = lambda: str(app.screen.query_one("#error").render())  # noqa: E731
        await until(pilot, lambda: "sent by another authority" in error(), "the refusal")
        await pilot.press("escape")
        first = await sent(files["request-v1"], 6)
        second = await sent(files["request-v2"], 7, replaces=first)
        french = await sent(files["request-fr"], 8, translation_of=first, language="fr")
        rows = {r.held.event_id: r for r in document_rows(consultation)}
        assert (rows[second].version, rows[second].depth) == (2, 1)
        assert rows[french].translation and rows[french].depth == 1
        assert consultation.document(first).replaced_by == second
        assert consultation.document(first).translations == (french,)


async def test_cancelling_an_upload_sends_nothing(tmp_path: Path) -> None:
    seeded = service()
    seeded.chunk_delay = 0.05  # slow enough to cancel halfway
    app = CoopNetApp(seeded)
    big = tmp_path / "evidence.bin"
    big.write_bytes(b"x" * (30 << 20))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_documents_room(pilot, app)
        consultation = seeded.consultation(DOCUMENTS_ROOM)
        before = (len(consultation.documents()), len(seeded.sent))
        await attach(pilot, app, big, "Evidence", kind="evidence")
        await until(
            pilot,
            lambda: isinstance(app.screen, TransferScreen) and app.screen.done > 0,
            "the upload under way",
        )
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "back in the consultation")
        await pilot.pause(0.3)
        assert (len(consultation.documents()), len(seeded.sent)) == before
        assert any("nothing was sent" in n.message for n in app._notifications)


async def test_the_file_picker_fills_in_the_path(tmp_path: Path) -> None:
    from textual_fspicker import FileOpen

    seeded = service()
    app = CoopNetApp(seeded)
    chosen = tmp_path / "facts.pdf"
    chosen.write_bytes(b"facts\n")
    async with app.run_test(size=SIZE) as pilot:
        await open_documents_room(pilot, app)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, AttachScreen), "the attach dialog")
        attach_screen = app.screen
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, FileOpen), "the file picker")
        app.screen.dismiss(chosen)  # what choosing the file in the picker returns
        path = attach_screen.query_one("#path")
        await until(pilot, lambda: path.value == str(chosen), "the chosen path in the dialog")
        assert app.screen is attach_screen
