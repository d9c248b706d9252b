"""Which keys ``coopnet records verify-export`` trusts: the same sources as ``coopnet
receipts verify`` (the signed directory, a local network, or keys given by hand), turned
into the record's :class:`~coopnet.records.export_verify.SignerKey` limits."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from datetime import datetime

from coopnet.cli.receipts import trusted_keys
from coopnet.receipts import TrustedKey
from coopnet.records.export_verify import SignerKey

UNVERIFIED = (
    "signer UNVERIFIED: the signatures were checked only against the key(s) the export "
    "carries, which anyone who edits it can replace; give the bot's key with --directory "
    "FILE --steward-key HEX|FILE, --network DIR or --pubkey HEX|FILE"
)


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def trusted_signers(args: argparse.Namespace) -> dict[str, SignerKey] | None:
    """The keys the verifier trusts, by key id; None when none was given.

    Raises :class:`coopnet.cli.receipts.InputError` for an unreadable key or directory."""
    if args.directory is None and args.network is None and not args.public_key:
        if args.steward_key:
            args.parser.error("--steward-key goes with --directory")
        return None
    signers: dict[str, SignerKey] = {}
    for kid, value in trusted_keys(args).items():
        if isinstance(value, TrustedKey):
            signers[kid] = SignerKey(
                value.key, value.owner, _ms(value.retired), value.revoked is not None
            )
        else:
            signers[kid] = SignerKey(value)
    return signers


def describe_signers(key_ids: Iterable[str], trusted: Mapping[str, SignerKey]) -> str:
    """One line naming the trusted signer(s) of a verified export."""
    parts = []
    for kid in sorted(key_ids):
        owner = trusted[kid].owner
        parts.append(f"{kid} ({owner}, from the signed directory)" if owner else f"{kid} (given)")
    return "signer trusted: key " + ", ".join(parts)
