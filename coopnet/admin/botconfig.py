"""Render the consultation bot's configuration for one authority (pure).

The bot (``bots/``) reads this file; its state (nio store, session, consultation record,
record signing key) lives in ``data/bot/`` — which is what ``coopnet admin backup`` saves.
"""

from __future__ import annotations

from typing import Any

from coopnet.admin.settings import AuthoritySettings


def homeserver_url(s: AuthoritySettings) -> str:
    if s.target == "compose":
        return f"http://synapse:{s.client_port}"
    return s.admin_url


def bot_config(s: AuthoritySettings) -> dict[str, Any]:
    root = s.root_path
    state = root / "data" / "bot"
    return {
        "authority": s.id,
        "homeserver": homeserver_url(s),
        "user_id": s.bot_user_id,
        "password_file": str(root / "secrets" / "bot.password"),
        # Read when the bot's store holds no device yet: it restores the room keys from
        # the key backup with it and backs up its own (coopnet admin register-officer).
        "recovery_key_file": str(root / "secrets" / "bot.recovery-key"),
        "state_dir": str(state),
        "store_dir": str(state / "store"),
        "records_db": str(state / "records.db"),
        "record_signing_key": str(state / "record-signing.key"),
        # The signed network directory and the steward's public key (trust model).
        "directory": str(root / "directory" / "directory.json"),
        "steward_public_key": str(root / "directory" / "steward.pub"),
        "language": "en",
        # Documents: the network's limit (the homeserver's follows it); set evidence_dir
        # (e.g. data/bot/evidence) to keep an encrypted copy of each document checked.
        "max_document_bytes": s.max_document_bytes,
        "evidence_dir": None,
    }
