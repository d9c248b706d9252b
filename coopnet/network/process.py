"""Synapse processes of the local network: start, wait for health, stop, inspect.

Processes run in their own session so they outlive the command that started them;
``DIR/<authority>/synapse.pid`` remembers them.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from coopnet.errors import NetworkError
from coopnet.network.model import Authority

log = logging.getLogger(__name__)

PID_FILE = "synapse.pid"
STDOUT_LOG = "synapse.stdout.log"
HOMESERVER_LOG = "homeserver.log"


def require_synapse() -> None:
    if importlib.util.find_spec("synapse") is None:
        raise NetworkError(
            "Synapse is not installed in this Python environment "
            f"({sys.executable}); install it with: pip install matrix-synapse"
        )


def check_port_free(address: str, port: int, what: str) -> None:
    """Fail with a clear message when ``address:port`` cannot be bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise NetworkError(
                f"{address}:{port} ({what}) is already in use by another program; stop it "
                "(a network started elsewhere stops with 'coopnet net down --dir DIR') "
                "or choose other addresses with --base-address"
            ) from None
        raise NetworkError(f"cannot use {address}:{port} ({what}): {exc.strerror}") from None
    finally:
        sock.close()


def file_tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file ("" when it is missing or empty)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines)).rstrip()
    except OSError:
        return ""


def log_tail(authority: Authority, lines: int = 25) -> str:
    """The last lines of the authority's Synapse logs, for error messages."""
    parts = []
    for name in (STDOUT_LOG, HOMESERVER_LOG):
        path = authority.path / name
        if tail := file_tail(path, lines):
            parts.append(f"--- {path} (last lines) ---\n{tail}")
    return "\n".join(parts) or "(no log output)"


def read_pid(authority: Authority) -> int | None:
    """The pid of this authority's running Synapse, or None when it is not running."""
    path = authority.path / PID_FILE
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return None
    # Guard against a recycled pid: it must be Synapse with this authority's config.
    if "synapse.app.homeserver" not in cmdline or str(authority.path) not in cmdline:
        return None
    return pid


def start_synapse(
    authority: Authority, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start the authority's Synapse in its own session. ``extra_env`` is added to its
    environment: the reliability suite runs one homeserver under libfaketime with it
    (``LD_PRELOAD`` and ``FAKETIME``) to put its clock an hour off."""
    config = authority.path / "homeserver.yaml"
    stdout = open(authority.path / STDOUT_LOG, "ab")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "--config-path", str(config)],
            cwd=authority.path,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if extra_env is None else {**os.environ, **extra_env},
        )
    finally:
        stdout.close()
    (authority.path / PID_FILE).write_text(f"{proc.pid}\n")
    log.debug("started Synapse for %s as pid %d", authority.id, proc.pid)
    return proc


async def is_healthy(session: aiohttp.ClientSession, authority: Authority) -> bool:
    try:
        async with session.get(
            authority.client_url + "/health", timeout=aiohttp.ClientTimeout(total=2)
        ) as resp:
            return resp.status == 200
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False


async def wait_healthy(
    authority: Authority, proc: subprocess.Popen[bytes] | None, timeout: float
) -> None:
    """Poll ``/health`` until it answers; fail early with the log tail if Synapse exits."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if await is_healthy(session, authority):
                return
            if proc is not None and proc.poll() is not None:
                raise NetworkError(
                    f"the homeserver of {authority.id} ({authority.server_name}) exited with "
                    f"code {proc.returncode} while starting:\n{log_tail(authority)}"
                )
            if time.monotonic() > deadline:
                raise NetworkError(
                    f"the homeserver of {authority.id} did not answer {authority.client_url}"
                    f"/health within {timeout:.0f} s:\n{log_tail(authority)}"
                )
            await asyncio.sleep(0.2)


def signal_stop(authority: Authority) -> None:
    """Ask the authority's Synapse to stop (SIGTERM) without waiting."""
    pid = read_pid(authority)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)


def stop_synapse(authority: Authority, timeout: float = 30.0) -> bool:
    """Stop the authority's Synapse (SIGTERM, then SIGKILL). True if one was running."""
    pid = read_pid(authority)
    if pid is not None:
        terminate(pid, timeout, f"Synapse of {authority.id}")
    (authority.path / PID_FILE).unlink(missing_ok=True)
    return pid is not None


def terminate(pid: int, timeout: float, what: str) -> None:
    """SIGTERM, wait up to ``timeout`` for a clean exit, then SIGKILL; return once it is gone."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            log.warning("%s ignored SIGTERM for %.0f s; killing it", what, timeout)
            os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    # A child of ours that exited stays a zombie until reaped; reap it if it is ours.
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"
