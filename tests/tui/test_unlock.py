"""The unlock screen on a real encrypted cache file (no homeserver needed to unlock)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from coopnet.errors import WrongPassphrase
from coopnet.localcache import CACHE_FILE, EncryptedCache, KdfParams
from coopnet.matrix import EnrolledDevices
from tests.tui.conftest import until
from tui.directory import Directory
from tui.matrix_service import MatrixService
from tui.screens.passphrase import ChangePassphraseScreen
from tui.screens.unlock import UnlockScreen
from tui.service import NeedsPassphrase, NeedsPassword


class DialogApp(App[None]):
    """An app that shows one dialog and keeps what it was dismissed with."""

    def __init__(self, dialog: ModalScreen[bool]) -> None:
        super().__init__()
        self.dialog = dialog
        self.result: bool | None = None

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.done)

    def done(self, ok: bool | None) -> None:
        self.result = ok


def unlock_app(svc: MatrixService, first_time: bool, lang: str = "en") -> DialogApp:
    return DialogApp(UnlockScreen(svc, first_time, lang))


def service(store: Path, given: str | None = None) -> MatrixService:
    """A service whose homeserver is never reached (unlocking needs none)."""
    return MatrixService(
        "http://127.0.0.1:9",
        "@officer:example.org",
        store,
        EnrolledDevices({}),
        Directory(),
        cache_file=store / CACHE_FILE,
        cache_params=KdfParams.fresh(n=2**10),
        cache_passphrase=given,
    )


def error_text(app: App[None]) -> str:
    return str(app.screen.query_one("#error", Static).render())


async def type_into(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def test_a_forgotten_passphrase_discards_the_cache_and_asks_for_a_new_one(tmp_path: Path):
    cache_file = tmp_path / CACHE_FILE
    EncryptedCache.create(cache_file, "the old passphrase", KdfParams.fresh(n=2**10)).close()
    svc = service(tmp_path)
    app = unlock_app(svc, first_time=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#discard")
        assert cache_file.exists(), "one press only arms the discard"
        discard = app.screen.query_one("#discard")
        assert "again" in str(discard.render())
        # A button ignores clicks during its press effect (no accidental double press).
        await until(pilot, lambda: not discard.has_class("-active"), "the press effect to end")
        await pilot.click("#discard")
        await until(pilot, lambda: bool(app.screen.query("#confirm")), "the new-passphrase form")
        assert not cache_file.exists()

        await type_into(pilot, "#passphrase", "short")
        await type_into(pilot, "#confirm", "short")
        await pilot.press("enter")
        assert "At least 8 characters" in error_text(app)

        await type_into(pilot, "#passphrase", "a new passphrase")
        await type_into(pilot, "#confirm", "a new passphrase")
        await pilot.press("enter")
        await until(pilot, lambda: app.result is not None, "the screen to close")
    assert app.result is True
    assert svc.cache is not None
    await svc.close()
    EncryptedCache.unlock(cache_file, "a new passphrase").close()


async def test_escape_leaves_the_cache_locked(tmp_path: Path):
    svc = service(tmp_path)
    app = unlock_app(svc, first_time=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("escape")
        await until(pilot, lambda: app.result is not None, "the screen to close")
    assert app.result is False
    assert svc.cache is None
    assert not (tmp_path / CACHE_FILE).exists()


async def test_the_screen_speaks_the_officers_language(tmp_path: Path):
    EncryptedCache.create(tmp_path / CACHE_FILE, "passphrase!", KdfParams.fresh(n=2**10)).close()
    app = unlock_app(service(tmp_path), first_time=False, lang="fr")
    async with app.run_test(size=(100, 40)) as pilot:
        await type_into(pilot, "#passphrase", "pas la bonne")
        await pilot.press("enter")
        await until(pilot, lambda: "incorrecte" in error_text(app), "the French error")
        assert "Déverrouiller" in str(app.screen.query_one("#title", Static).render())


async def test_a_passphrase_from_a_file_unlocks_and_a_wrong_one_falls_back_to_asking(
    tmp_path: Path,
):
    EncryptedCache.create(tmp_path / CACHE_FILE, "from the file", KdfParams.fresh(n=2**10)).close()
    wrong = service(tmp_path, given="not it")
    with pytest.raises(NeedsPassphrase) as need:
        await wrong.start()
    assert need.value.first_time is False and wrong.cache is None

    right = service(tmp_path, given="from the file")
    with pytest.raises(NeedsPassword):  # unlocked first; this store has no device yet
        await right.start()
    assert right.cache is not None
    await right.close()


async def test_the_passphrase_is_changed_only_with_the_current_one(tmp_path: Path):
    svc = service(tmp_path)
    await svc.unlock_cache("the first passphrase")  # creates the cache
    assert svc.has_cache
    app = DialogApp(ChangePassphraseScreen(svc, "en"))
    async with app.run_test(size=(100, 40)) as pilot:
        await type_into(pilot, "#current", "not the first one")
        await type_into(pilot, "#new", "the second passphrase")
        await type_into(pilot, "#confirm", "the second passphrase")
        await pilot.press("enter")
        await until(pilot, lambda: "Wrong passphrase" in error_text(app), "the refusal")
        await type_into(pilot, "#current", "the first passphrase")
        await type_into(pilot, "#new", "short")
        await type_into(pilot, "#confirm", "short")
        await pilot.press("enter")
        assert "At least 8 characters" in error_text(app)
        await type_into(pilot, "#new", "the second passphrase")
        await type_into(pilot, "#confirm", "the second passphrase")
        await pilot.press("enter")
        await until(pilot, lambda: app.result is not None, "the screen to close")
    assert app.result is True
    await svc.close()
    with pytest.raises(WrongPassphrase):
        EncryptedCache.unlock(tmp_path / CACHE_FILE, "the first passphrase")
    EncryptedCache.unlock(tmp_path / CACHE_FILE, "the second passphrase").close()
