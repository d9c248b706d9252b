"""The consultation bots of the local network as background processes.

Each authority's bot keeps its files in ``DIR/<authority>/bot/``: the record
(``records.db``), its Ed25519 signing key (``signing.key``, with its public half in
``signing.pub``: the receipt key the signed directory lists), its small state database,
its log, its pid and a ``ready`` file it writes once it has synced.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from coopnet.errors import NetworkError
from coopnet.keys import ensure_private_dir, prepare_signing_key, public_key_hex
from coopnet.network.model import Authority, Network
from coopnet.network.process import alive, file_tail, terminate

BOT_DIR = "bot"


def bot_dir(authority: Authority) -> Path:
    return authority.path / BOT_DIR


def records_db(authority: Authority) -> Path:
    return bot_dir(authority) / "records.db"


def signing_key_file(authority: Authority) -> Path:
    return bot_dir(authority) / "signing.key"


def evidence_dir(authority: Authority) -> Path:
    """Encrypted copies of the documents the bot certified (coopnet.records.evidence)."""
    return bot_dir(authority) / "evidence"


def evidence_key_file(authority: Authority) -> Path:
    return bot_dir(authority) / "evidence.key"


def state_db(authority: Authority) -> Path:
    return bot_dir(authority) / "state.db"


def ready_file(authority: Authority) -> Path:
    return bot_dir(authority) / "ready"


def log_file(authority: Authority) -> Path:
    return bot_dir(authority) / "bot.log"


def _pid_file(authority: Authority) -> Path:
    return bot_dir(authority) / "bot.pid"


def prepare(authority: Authority) -> str:
    """Create the bot's signing key (and its ``.pub`` file) if needed; return its public
    key (hex)."""
    ensure_private_dir(bot_dir(authority))
    return public_key_hex(prepare_signing_key(signing_key_file(authority)))


def read_pid(authority: Authority) -> int | None:
    """The pid of this authority's running bot, or None."""
    try:
        pid = int(_pid_file(authority).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    words = [w.decode(errors="replace") for w in cmdline]
    # Guard against a recycled pid: it must be this authority's bot.
    if "bot" not in words or "--authority" not in words or authority.id not in words:
        return None
    return pid if alive(pid) else None


def is_ready(authority: Authority) -> bool:
    pid = read_pid(authority)
    try:
        return pid is not None and int(ready_file(authority).read_text()) == pid
    except (OSError, ValueError):
        return False


def start(
    network: Network, authority: Authority, tick_seconds: float = 30.0
) -> subprocess.Popen[bytes]:
    ready_file(authority).unlink(missing_ok=True)
    with open(log_file(authority), "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "coopnet",
                "bot",
                "run",
                "--network",
                str(network.directory),
                "--authority",
                authority.id,
                "--tick",
                str(tick_seconds),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _pid_file(authority).write_text(f"{proc.pid}\n")
    return proc


def _tail(path: Path, lines: int = 20) -> str:
    return file_tail(path, lines) or "(no log output)"


async def wait_ready(authority: Authority, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not is_ready(authority):
        if proc.poll() is not None:
            raise NetworkError(
                f"the bot of {authority.id} exited with code {proc.returncode} while starting; "
                f"last lines of {log_file(authority)}:\n{_tail(log_file(authority))}"
            )
        if time.monotonic() > deadline:
            raise NetworkError(
                f"the bot of {authority.id} was not ready after {timeout:.0f} s; "
                f"last lines of {log_file(authority)}:\n{_tail(log_file(authority))}"
            )
        await asyncio.sleep(0.2)


def signal_stop(authority: Authority) -> None:
    pid = read_pid(authority)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)


def stop(authority: Authority, timeout: float = 20.0) -> bool:
    """Stop the bot (SIGTERM: it finishes its writes; SIGKILL after ``timeout``)."""
    pid = read_pid(authority)
    if pid is None:
        return False
    terminate(pid, timeout, f"the bot of {authority.id}")
    _pid_file(authority).unlink(missing_ok=True)
    ready_file(authority).unlink(missing_ok=True)
    return True
