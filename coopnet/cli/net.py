"""``coopnet net up|status|down|apply-directory|add-authority|add-agency``: the local
network."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coopnet.errors import CoopNetError
from coopnet.network import lifecycle, probes
from coopnet.network.apply import apply_directory
from coopnet.network.catalogue import DEFAULT_AUTHORITIES
from coopnet.network.growth import add_authority
from coopnet.network.model import AGENCIES

DEFAULT_DIR = "demo-net"


def register(subparsers: argparse._SubParsersAction) -> None:
    net = subparsers.add_parser(
        "net",
        help="run a local federated network of central authorities",
        description="Run a local network of central authorities, each with its own Synapse "
        "homeserver on a loopback address, federating over TLS in a closed federation.",
    )
    commands = net.add_subparsers(title="net commands", metavar="COMMAND", required=True)

    up = commands.add_parser(
        "up",
        help="create (first time) and start the network; returns when federation works",
        description="Create the network in DIR the first time (CA, certificates, Synapse "
        "configs, accounts) and start every homeserver. Re-running it restarts the same "
        "network with its data. Returns when every homeserver answers and every pair of "
        "members federates. Homeservers keep running after the command returns.",
    )
    _dir_option(up)
    up.add_argument(
        "--authorities",
        default=",".join(DEFAULT_AUTHORITIES),
        help="comma-separated authority ids for a new network (default: %(default)s)",
    )
    up.add_argument(
        "--base-address",
        default="127.0.0.11",
        help="loopback address of the first homeserver; the next ones follow "
        "(default: %(default)s)",
    )
    up.add_argument(
        "--no-bots",
        action="store_true",
        help="do not start the authorities' consultation bots",
    )
    up.add_argument(
        "--seed-demo",
        action="store_true",
        help="play a short illustrative consultation between Switzerland and Mexico "
        "(needs ch and mx and their bots; done once per network)",
    )
    up.add_argument("--client-port", type=int, default=8008, help="default: %(default)s")
    up.add_argument("--federation-port", type=int, default=8448, help="default: %(default)s")
    up.set_defaults(func=_up)

    status = commands.add_parser(
        "status",
        help="show each homeserver's state, clock offset and federation certificate",
        description="Show each homeserver's process, health, clock offset (from the Date "
        "header of its answers; a warning above "
        f"{probes.CLOCK_WARN_SECONDS:.0f} s) and the federation certificate it serves, "
        "checked against the network CA. Exit code 3: a homeserver stopped or not "
        "answering; 4: a certificate the members refuse (expired, not yet valid or not "
        "signed by the network CA).",
    )
    _dir_option(status)
    status.set_defaults(func=_status)

    down = commands.add_parser("down", help="stop every homeserver of the network cleanly")
    _dir_option(down)
    down.set_defaults(func=_down)

    apply = commands.add_parser(
        "apply-directory",
        help="make the homeservers follow the signed directory (restarts what must restart)",
        description="Verify the signed directory, re-derive each homeserver's federation "
        "allowlist from it and restart every running homeserver whose configuration changed; "
        "then check federation between the listed members.",
    )
    _dir_option(apply)
    apply.set_defaults(func=_apply_directory)

    add = commands.add_parser(
        "add-authority",
        help="add an authority to the running network (nothing stops)",
        description="Lay out and start a new authority's homeserver on the next loopback "
        "address, register and enrol its officers and bot, list it in the next signed "
        "directory, restart one at a time the members whose allowlist changed, and start "
        "its bot. To remove one: 'coopnet directory remove-authority ID' (the members "
        "refuse it at once), then 'coopnet net apply-directory'.",
    )
    add.add_argument("id", help="short lower-case id, e.g. fr (the catalogue names it)")
    _dir_option(add)
    add.add_argument("--no-bot", action="store_true", help="do not start its bot")
    add.set_defaults(func=_add_authority)

    agency = commands.add_parser(
        "add-agency",
        help="add an internal account of a domestic agency to an authority",
        description="Register and enrol an account of one of the authority's domestic "
        "agencies (prosecutor, police, foreign affairs, court liaison) on its own homeserver, "
        "for its internal coordination rooms ('coopnet coordination open'). It is never "
        "listed in the signed directory: only the authority's own devices trust it (a running "
        "bot once restarted).",
    )
    agency.add_argument("authority", metavar="AUTHORITY", help="the authority's id, e.g. ch")
    agency.add_argument("agency", choices=AGENCIES, help="which domestic agency")
    agency.add_argument("--localpart", help="the account's localpart (default: the agency)")
    agency.add_argument("--name", help="display name (default: State and agency)")
    _dir_option(agency)
    agency.set_defaults(func=_add_agency)


def _dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(DEFAULT_DIR),
        help="the network's directory (default: ./%(default)s)",
    )


def _up(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if args.seed_demo and args.no_bots:
        raise CoopNetError("--seed-demo needs the bots: drop --no-bots")
    options = lifecycle.NetworkOptions(
        authorities=[a.strip() for a in args.authorities.split(",") if a.strip()],
        base_address=args.base_address,
        client_port=args.client_port,
        federation_port=args.federation_port,
    )
    t0 = time.monotonic()
    with console.status("bringing the network up…") as spinner:

        def report(message: str) -> None:
            console.print(f"  [green]✓[/] {message}")
            spinner.update(f"{message} …")

        network = asyncio.run(
            lifecycle.up(
                args.dir, options, report, with_bots=not args.no_bots, seed_demo=args.seed_demo
            )
        )
    console.print(f"[bold green]network up[/] in {time.monotonic() - t0:.1f} s: {network.file}")
    print(lifecycle.network_summary(network))
    print(f"\nPasswords and device ids: {network.file} (readable by you only).")
    if args.seed_demo and network.members():
        first = network.members()[0].id
        print(
            f"Figures of {first}'s record: coopnet stats --network {args.dir} --authority "
            f"{first} (in the client: Ctrl+P, Statistics)"
        )
    print(f"Stop it with: coopnet net down --dir {args.dir}")
    return 0


def _status(args: argparse.Namespace) -> int:
    network, states = asyncio.run(lifecycle.status(args.dir))
    table = Table(title=f"CoopNet network {network.name} ({network.directory})")
    for column in (
        "authority",
        "client URL",
        "homeserver",
        "health",
        "clock",
        "certificate",
        "bot",
    ):
        table.add_column(column, no_wrap=True)
    problems: list[str] = []
    warnings: list[str] = []
    for s in states:
        a = s.authority
        bot = "—"
        if a.member and a.bot() is not None:
            bot = (
                f"[green]ready[/] pid {s.bot_pid}"
                if s.bot_ready
                else f"[yellow]starting[/] pid {s.bot_pid}"
                if s.bot_pid
                else "[red]stopped[/]"
            )
        clock, certificate = _probe_cells(s, problems, warnings)
        table.add_row(
            a.id + ("" if a.member else " (outsider)"),
            a.client_url,
            f"pid {s.pid}" if s.pid else "[red]stopped[/]",
            "[green]ok[/]" if s.healthy else "[red]not answering[/]",
            clock,
            certificate,
            bot,
        )
    console = Console()
    console.print(table)
    for line in problems:
        console.print(f"[red]error:[/] {line}", highlight=False)
    for line in warnings:
        console.print(f"[yellow]warning:[/] {line}", highlight=False)
    if problems:
        return 4
    return 0 if all(s.pid and s.healthy for s in states) else 3


def _probe_cells(
    s: lifecycle.AuthorityStatus, problems: list[str], warnings: list[str]
) -> tuple[str, str]:
    """The clock and certificate cells of one row; what is wrong goes to the lists, named."""
    if s.probe is None:
        return "—", "—"
    a = s.authority
    who = f"{a.id} ({a.server_name})"
    clock = "—" if s.probe.clock_offset is None else f"{s.probe.clock_offset:+.0f} s"
    if warning := probes.clock_warning(s.probe.clock_offset):
        warnings.append(f"{who}: {warning}; deadlines and receipts use event times, check NTP")
        clock = f"[yellow]{clock}[/]"
    if s.probe.certificate_problem is not None:
        problems.append(
            f"{who}: {s.probe.certificate_problem}; the other members refuse to federate with it"
        )
        return clock, "[red]refused[/]"
    if s.probe.certificate_error is not None:
        problems.append(f"{who}: {s.probe.certificate_error}")
        return clock, "[red]unreadable[/]"
    return clock, "[green]ok[/]"


def _down(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with console.status("stopping homeservers…"):
        results = lifecycle.down(args.dir)
    for authority, was_running in results:
        word = "stopped" if was_running else "was not running"
        console.print(f"  {authority.id}: homeserver {authority.server_name} {word}")
    return 0


def _apply_directory(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with console.status("applying the directory…"):
        result = asyncio.run(
            apply_directory(args.dir, lambda m: console.print(f"  [green]✓[/] {m}"))
        )
    restarted = ", ".join(a.id for a in result.restarted) or "none"
    console.print(f"[bold green]directory v{result.version} applied[/]; restarted: {restarted}")
    return 0


def _add_authority(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with console.status(f"adding {args.id}…"):
        added = asyncio.run(
            add_authority(
                args.dir,
                args.id,
                lambda m: console.print(f"  [green]✓[/] {m}"),
                with_bot=not args.no_bot,
            )
        )
    phases = "; ".join(f"{phase} {s:.1f} s" for phase, s in added.seconds.items())
    console.print(
        f"[bold green]{added.authority.id} ({added.authority.state}) is a member[/] "
        f"in directory v{added.version}: {phases}"
    )
    return 0


def _add_agency(args: argparse.Namespace) -> int:
    from coopnet.network import load_network
    from coopnet.network.internal import add_internal_account

    console = Console(stderr=True)
    network = load_network(args.dir)
    account = asyncio.run(
        add_internal_account(
            network,
            args.authority,
            args.agency,
            args.localpart,
            args.name,
            lambda m: console.print(f"  [green]✓[/] {m}"),
        )
    )
    print(account.user_id)
    return 0
