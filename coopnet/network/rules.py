"""The local network's consultation rules, read from ``network.json``: what the steward
signs into the directory (:class:`coopnet.trust.directory.Rules`) so that every bot and
client folds a consultation with the same settings."""

from __future__ import annotations

from coopnet.consultation import ConsultationSettings
from coopnet.errors import NetworkError
from coopnet.network.model import Network
from coopnet.protocol.handling import parse_entries
from coopnet.trust.directory import Rules


def network_settings(network: Network) -> ConsultationSettings:
    """The settings ``network.json`` sets; a bad handling entry is refused, named."""
    handling = None
    if network.handling_defaults:
        parsed = parse_entries(network.handling_defaults)
        if isinstance(parsed, list):
            raise NetworkError(f"{network.file}: " + "; ".join(str(p) for p in parsed))
        handling = parsed
    return ConsultationSettings(
        progress_answer_working_days=network.progress_answer_working_days,
        handling=handling,
    )


def network_rules(network: Network) -> Rules:
    """What the steward signs into the directory for ``network.json``'s settings."""
    return network_settings(network).to_rules(tuple(network.handling_defaults))
