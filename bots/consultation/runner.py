"""Build and run one authority's consultation bot from the network map."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from bots.consultation.bot import ConsultationBot, utc_today
from bots.consultation.members import Members
from bots.framework import BotConfig
from coopnet.errors import CoopNetError
from coopnet.network import Network, botproc
from coopnet.network.trust import device_policy

log = logging.getLogger(__name__)

# Where an authority's bot keeps its files: one definition, shared with ``net up``.
records_path = botproc.records_db
signing_key_path = botproc.signing_key_file


def build_bot(
    network: Network,
    authority_id: str,
    tick_seconds: float = 30.0,
    clock: Callable[[], dt.date] = utc_today,
    profiles_dir: Path | None = None,
) -> ConsultationBot:
    authority = network.authority(authority_id)
    account = authority.bot()
    if account is None or not account.store_dir:
        raise CoopNetError(
            f"authority {authority_id} has no enrolled bot account in {network.file}; "
            "run 'coopnet net up' first"
        )
    members = Members.from_network(network)
    config = BotConfig(
        homeserver=authority.client_url,
        user_id=account.user_id,
        store_dir=Path(account.store_dir),
        state_db=botproc.state_db(authority),
        member_servers=members.servers(),
        tick_seconds=tick_seconds,
    )
    return ConsultationBot(
        config,
        device_policy(network, Path(account.store_dir)),
        members,
        authority_id,
        records_path(authority),
        signing_key_path(authority),
        profiles_dir=profiles_dir,
        clock=clock,
    )


def run(
    network: Network, authority_id: str, tick_seconds: float, profiles_dir: Path | None = None
) -> None:
    bot = build_bot(network, authority_id, tick_seconds, profiles_dir=profiles_dir)
    asyncio.run(bot.run(ready_file=botproc.ready_file(network.authority(authority_id))))
