"""A form for one structured exchange; only a valid event is returned (and then sent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, TextArea

from coopnet.protocol import Event
from coopnet.protocol.fields import (
    Boolean,
    Choice,
    Day,
    Instant,
    Integer,
    ListOf,
    PartialDay,
    Text,
)
from coopnet.protocol.labels import event_label
from tui.forms import FieldDef, GroupDef, assemble, convert, place, validate, walk, widget_id
from tui.i18n import field_label, label, show, t, value_label
from tui.localize import Localized

Check = Callable[[Event], dict[str, list[str]]]
"""An extra check after validation (e.g. the stage machine); field path → errors."""

PLACEHOLDERS = {Day: "YYYY-MM-DD", PartialDay: "YYYY[-MM[-DD]]", Instant: "YYYY-MM-DDThh:mm:ssZ"}


class EventFormScreen(Localized, ModalScreen[Event | None]):
    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("ctrl+s", "submit", "key.send"),
    ]
    DEFAULT_CSS = """
    EventFormScreen { align: center middle; }
    EventFormScreen > Vertical { width: 90%; max-width: 110; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    EventFormScreen .group { border-top: solid $secondary; margin-top: 1; color: $secondary; }
    EventFormScreen .field-label { margin-top: 1; }
    EventFormScreen .required { text-style: bold; }
    EventFormScreen .field-error { color: $error; display: none; }
    EventFormScreen .field-error.shown { display: block; }
    EventFormScreen TextArea { height: 4; }
    EventFormScreen SelectionList { height: auto; max-height: 8; }
    EventFormScreen #form-errors { color: $error; }
    EventFormScreen #buttons { height: auto; align-horizontal: right; }
    """

    def __init__(
        self,
        cls: type[Event],
        lang: str,
        prefill: dict[str, Any] | None = None,
        check: Check | None = None,
    ) -> None:
        super().__init__()
        self.cls = cls
        self.lang = lang
        self.prefill = prefill or {}
        self.check = check
        self.defs = [d for d in walk(cls)]
        self.paths = {d.path for d in self.defs}

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical():
            event = show(event_label(self.cls.TYPE, lang))
            yield Static(f"[b]{t('form.title', lang, event=event)}[/b]")
            yield Static("", id="form-errors")
            with VerticalScroll(id="fields"):
                for d in self.defs:
                    yield from self._compose_def(d)
            with Horizontal(id="buttons"):
                yield Button(t("form.cancel", lang), id="cancel")
                yield Button(t("form.send", lang), id="send", variant="primary")

    def _compose_def(self, d: FieldDef | GroupDef) -> ComposeResult:
        text = show(field_label(d.name, self.lang)) + (" *" if d.required else "")
        indent = "  " * d.depth
        if isinstance(d, GroupDef):
            yield Label(indent + text, classes="group")
            yield Static("", id=widget_id(d.path) + "-error", classes="field-error")
            return
        hint = ""
        if isinstance(d.spec, ListOf) and not isinstance(d.spec.item, Choice):
            hint = f"  ({t('form.list_hint', self.lang)})"
        classes = "field-label" + (" required" if d.required else "")
        yield Label(indent + text + hint, classes=classes)
        yield self._input(d)
        yield Static("", id=widget_id(d.path) + "-error", classes="field-error")

    def _input(self, d: FieldDef) -> Widget:
        spec, wid, value = d.spec, widget_id(d.path), self.prefill.get(d.path)
        if isinstance(spec, Choice):
            options = [(show(value_label(m, self.lang)), m.value) for m in spec.enum]
            return Select(options, id=wid, allow_blank=True, value=value or Select.NULL,
                          prompt="—")
        if isinstance(spec, Boolean):
            yes_no: list[tuple[str, bool]] = [
                (label("ui.yes", self.lang), True),
                (label("ui.no", self.lang), False),
            ]
            return Select(yes_no, id=wid, allow_blank=True,
                          value=Select.NULL if value is None else value, prompt="—")
        if isinstance(spec, ListOf) and isinstance(spec.item, Choice):
            chosen = set(value or ())
            return SelectionList[str](
                *[(show(value_label(m, self.lang)), m.value, m.value in chosen)
                  for m in spec.item.enum],
                id=wid,
            )
        if isinstance(spec, ListOf) or (isinstance(spec, Text) and spec.multiline):
            text = "\n".join(value) if isinstance(value, list | tuple) else (value or "")
            return TextArea(str(text), id=wid, soft_wrap=True, show_line_numbers=False)
        placeholder = PLACEHOLDERS.get(type(spec), "")
        input_type: Literal["integer", "text"] = "integer" if isinstance(spec, Integer) else "text"
        return Input("" if value is None else str(value), id=wid, placeholder=placeholder,
                     type=input_type)

    # ------------------------------------------------------------ values
    def _raw(self, d: FieldDef) -> Any:
        widget = self.query_one(f"#{widget_id(d.path)}")
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        if isinstance(widget, SelectionList):
            return list(widget.selected)
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Input):
            return widget.value
        return None  # pragma: no cover

    def content(self) -> dict[str, Any]:
        values = {
            d.path: convert(d.spec, self._raw(d)) for d in self.defs if isinstance(d, FieldDef)
        }
        return assemble(values)

    def set_value(self, path: str, value: Any) -> None:
        """Fill one field (tests and prefill use it)."""
        widget = self.query_one(f"#{widget_id(path)}")
        if isinstance(widget, Select | Input):
            widget.value = value
        elif isinstance(widget, TextArea):
            widget.text = "\n".join(value) if isinstance(value, list | tuple) else str(value)
        elif isinstance(widget, SelectionList):
            widget.deselect_all()
            for item in value:
                widget.select(item)

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for widget in self.query(".field-error"):
            widget.remove_class("shown")
        known = {d.path for d in self.defs}
        general = []
        for path, details in errors.items():
            where = place(path, known)
            text = "; ".join(details)
            if where:
                error = self.query_one(f"#{widget_id(where)}-error", Static)
                error.update(f"⚠ {text}" if where == path else f"⚠ {path}: {text}")
                error.add_class("shown")
            else:
                general.append(f"{path or '(form)'}: {text}")
        summary = t("form.invalid", self.lang, count=len(errors))
        self.query_one("#form-errors", Static).update(
            "\n".join([summary, *general])
        )
        first = next(iter(errors))
        target = place(first, known)
        if target:
            try:
                widget = self.query_one(f"#{widget_id(target)}")
                widget.focus()
                self.query_one("#fields", VerticalScroll).scroll_to_widget(widget)
            except Exception:  # noqa: BLE001 - a group has no input to focus
                pass

    # ------------------------------------------------------------ actions
    def action_submit(self) -> None:
        result = validate(self.cls, self.content())
        if isinstance(result, dict):
            self.show_errors(result)
            return
        if self.check is not None:
            problems = self.check(result)
            if problems:
                self.show_errors(problems)
                return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_submit()
        else:
            self.action_cancel()


def today_iso() -> str:
    return dt.date.today().isoformat()
