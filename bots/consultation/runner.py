"""Build and run one authority's consultation bot: from the local network map
(``--network/--authority``) or from its production configuration file (``--config``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from bots.consultation.bot import ConsultationBot, DocumentSettings, utc_today
from bots.consultation.config_file import (
    BotFile,
    BotSetup,
    bot_setup,
    load_bot_file,
    read_password,
)
from bots.framework import BotConfig
from bots.framework.supervisor import supervise
from coopnet.errors import CoopNetError
from coopnet.keys import key_id, prepare_signing_key, public_key_file
from coopnet.matrix import CoopNetClient
from coopnet.network import (
    Network,
    device_policy,
    evidence_dir,
    evidence_key_file,
    network_roster,
    ready_file,
    records_db,
    signing_key_file,
    state_db,
)
from coopnet.records.evidence import EvidenceStore

log = logging.getLogger(__name__)

# Where an authority's bot keeps its files: one definition, shared with ``net up``.
records_path = records_db
signing_key_path = signing_key_file


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
    roster = network_roster(network)
    config = BotConfig(
        homeserver=authority.client_url,
        user_id=account.user_id,
        store_dir=Path(account.store_dir),
        state_db=state_db(authority),
        member_servers=roster.servers(),
        tick_seconds=tick_seconds,
        password=account.password,
        recovery_key=account.recovery_key,
    )
    return ConsultationBot(
        config,
        device_policy(network, Path(account.store_dir)),
        roster,
        authority_id,
        records_path(authority),
        signing_key_path(authority),
        profiles_dir=profiles_dir,
        clock=clock,
        documents=DocumentSettings(
            network.max_document_bytes,
            # The local network keeps evidence: the demo's exports carry the documents.
            EvidenceStore(evidence_dir(authority), evidence_key_file(authority)),
        ),
        # The network's rules as its signed directory gives them (network.json's before
        # the first directory): the clients fold with the same ones.
        settings=roster.settings,
    )


def run(
    network: Network, authority_id: str, tick_seconds: float, profiles_dir: Path | None = None
) -> None:
    asyncio.run(
        supervise(
            lambda: build_bot(network, authority_id, tick_seconds, profiles_dir=profiles_dir),
            ready_file(network.authority(authority_id)),
        )
    )


def build_bot_from_setup(
    setup: BotSetup,
    clock: Callable[[], dt.date] = utc_today,
    profiles_dir: Path | None = None,
) -> ConsultationBot:
    # The first start creates the receipt-signing key; its public half (KEY.pub) is what
    # the admin sends the steward to list in the signed directory.
    key = prepare_signing_key(setup.file.record_signing_key)
    log.info(
        "receipt key %s; public key in %s",
        key_id(key),
        public_key_file(setup.file.record_signing_key),
    )
    return ConsultationBot(
        setup.config,
        setup.policy,
        setup.roster,
        setup.file.authority,
        setup.file.records_db,
        setup.file.record_signing_key,
        profiles_dir=profiles_dir,
        clock=clock,
        documents=document_settings(setup.file),
        settings=setup.roster.settings,
    )


def document_settings(bot_file: BotFile) -> DocumentSettings:
    """The document limit and evidence store that ``bot.yaml`` sets (evidence: optional)."""
    evidence = None
    if bot_file.evidence_dir is not None:
        evidence = EvidenceStore(bot_file.evidence_dir, bot_file.evidence_key)
    return DocumentSettings(bot_file.max_document_bytes, evidence)


async def first_login(setup: BotSetup) -> None:
    """Log the bot in once with its password when its store holds no session yet."""
    password = read_password(setup.file)
    if password is None:
        return
    config = setup.config
    client = await CoopNetClient.open(
        config.homeserver,
        config.user_id,
        config.store_dir,
        setup.policy,
        password=password,
        device_name="CoopNet consultation bot",
    )
    log.info("first login of %s: new device %s", config.user_id, client.device_id)
    await client.close()


def run_from_file(config_file: Path, tick_seconds: float, profiles_dir: Path | None = None) -> None:
    setup = bot_setup(load_bot_file(config_file), tick_seconds)

    async def main() -> None:
        await first_login(setup)
        await supervise(
            lambda: build_bot_from_setup(setup, profiles_dir=profiles_dir), setup.file.ready_file
        )

    asyncio.run(main())
