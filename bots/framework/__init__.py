"""A small bot framework on :mod:`coopnet.matrix`, shaped like a maubot plugin.

A bot subclasses :class:`~bots.framework.base.Bot`, registers ``!prefix`` commands with
:func:`~bots.framework.commands.command`, and implements :meth:`handle_event`.
"""

from bots.framework.base import Bot, BotConfig
from bots.framework.commands import CommandContext, CommandError, command

__all__ = ["Bot", "BotConfig", "CommandContext", "CommandError", "command"]
