"""Log in once: the password is used to create this device, then the device is restored."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.i18n import t
from tui.localize import Localized, app_lang


class LoginScreen(Localized, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "key.quit")]
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical { width: 64; height: auto; border: thick $primary;
        background: $surface; padding: 1 2; }
    LoginScreen Input { margin: 1 0; }
    """

    def __init__(self, user_id: str, server: str, lang: str) -> None:
        super().__init__()
        self.user_id = user_id
        self.server = server
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Static(self.user_id)
            yield Input(password=True, id="password")
            yield Button("", variant="primary", id="login")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#password", Input).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; what was typed stays."""
        self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(
            f"[b]{t('login.title', self.lang, server=self.server)}[/b]"
        )
        self.query_one("#password", Input).placeholder = t("login.password", self.lang)
        self.query_one("#login", Button).label = t("login.submit", self.lang)

    def _submit(self) -> None:
        password = self.query_one("#password", Input).value
        if password:
            self.dismiss(password)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self._submit()

    def action_cancel(self) -> None:
        self.dismiss(None)
