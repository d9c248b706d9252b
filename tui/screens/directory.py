"""The directory: authorities, contact points, profiles; start a consultation from here."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from coopnet.consultation import Party
from coopnet.protocol import RequirementsAnswer
from coopnet.protocol.vocab import Kind
from tui.directory import Directory
from tui.i18n import show, t, text, value_label
from tui.localize import Localized
from tui.widgets.cards import field_table
from tui.widgets.keybar import KeyBar


def _area(area: str, lang: str) -> str:
    try:
        return value_label(Kind(area), lang)
    except ValueError:
        return area


def render_authority(authority: Party, profile: RequirementsAnswer | None, lang: str) -> Group:
    rows: list[RenderableType] = [
        Text(show(authority.name), style="bold"),
        Text(show(f"{text('directory.state', lang)}: {authority.state}")),
        Text(f"{t('directory.server', lang)}: {authority.server_name}"),
        Text(
            f"{t('directory.language', lang)}: "
            + ", ".join(authority.languages or (authority.language,))
        ),
    ]
    if authority.areas:
        rows.append(
            Text(
                show(
                    f"{text('directory.areas', lang)}: "
                    + ", ".join(_area(a, lang) for a in authority.areas)
                )
            )
        )
    rows += [
        Text(""),
        Text(t("directory.officers", lang), style="bold underline"),
        *[Text(f"{c.display_name}  {c.user_id}") for c in authority.officers],
    ]
    if authority.bot:
        rows.append(Text(show(f"{text('directory.bot', lang)}  {authority.bot}"), style="dim"))
    if authority.contacts:
        rows += [Text(""), Text(t("directory.contacts", lang), style="bold underline")]
        for contact in authority.contacts:
            reach = "  ".join(x for x in (contact.user_id, contact.email, contact.phone) if x)
            rows.append(Text(show(f"{contact.role} · {contact.hours}  {reach}")))
    rows += [Text(""), Text(t("directory.profile", lang), style="bold underline")]
    if profile is None:
        rows.append(Text(t("directory.no_profile", lang), style="dim"))
    else:
        if profile.illustrative:
            rows.append(Text(t("directory.illustrative", lang), style="italic yellow"))
        rows.append(field_table(profile, lang))
    return Group(*rows)


class DirectoryScreen(Localized, Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("ctrl+n", "new", "key.new_with"),
    ]

    def __init__(self, directory: Directory, own: str | None) -> None:
        super().__init__()
        self.directory = directory
        self.own = own

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="authorities", cursor_type="row")
            with VerticalScroll(id="detail-scroll"):
                yield Static("", id="detail")
        yield Static("", id="source")
        yield KeyBar()

    def on_mount(self) -> None:
        self.relabel()
        self.query_one(DataTable).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language."""
        lang = self.lang
        self.title = t("directory.title", lang)
        self.query_one("#source", Static).update(
            t("directory.source", lang, source=self.directory.source)
        )
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns("id", t("directory.state", lang), t("directory.server", lang))
        for authority in self.directory.members():
            table.add_row(
                authority.authority_id,
                authority.state,
                authority.server_name,
                key=authority.authority_id,
            )
        table.move_cursor(row=max(row, 0), animate=False)
        self._show(max(row, 0))

    def _show(self, index: int) -> None:
        members = self.directory.members()
        if 0 <= index < len(members):
            party = members[index]
            self.query_one("#detail", Static).update(
                render_authority(party, self.directory.profile(party.authority_id), self.lang)
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def selected(self) -> Party | None:
        members = self.directory.members()
        row = self.query_one(DataTable).cursor_row
        return members[row] if 0 <= row < len(members) else None

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_new()

    def action_new(self) -> None:
        authority = self.selected()
        if authority is not None and authority.authority_id != self.own:
            self.app.new_consultation(authority.authority_id)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
