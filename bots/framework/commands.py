"""Commands registered with a decorator; parsing and help text (pure).

    class MyBot(Bot):
        @command("status", help="show the consultation's stage and deadlines")
        async def status(self, ctx: CommandContext) -> str: ...

A message ``!consult status`` calls it; ``!consult help`` lists every command from
the decorators.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from coopnet.errors import CoopNetError

COMMAND_ATTRIBUTE = "_coopnet_command"


class CommandError(CoopNetError):
    """A command was used wrongly; the message is shown to the officer."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help: str
    usage: str = ""
    min_args: int = 0
    max_args: int | None = None


@dataclass(frozen=True)
class CommandContext:
    room_id: str
    sender: str
    event_id: str
    args: list[str]
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Any, CommandContext], Awaitable[str | None]]


def command(
    name: str, help: str, usage: str = "", min_args: int = 0, max_args: int | None = None
) -> Callable[[Handler], Handler]:
    """Mark a bot method as the handler of ``!<prefix> <name>``."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, COMMAND_ATTRIBUTE, CommandSpec(name, help, usage, min_args, max_args))
        return handler

    return mark


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    args: list[str]


def parse(body: str, prefix: str) -> ParsedCommand | CommandError | None:
    """``!prefix name args…`` -> the command; None when the text is not for this bot."""
    text = body.strip()
    head = f"!{prefix}"
    if text != head and not text.startswith(head + " "):
        return None
    try:
        words = shlex.split(text[len(head) :])
    except ValueError as exc:
        return CommandError(f"cannot read the command: {exc}")
    if not words:
        return ParsedCommand("help", [])
    return ParsedCommand(words[0].lower(), words[1:])


class CommandTable:
    """The commands of one bot class, found from its decorated methods."""

    def __init__(self, prefix: str, owner: type) -> None:
        self.prefix = prefix
        self.specs: dict[str, tuple[CommandSpec, str]] = {}
        for attribute in dir(owner):
            spec = getattr(getattr(owner, attribute, None), COMMAND_ATTRIBUTE, None)
            if isinstance(spec, CommandSpec):
                self.specs[spec.name] = (spec, attribute)

    def resolve(self, parsed: ParsedCommand) -> tuple[CommandSpec, str]:
        found = self.specs.get(parsed.name)
        if found is None:
            raise CommandError(f"unknown command {parsed.name!r}; try '!{self.prefix} help'")
        spec, attribute = found
        count = len(parsed.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise CommandError(f"usage: !{self.prefix} {spec.name} {spec.usage}".rstrip())
        return spec, attribute

    def help_text(self) -> str:
        lines = [f"Commands (!{self.prefix} …):"]
        for name in sorted(self.specs):
            spec, _ = self.specs[name]
            usage = f"!{self.prefix} {name} {spec.usage}".rstrip()
            lines.append(f"  {usage}\n      {spec.help}")
        return "\n".join(lines)
