"""Unlock this device's encrypted cache, or choose its passphrase the first time.

The screen tries the passphrase itself (scrypt takes most of a second, in the cache's
thread) so that a wrong one is answered in place; it dismisses with True once the cache
is open, False when the officer leaves (the App then quits).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from coopnet.errors import CoopNetError, WrongPassphrase
from tui.i18n import t
from tui.localize import Localized, app_lang
from tui.service import Service

MIN_LENGTH = 8
"""Shortest passphrase accepted for a new cache (scrypt slows guessing, length matters)."""


class UnlockScreen(Localized, ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "key.quit")]
    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 1 2; }
    UnlockScreen Input { margin: 1 0 0 0; }
    UnlockScreen #error { color: $error; height: auto; margin: 1 0 0 0; }
    UnlockScreen #why { color: $text-muted; margin: 1 0 0 0; }
    UnlockScreen Button { margin: 1 1 0 0; }
    """

    def __init__(self, service: Service, first_time: bool, lang: str) -> None:
        super().__init__()
        self.service = service
        self.first_time = first_time
        self.lang = lang
        self._discard_armed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Static(self.service.user_id)
            yield Input(password=True, id="passphrase")
            if self.first_time:
                yield Input(password=True, id="confirm")
            yield Static("", id="error")
            yield Static("", id="why")
            yield Button("", variant="primary", id="submit")
            if not self.first_time:
                yield Button("", variant="error", id="discard")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#passphrase", Input).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; what was typed stays."""
        lang = self.lang = app_lang(self, self.lang)
        title = "unlock.title.new" if self.first_time else "unlock.title"
        self.query_one("#title", Static).update(f"[b]{t(title, lang)}[/b]")
        self.query_one("#passphrase", Input).placeholder = t("unlock.passphrase", lang)
        for confirm in self.query("#confirm").results(Input):
            confirm.placeholder = t("unlock.confirm", lang)
        self.query_one("#why", Static).update(t("unlock.why", lang))
        submit = "unlock.create" if self.first_time else "unlock.submit"
        self.query_one("#submit", Button).label = t(submit, lang)
        for discard in self.query("#discard").results(Button):
            armed = "unlock.forgot_confirm" if self._discard_armed else "unlock.forgot"
            discard.label = t(armed, lang)

    def _error(self, text: str) -> None:
        self.query_one("#error", Static).update(text)

    def _problem(self, passphrase: str) -> str | None:
        """What is wrong with the typed passphrase, before any key is derived."""
        if not passphrase:
            return t("unlock.too_short", self.lang, n=MIN_LENGTH if self.first_time else 1)
        if not self.first_time:
            return None
        if len(passphrase) < MIN_LENGTH:
            return t("unlock.too_short", self.lang, n=MIN_LENGTH)
        if passphrase != self.query_one("#confirm", Input).value:
            return t("unlock.mismatch", self.lang)
        return None

    def _submit(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        problem = self._problem(passphrase)
        if problem is not None:
            self._error(problem)
            return
        self._error(t("unlock.working", self.lang))
        self.query_one("#submit", Button).disabled = True
        self.unlock(passphrase)

    @work(exclusive=True, group="unlock")
    async def unlock(self, passphrase: str) -> None:
        try:
            await self.service.unlock_cache(passphrase)
        except WrongPassphrase:
            self._error(t("unlock.wrong", self.lang))
            field = self.query_one("#passphrase", Input)
            field.value = ""
            field.focus()
            return
        except CoopNetError as exc:
            self._error(str(exc))
            return
        finally:
            self.query_one("#submit", Button).disabled = False
        self.dismiss(True)

    @work(exclusive=True, group="unlock")
    async def discard(self) -> None:
        try:
            await self.service.discard_cache()
        except OSError as exc:
            self._error(str(exc))
            return
        self.first_time = True  # the same screen now asks for a new passphrase
        await self.recompose()
        self.relabel()
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "passphrase" and self.first_time:
            self.query_one("#confirm", Input).focus()
            self._error(t("unlock.confirm_hint", self.lang))
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self._submit()
        elif event.button.id == "discard":
            if self._discard_armed:
                self.discard()
            else:
                self._discard_armed = True
                self.relabel()

    def action_cancel(self) -> None:
        self.dismiss(False)
