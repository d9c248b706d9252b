"""``coopnet recovery``: the recovery key of an account's secret storage and key backup.

- ``show``: the recovery key again, on a trusted device (one that was enrolled or
  unlocked with it and keeps it in its store, 0600).
- ``unlock``: on a new device (or a bot whose store was lost), type the recovery key:
  the device takes the account's cross-signing keys from secret storage and signs itself
  (the other authorities then trust it, no steward needed), every room key is restored
  from the backup and the device backs up its own from then on. A wrong key is refused
  in place, three tries, nothing changed.
- ``replace``: a new recovery key on a trusted device; every secret is re-encrypted
  under it and the old key opens nothing. With ``--network`` the account's entry in
  ``network.json`` is updated too. The new key is printed this once.

The device is named by its store (``--store DIR``, as ``coopnet tui --store``) or by a
local network's account (``--network DIR --account USER_ID``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from coopnet.errors import CoopNetError, RecoveryError
from coopnet.matrix import CoopNetClient, EnrolledDevices
from coopnet.matrix.session import StoredSession
from coopnet.network import device_policy, load_network

TRIES = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    recovery = subparsers.add_parser(
        "recovery",
        help="show, use or replace an account's recovery key (key backup)",
        description="The recovery key unlocks the account's secret storage, which holds the "
        "key of its server-side key backup: a new device reads the consultations' earlier "
        "messages with it. Keep it offline; it is given once at enrolment.",
    )
    commands = recovery.add_subparsers(title="recovery commands", metavar="COMMAND", required=True)
    for name, help_text, func in (
        ("show", "print the recovery key (on a device that holds it)", _show),
        ("unlock", "restore every room key from the backup with the recovery key", _unlock),
        ("replace", "make a new recovery key; the old one opens nothing", _replace),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--store", type=Path, help="the device's store directory")
        command.add_argument("--network", type=Path, help="a local network's directory")
        command.add_argument("--account", metavar="USER_ID", help="the account in --network")
        if name == "unlock":
            command.add_argument(
                "--recovery-key-file",
                type=Path,
                help="read the recovery key from FILE instead of asking (scripted use)",
            )
        command.set_defaults(func=func, parser=command)


def _store(args: argparse.Namespace) -> Path:
    if args.store is not None:
        return Path(args.store)
    if args.network is None or args.account is None:
        args.parser.error("give --store DIR, or --network DIR with --account USER_ID")
    _, account = load_network(args.network).account(args.account)
    if not account.store_dir:
        raise CoopNetError(f"{args.account} has no enrolled device in {args.network}")
    return Path(account.store_dir)


async def _open(args: argparse.Namespace) -> CoopNetClient:
    store = _store(args)
    session = StoredSession.load(store)
    if session is None:
        raise CoopNetError(f"{store} holds no device: log in once first (coopnet tui)")
    policy = (
        device_policy(load_network(args.network), store)
        if args.network is not None
        else EnrolledDevices({})
    )
    return await CoopNetClient.open(session.homeserver, session.user_id, store, policy)


def _show(args: argparse.Namespace) -> int:
    async def show() -> str:
        client = await _open(args)
        try:
            return client.recovery.recovery_key()
        finally:
            await client.close()

    print(asyncio.run(show()))
    return 0


def _ask(args: argparse.Namespace, attempt: int) -> str:
    if args.recovery_key_file is not None:
        return Path(args.recovery_key_file).read_text("utf-8").strip()
    prompt = "Recovery key: " if attempt == 1 else f"Recovery key (try {attempt} of {TRIES}): "
    return getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().strip()


def _unlock(args: argparse.Namespace) -> int:
    async def unlock() -> int:
        client = await _open(args)
        try:
            tries = 1 if args.recovery_key_file is not None else TRIES
            for attempt in range(1, tries + 1):
                try:
                    report = await client.recovery.unlock(_ask(args, attempt))
                except RecoveryError as exc:
                    print(f"refused: {exc}", file=sys.stderr)
                    continue
                print(
                    f"restored {report.imported} room keys from backup version {report.version}"
                    f" ({report.already_held} already held, {report.refused_count} refused)"
                )
                for reason in report.refused:
                    print(f"  refused: {reason}")
                status = client.cross_signing_status
                if status.device_signed:
                    print(f"this device is signed by the account's master key {status.master_key}")
                else:
                    print(f"this device is not cross-signed: {status.problem}", file=sys.stderr)
                await client.back_up_keys()
                return 0
            print("nothing was changed", file=sys.stderr)
            return 1
        finally:
            await client.close()

    return asyncio.run(unlock())


def _replace(args: argparse.Namespace) -> int:
    async def replace() -> str:
        client = await _open(args)
        try:
            return await client.recovery.replace()
        finally:
            await client.close()

    new_key = asyncio.run(replace())
    if args.network is not None and args.account is not None:
        network = load_network(args.network)
        network.account(args.account)[1].recovery_key = new_key
        network.save()
    print("New recovery key (shown this once; keep it offline):")
    print(new_key)
    return 0
