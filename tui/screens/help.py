"""Help: what each key does and where things are, in the interface language.

The help is data (sections of keys and label keys), not prose in one language, so every
line follows the language the officer chose. Right-to-left text is wrapped to the width
it is drawn at *before* it is reordered for the terminal: a reordered line wrapped by
the terminal afterwards would read its lines bottom to top.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import has_rtl, text, wrapped
from tui.localize import Localized, app_lang

# (title, paragraph, ((keys, label key), ...)) per section; title or paragraph may be None
SECTIONS: tuple[tuple[str | None, str | None, tuple[tuple[str, str], ...]], ...] = (
    (
        "help.list",
        "help.list.about",
        (
            ("Enter", "help.list.open"),
            ("/", "help.list.filter"),
            ("esc", "key.clear_filter"),
            ("ctrl+n", "help.list.new"),
        ),
    ),
    (
        "help.consultation",
        "help.consultation.about",
        (
            ("Enter", "help.consultation.send"),
            ("Tab  ↑ ↓", "help.consultation.timeline"),
            ("r  ctrl+r", "help.consultation.reply"),
            ("Enter  i", "help.consultation.card"),
            ("Home ctrl+u  End", "help.consultation.earlier"),
            ("ctrl+s", "help.consultation.structured"),
            ("ctrl+o", "help.consultation.attach"),
            ("ctrl+g  s  a", "help.consultation.documents"),
            ("ctrl+o  ctrl+r", "help.consultation.lists"),
            ("ctrl+t  v", "help.consultation.devices"),
            ("ctrl+b", "help.consultation.panel"),
            ("ctrl+f", "help.consultation.search"),
            ("ctrl+y  ctrl+n", "help.consultation.library"),
            ("s", "help.consultation.share"),
            ("f6", "help.consultation.grant"),
            ("esc", "help.consultation.back"),
        ),
    ),
    (None, "help.consultation.banner", ()),
    (
        "help.everywhere",
        None,
        (
            ("ctrl+f", "help.everywhere.search"),
            ("ctrl+d", "help.everywhere.directory"),
            ("ctrl+l", "help.everywhere.language"),
            ("ctrl+p", "help.everywhere.palette"),
            ("f1", "help.everywhere.help"),
            ("ctrl+q", "key.quit"),
        ),
    ),
    ("help.security", "help.security.about", ()),
    (None, "help.security.cache", ()),
)
"""What the help says; every text is a label key of ``tui/labels.json``."""

KEYS_WIDTH = max(len(keys) for _, _, rows in SECTIONS for keys, _ in rows)


def help_keys() -> list[str]:
    """Every label key the help shows."""
    out = ["help.heading"]
    for title, about, rows in SECTIONS:
        out += [k for k in (title, about) if k] + [key for _, key in rows]
    return out


def _text(key: str, lang: str, width: int, style: str = "") -> Text:
    """A label as the terminal must draw it at ``width`` columns."""
    logical = text(key, lang)
    return Text(
        wrapped(logical, width), style=style, justify="right" if has_rtl(logical) else "left"
    )


def render_help(lang: str, width: int) -> RenderableType:
    """The help in ``lang`` for ``width`` columns."""
    width = max(width, 20)
    parts: list[RenderableType] = [_text("help.heading", lang, width, "bold underline"), Text("")]
    for title, about, rows in SECTIONS:
        if title:
            parts.append(_text(title, lang, width, "bold"))
        if about:
            parts.append(_text(about, lang, width))
        if rows:
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True, width=KEYS_WIDTH)
            table.add_column(ratio=1)
            for keys, key in rows:
                table.add_row(keys, _text(key, lang, width - KEYS_WIDTH - 2))
            parts.append(table)
        if title is None or rows:
            parts.append(Text(""))
    return Group(*parts)


class HelpScreen(Localized, ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", "key.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, lang: str = "en") -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="help")

    def on_mount(self) -> None:
        self.call_after_refresh(self.relabel)

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self.relabel)

    def relabel(self) -> None:
        """Draw the help in the app's (new) language at the current width."""
        self.lang = app_lang(self, self.lang)
        scroll = self.query_one(VerticalScroll)
        width = scroll.scrollable_content_region.width - 1  # room for a scroll bar
        self.query_one("#help", Static).update(render_help(self.lang, width))

    def action_close(self) -> None:
        self.dismiss(None)
