"""Processes the production tests start: Synapse's (main and workers), and Redis and
nginx from Debian's packages, each on a loopback address and in a temporary directory,
stopped afterwards (PostgreSQL: tests/admin/postgres.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.harness import wait_async
from tests.tools import missing


async def port_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class SynapseProcesses:
    """The Synapse processes of one homeserver (output in ``out/NAME.out``), stopped in
    reverse order of start."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, module: str, *config: Path) -> None:
        args = [a for path in config for a in ("--config-path", str(path))]
        with open(self.out / f"{name}.out", "wb") as log:
            self.started.append(
                subprocess.Popen(
                    [sys.executable, "-m", module, *args],
                    cwd=self.out,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )

    def stop(self) -> None:
        for proc in reversed(self.started):
            _stop(proc)


def _tail(path: Path) -> str:
    return "\n".join(path.read_text().splitlines()[-30:]) if path.exists() else "(no log)"


@asynccontextmanager
async def running_redis(host: str, port: int, base: Path) -> AsyncIterator[None]:
    """``redis-server`` without persistence (replication state only lives in memory)."""
    server = shutil.which("redis-server")
    if server is None:
        missing("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
    base.mkdir(parents=True, exist_ok=True)
    log = base / "redis.log"
    cmd = [server, "--bind", host, "--port", str(port), "--save", "", "--appendonly", "no"]
    cmd += ["--dir", str(base), "--logfile", str(log), "--daemonize", "no"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    try:
        await wait_async(lambda: port_open(host, port), "Redis", 30, explain=lambda: _tail(log))
        yield
    finally:
        _stop(proc)


def nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=30).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)", out)
    return tuple(int(x) for x in found.groups()) if found else (0,)


@asynccontextmanager
async def running_nginx(site: Path, base: Path, host: str, ports: list[int]) -> AsyncIterator[None]:
    """nginx serving the rendered site file (``proxy/coopnet.conf``) as its http context."""
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if nginx is None:
        missing("nginx is not installed (apt-get install nginx-light; .ci/run does it)")
    base.mkdir(parents=True, exist_ok=True)
    text = site.read_text()
    if nginx_version(nginx) < (1, 25):
        # Debian 12's nginx 1.22 predates the "http2 on;" directive (nginx 1.25.1) that
        # the rendered file uses for current nginx; the lab needs no HTTP/2.
        text = text.replace("    http2 on;\n", "")
    (base / "coopnet.conf").write_text(text)
    temp = "".join(
        f"    {kind}_temp_path {base / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (base / "nginx.conf").write_text(
        f"daemon off;\n{user}pid {base / 'nginx.pid'};\nerror_log {base / 'error.log'} info;\n"
        f"worker_processes 1;\nevents {{}}\nhttp {{\n    access_log {base / 'access.log'};\n"
        f"{temp}    include {base / 'coopnet.conf'};\n}}\n"
    )
    cmd = [nginx, "-p", str(base), "-c", str(base / "nginx.conf")]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx refuses the rendered configuration:\n{check.stderr}"
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    try:
        for port in ports:
            await wait_async(
                lambda port=port: port_open(host, port),  # type: ignore[misc]
                f"nginx on {host}:{port}",
                30,
                explain=lambda: _tail(base / "error.log"),
            )
        yield
    finally:
        _stop(proc)
