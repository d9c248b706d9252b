"""Log in once: the password is used to create this device, then the device is restored."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.i18n import t


class LoginScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Quit")]
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
            yield Static(f"[b]{t('login.title', self.lang, server=self.server)}[/b]")
            yield Static(self.user_id)
            yield Input(password=True, placeholder=t("login.password", self.lang), id="password")
            yield Button(t("login.submit", self.lang), variant="primary", id="login")

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

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
