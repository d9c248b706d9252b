"""Change the passphrase of this device's encrypted cache (the current one is asked).

Only the wrapped key changes, so this is quick whatever the cache holds. Dismisses with
True once changed, False when the officer leaves.
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
from tui.screens.unlock import MIN_LENGTH
from tui.service import Service


class ChangePassphraseScreen(Localized, ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]
    DEFAULT_CSS = """
    ChangePassphraseScreen { align: center middle; }
    ChangePassphraseScreen > Vertical { width: 72; max-width: 100%; height: auto;
        max-height: 100%; border: thick $primary; background: $surface; padding: 1 2; }
    ChangePassphraseScreen Input { margin: 1 0 0 0; }
    ChangePassphraseScreen #error { color: $error; height: auto; margin: 1 0 0 0; }
    ChangePassphraseScreen Button { margin: 1 1 0 0; }
    """

    def __init__(self, service: Service, lang: str) -> None:
        super().__init__()
        self.service = service
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Input(password=True, id="current")
            yield Input(password=True, id="new")
            yield Input(password=True, id="confirm")
            yield Static("", id="error")
            yield Button("", variant="primary", id="submit")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#current", Input).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; what was typed stays."""
        lang = self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('passphrase.title', lang)}[/b]")
        self.query_one("#current", Input).placeholder = t("passphrase.current", lang)
        self.query_one("#new", Input).placeholder = t("passphrase.new", lang)
        self.query_one("#confirm", Input).placeholder = t("unlock.confirm", lang)
        self.query_one("#submit", Button).label = t("passphrase.submit", lang)

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def _error(self, text: str) -> None:
        self.query_one("#error", Static).update(text)

    def _submit(self) -> None:
        new = self._value("new")
        if len(new) < MIN_LENGTH:
            self._error(t("unlock.too_short", self.lang, n=MIN_LENGTH))
        elif new != self._value("confirm"):
            self._error(t("unlock.mismatch", self.lang))
        else:
            self._error(t("unlock.working", self.lang))
            self.change(self._value("current"), new)

    @work(exclusive=True, group="passphrase")
    async def change(self, current: str, new: str) -> None:
        try:
            await self.service.change_cache_passphrase(current, new)
        except WrongPassphrase:
            self._error(t("unlock.wrong", self.lang))
            self.query_one("#current", Input).focus()
            return
        except CoopNetError as exc:
            self._error(str(exc))
            return
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        following = {"current": "#new", "new": "#confirm"}.get(event.input.id or "")
        if following is None:
            self._submit()
        else:
            self.query_one(following, Input).focus()

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self._submit()

    def action_cancel(self) -> None:
        self.dismiss(False)
