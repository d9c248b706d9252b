"""Pick which structured exchange to fill in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from coopnet.protocol import Event
from coopnet.protocol.labels import event_label
from tui.forms import FORM_CLASSES
from tui.i18n import show, t
from tui.localize import Localized, app_lang


class ChooseEventScreen(Localized, ModalScreen[type[Event] | None]):
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]
    DEFAULT_CSS = """
    ChooseEventScreen { align: center middle; }
    ChooseEventScreen > Vertical { width: 60; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1; }
    ChooseEventScreen OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, lang: str, classes_: tuple[type[Event], ...] = FORM_CLASSES) -> None:
        super().__init__()
        self.lang = lang
        self.choices = classes_

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield OptionList()

    def on_mount(self) -> None:
        self.relabel()
        self.query_one(OptionList).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; the highlighted choice stays."""
        self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('form.choose', self.lang)}[/b]")
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            [Option(show(event_label(c.TYPE, self.lang)), id=c.TYPE) for c in self.choices]
        )
        options.highlighted = 0 if highlighted is None else highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next(c for c in self.choices if c.TYPE == event.option.id)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
