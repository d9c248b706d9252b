"""The recovery key in the client: entered on a new device, shown or replaced on a trusted one.

:class:`RecoveryKeyScreen` asks for the key on a device that cannot read the earlier
messages (three tries, each refusal said in place with its reason, nothing changed by a
wrong key); it dismisses with what the restore did, or None when the officer leaves it
for later. :class:`RecoveryShownScreen` shows the key of a device that holds it, with
the warning to keep it offline, and replaces it on a second, confirming press (the new
key is shown this once).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from coopnet.errors import CoopNetError, RecoveryError
from tui.i18n import t
from tui.localize import Localized, app_lang
from tui.service import Restored, Service

TRIES = 3

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 80; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 1 2; }}
{name} Input {{ margin: 1 0 0 0; }}
{name} #error {{ color: $error; height: auto; margin: 1 0 0 0; }}
{name} #why, {name} #warning {{ margin: 1 0 0 0; }}
{name} #warning {{ color: $warning; }}
{name} #key {{ text-style: bold; margin: 1 0 0 0; }}
{name} Horizontal {{ height: auto; }}
{name} Button {{ margin: 1 1 0 0; }}
"""


class RecoveryKeyScreen(Localized, ModalScreen[Restored | None]):
    BINDINGS = [Binding("escape", "later", "key.close")]
    DEFAULT_CSS = _CSS.format(name="RecoveryKeyScreen")

    def __init__(self, service: Service, lang: str) -> None:
        super().__init__()
        self.service = service
        self.lang = lang
        self.tries = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Static("", id="why")
            yield Input(password=True, id="recovery-key")
            yield Static("", id="error")
            with Horizontal():
                yield Button("", variant="primary", id="submit")
                yield Button("", id="later")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one(Input).focus()

    def relabel(self) -> None:
        lang = self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('recovery.title', lang)}[/b]")
        self.query_one("#why", Static).update(t("recovery.why", lang))
        self.query_one(Input).placeholder = t("recovery.placeholder", lang)
        self.query_one("#submit", Button).label = t("recovery.submit", lang)
        self.query_one("#later", Button).label = t("recovery.later", lang)

    def _error(self, text: str) -> None:
        self.query_one("#error", Static).update(text)

    def _submit(self) -> None:
        field = self.query_one(Input)
        if self.tries >= TRIES or not field.value.strip():
            return
        self._error(t("recovery.working", self.lang))
        self.query_one("#submit", Button).disabled = True
        self.unlock(field.value)

    @work(exclusive=True, group="recovery")
    async def unlock(self, recovery_key: str) -> None:
        try:
            restored = await self.service.unlock_recovery(recovery_key)
        except RecoveryError as exc:
            self.tries += 1
            field = self.query_one(Input)
            field.value = ""
            text = t("recovery.refused", self.lang, n=self.tries, total=TRIES, detail=exc)
            if self.tries >= TRIES:
                text += "\n" + t("recovery.no_more", self.lang)
                field.disabled = True
                self.query_one("#later", Button).focus()
            else:
                self.query_one("#submit", Button).disabled = False
                field.focus()
            self._error(text)
            return
        except CoopNetError as exc:
            self._error(t("error.recovery", self.lang, detail=exc))
            self.query_one("#submit", Button).disabled = False
            return
        self.dismiss(restored)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self._submit()
        else:
            self.action_later()

    def action_later(self) -> None:
        self.dismiss(None)


class RecoveryShownScreen(Localized, ModalScreen[None]):
    """The recovery key of this (trusted) device, with how to keep it; Replace twice
    makes a new one."""

    BINDINGS = [Binding("escape", "close", "key.close")]
    DEFAULT_CSS = _CSS.format(name="RecoveryShownScreen")

    def __init__(self, service: Service, recovery_key: str, lang: str) -> None:
        super().__init__()
        self.service = service
        self.recovery_key = recovery_key
        self.lang = lang
        self.replaced = False
        self._armed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Static("", id="key")
            yield Static("", id="warning")
            yield Static("", id="error")
            with Horizontal():
                yield Button("", id="close")
                yield Button("", variant="error", id="replace")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#close", Button).focus()

    def relabel(self) -> None:
        lang = self.lang = app_lang(self, self.lang)
        title = t("recovery.replaced" if self.replaced else "recovery.shown.title", lang)
        self.query_one("#title", Static).update(f"[b]{title}[/b]")
        self.query_one("#key", Static).update(self.recovery_key)
        self.query_one("#warning", Static).update(t("recovery.shown.warning", lang))
        self.query_one("#close", Button).label = t("key.close", lang)
        armed = "recovery.replace_confirm" if self._armed else "recovery.replace"
        self.query_one("#replace", Button).label = t(armed, lang)

    @work(exclusive=True, group="recovery")
    async def replace(self) -> None:
        button = self.query_one("#replace", Button)
        button.disabled = True
        try:
            self.recovery_key = await self.service.replace_recovery_key()
        except CoopNetError as exc:
            self.query_one("#error", Static).update(t("error.recovery", self.lang, detail=exc))
            button.disabled = False
            return
        self.replaced, self._armed = True, False
        self.relabel()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "close":
            self.action_close()
        elif self._armed:
            self.replace()
        else:
            self._armed = True
            self.relabel()

    def action_close(self) -> None:
        self.dismiss(None)
