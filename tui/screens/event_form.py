"""A form for one structured exchange; only a valid event is returned (and then sent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, SelectionList, Static

from coopnet.protocol import Event
from coopnet.protocol.labels import event_label
from coopnet.stages import ground_warnings
from tui.forms import Collected, ListDef, collect, flatten, place, validate, walk, widget_id
from tui.i18n import show, t
from tui.localize import Localized, app_lang
from tui.widgets.form_fields import INPUT, compose_defs, read_values, rule_text, write_input

Check = Callable[[Event], dict[str, list[str]]]
"""An extra check after validation (e.g. the stage machine); field path → errors."""


class EventFormScreen(Localized, ModalScreen[Event | None]):
    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("ctrl+s", "submit", "key.send"),
    ]
    DEFAULT_CSS = """
    EventFormScreen { align: center middle; }
    EventFormScreen > Vertical { width: 90%; max-width: 110; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    EventFormScreen #form-keys { color: $text-muted; }
    EventFormScreen .group { border-top: solid $secondary; margin-top: 1; color: $secondary; }
    EventFormScreen .field-label { margin-top: 1; }
    EventFormScreen .required { text-style: bold; }
    EventFormScreen .field-error { color: $error; display: none; }
    EventFormScreen .field-error.shown { display: block; }
    EventFormScreen .field-rule { color: $warning; display: none; }
    EventFormScreen .field-rule.shown { display: block; }
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
        self.prefill = flatten(cls, prefill or {})
        self.check = check

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical():
            event = show(event_label(self.cls.TYPE, lang))
            yield Static(f"[b]{t('form.title', lang, event=event)}[/b]")
            lists = any(isinstance(d, ListDef) for d in walk(self.cls))
            keys = t("form.keys_lists" if lists else "form.keys", lang)
            yield Static(keys, id="form-keys", markup=False)
            yield Static("", id="form-errors", markup=False)
            with VerticalScroll(id="fields"):
                yield from compose_defs(walk(self.cls), self.prefill, lang)
            with Horizontal(id="buttons"):
                yield Button(t("form.cancel", lang), id="cancel")
                yield Button(t("form.send", lang), id="send", variant="primary")

    def relabel(self) -> None:
        """Draw the form again in the app's (new) language; what was typed stays."""
        self.prefill = self.values()
        self.lang = app_lang(self, self.lang)
        self.run_worker(self.recompose(), group="relabel", exclusive=True)

    # ------------------------------------------------------------ values
    def values(self) -> dict[str, Any]:
        """Every value as typed, by path (``names[1].family``)."""
        return read_values(self.query_one("#fields", VerticalScroll))

    def collected(self) -> Collected:
        return collect(self.cls, self.values())

    def content(self) -> dict[str, Any]:
        """The content the form would send (blank fields and entries left out)."""
        return self.collected().content

    def set_value(self, path: str, value: Any) -> None:
        """Fill one field (tests and prefill use it); list entries must be there."""
        write_input(self.query_one(f"#{widget_id(path)}"), value)

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Each error on its field, entry, list or group; the rest above the fields."""
        for widget in self.query(".field-error"):
            widget.remove_class("shown")
        known = {w.name for w in self.query(".field-error") if w.name}
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
        self.query_one("#form-errors", Static).update("\n".join([summary, *general]))
        target = place(next(iter(errors)), known)
        if target:
            self._focus_at(target)

    def _focus_at(self, path: str) -> None:
        """Focus the input at ``path``, or the first one under a group, list or entry."""
        for widget in self.query(f".{INPUT}, .add-entry"):
            name = widget.name or ""
            if widget.focusable and (
                name == path
                or name.startswith((path + ".", path + "["))
                or (widget.has_class("add-entry") and _in_list(widget, path))
            ):
                widget.focus()
                return

    # ------------------------------------------------------------ actions
    def action_submit(self) -> None:
        collected = self.collected()
        result = validate(self.cls, collected.content)
        if isinstance(result, dict):
            errors: dict[str, list[str]] = {}
            for path, details in result.items():
                errors.setdefault(collected.form_path(path), []).extend(details)
            self.show_errors(errors)
            return
        if self.check is not None:
            problems = self.check(result)
            if problems:
                self.show_errors(problems)
                return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        """Choosing a refusal ground shows the rule it calls for (UNTOC 16(15), 18(22))."""
        path = event.selection_list.name
        rules = [w for w in self.query(".field-rule") if w.name == path]
        chosen = list(event.selection_list.selected)
        for line in rules:
            assert isinstance(line, Static)
            line.update(rule_text(chosen, self.lang))
            line.set_class(bool(ground_warnings(chosen)), "shown")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_submit()
        elif event.button.id == "cancel":
            self.action_cancel()


def _in_list(widget: Widget, path: str) -> bool:
    """Whether ``widget`` (an Add button) belongs to the list at ``path``."""
    parent = widget.parent
    return parent is not None and getattr(parent, "name", None) == path


def today_iso() -> str:
    return dt.date.today().isoformat()
