"""The consultation list: case, counterpart, kind, stage, next deadline, unread; by urgency."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.i18n import day, t, value_label
from tui.model import Consultation, urgency
from tui.service import Service

URGENCY_STYLE = {"overdue": "bold red", "near": "bold yellow", "pending": "", "none": "dim"}


class ConsultationsScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Open", show=True, priority=False),
        Binding("ctrl+n", "new", "New consultation"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service
        self._shown: list[Consultation] = []

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=t("filter.placeholder", self.lang), id="filter")
        yield DataTable(id="consultations", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("list.title", self.lang)
        self.refresh_list()
        self.query_one(DataTable).focus()

    def relabel(self) -> None:
        self.title = t("list.title", self.lang)
        self.query_one("#filter", Input).placeholder = t("filter.placeholder", self.lang)
        self.refresh_list()

    def _matches(self, consultation: Consultation, needle: str, stage: str) -> bool:
        if not needle:
            return True
        hay = " ".join(
            [consultation.case_ref, consultation.counterpart() or "", stage,
             str(consultation.kind or "")]
        ).casefold()
        return all(word in hay for word in needle.casefold().split())

    def refresh_list(self) -> None:
        table = self.query_one(DataTable)
        lang = self.lang
        selected = self.selected_room()
        table.clear(columns=True)
        for key in ("col.case", "col.counterpart", "col.kind", "col.stage", "col.deadline",
                    "col.unread"):
            table.add_column(t(key, lang), key=key)
        needle = self.query_one("#filter", Input).value.strip()
        today = self.service.today()
        authority_of = self.service.authority_of
        self._shown = []
        for consultation in self.service.consultations():
            stage = consultation.stage(today, authority_of)
            stage_text = (
                t("state.invited", lang) if consultation.invited
                else value_label(stage, lang) if stage else t("state.opening", lang)
            )
            if not self._matches(consultation, needle, stage_text):
                continue
            deadline = consultation.next_deadline(today, authority_of)
            state = urgency(deadline, today)
            if deadline is None:
                due = Text("—", style="dim")
            else:
                left = (deadline.due - today).days
                note = t("deadline.overdue", lang) if left < 0 else t(
                    "deadline.days_left", lang, days=left
                )
                due = Text(f"{day(deadline.due, lang)} ({note})", style=URGENCY_STYLE[state])
            kind = value_label(consultation.kind, lang) if consultation.kind else ""
            unread = Text(str(consultation.unread), style="bold") if consultation.unread else ""
            table.add_row(
                Text(consultation.case_ref, style="bold" if consultation.invited else ""),
                consultation.counterpart() or "", kind, stage_text, due, unread,
                key=consultation.room_id,
            )
            self._shown.append(consultation)
        if selected is not None:
            for index, consultation in enumerate(self._shown):
                if consultation.room_id == selected:
                    table.move_cursor(row=index, animate=False)
        self.query_one("#status", Static).update(
            f"{len(self._shown)}/{len(self.service.rooms)} · {self.service.user_id} · "
            + t(f"conn.{self.service.connection.value}", lang)
        )

    def selected_room(self) -> str | None:
        table = self.query_one(DataTable)
        if not self._shown or table.cursor_row is None:
            return None
        if 0 <= table.cursor_row < len(self._shown):
            return self._shown[table.cursor_row].room_id
        return None

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.refresh_list()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.open_consultation(event.row_key.value)  # type: ignore[attr-defined]

    def action_open(self) -> None:
        room = self.selected_room()
        if room is not None:
            self.app.open_consultation(room)  # type: ignore[attr-defined]

    def action_new(self) -> None:
        self.app.new_consultation()  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one(DataTable).focus()
