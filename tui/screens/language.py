"""Switch the interface and card language at run time (the six UN languages)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.i18n import LANGUAGES, show, t
from tui.localize import Localized

NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}


class LanguageScreen(Localized, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]
    DEFAULT_CSS = """
    LanguageScreen { align: center middle; }
    LanguageScreen > Vertical { width: 40; height: auto; border: thick $primary;
        background: $surface; padding: 0 1; }
    LanguageScreen OptionList { height: auto; }
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{t('language.title', self.lang)}[/b]")
            yield OptionList(
                *[Option(f"{code}  {show(NAMES[code])}", id=code) for code in LANGUAGES]
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = LANGUAGES.index(self.lang)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
