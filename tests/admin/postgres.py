"""A throw-away PostgreSQL server for tests: initdb + pg_ctl into a temporary directory.

PostgreSQL refuses to run as root; as root the server runs as ``nobody`` (runuser).
``pg_ctl`` is found on PATH or under /usr/lib/postgresql/*/bin (Debian's packages;
.ci/run installs them on a fresh machine).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.tools import missing


def find_pg_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and createdb (newest Debian version first)."""

    def version(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        bindir = Path(candidate).resolve().parent
        if all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "createdb")):
            return bindir
    return None


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    dbname: str


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def running_postgres(
    host: str,
    port: int,
    user: str,
    password: str,
    dbname: str,
    settings: str = "-c fsync=off",
) -> Iterator[Postgres]:
    """A PostgreSQL server on ``host:port`` with role ``user``/``password`` owning ``dbname``.

    ``settings``: server options; the tests need no durability (``fsync=off``), a
    benchmark of commit latency passes its own."""
    bindir = find_pg_bin()
    if bindir is None:
        missing("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)")
    base = Path(tempfile.mkdtemp(prefix="coopnet-pg-"))
    data = base / "data"
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
        shutil.chown(pwfile, "nobody")
    os.chmod(base, 0o700)
    started = False
    try:
        _run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    user,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            )
        )
        options = f"-h {host} -p {port} -k {base} {settings}"
        _run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(base / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        )
        started = True
        env = {**os.environ, "PGPASSWORD": password}
        _run(
            [
                str(bindir / "createdb"),
                "-h",
                host,
                "-p",
                str(port),
                "-U",
                user,
                "-E",
                "UTF8",
                "--lc-collate=C",
                "--lc-ctype=C",
                "-T",
                "template0",
                dbname,
            ],
            env=env,
        )
        yield Postgres(host, port, user, password, dbname)
    finally:
        if started:
            _run(
                _as_server_user(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
                )
            )
        shutil.rmtree(base, ignore_errors=True)
