"""The matrix-js-sdk officer of the interop test: ``driver.mjs`` in Node, one JSON line a
request and one an answer (stdin/stdout); what the SDK logs goes to a file."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DRIVER = HERE / "driver.mjs"
NODE = shutil.which("node")
SDK_PACKAGE = HERE / "node_modules" / "matrix-js-sdk" / "package.json"
NODE_MAJOR = 20  # the oldest Node that matrix-js-sdk 37.5.0 supports (its engines field)


def node_is_new_enough() -> bool:
    """Node is installed and at least :data:`NODE_MAJOR` (Debian 12's own is 18)."""
    if NODE is None:
        return False
    version = subprocess.run(
        [NODE, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    major = version.lstrip("v").split(".")[0]
    return major.isdigit() and int(major) >= NODE_MAJOR


def sdk_version() -> str | None:
    """The matrix-js-sdk version ``npm ci`` installed here (None before it ran)."""
    if not SDK_PACKAGE.exists():
        return None
    version = json.loads(SDK_PACKAGE.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


class DriverError(AssertionError):
    """The js officer refused a command (its answer says which and why)."""


class JsOfficer:
    """One matrix-js-sdk client in a Node process of its own."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self._process = process
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self.log = log

    @classmethod
    async def start(cls, log: Path) -> JsOfficer:
        assert NODE is not None, "node is not installed"
        stderr = log.open("wb")
        process = await asyncio.create_subprocess_exec(
            NODE,
            str(DRIVER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            cwd=HERE,
            limit=32 * 1024 * 1024,
        )
        stderr.close()
        return cls(process, log)

    async def call(self, cmd: str, timeout: float = 120.0, **arguments: Any) -> Any:
        """Send one command and return its result; a refusal raises with the reason."""
        assert self._process.stdin is not None and self._process.stdout is not None
        async with self._lock:
            request_id = next(self._ids)
            line = json.dumps({"id": request_id, "cmd": cmd, **arguments}) + "\n"
            self._process.stdin.write(line.encode("utf-8"))
            await self._process.stdin.drain()
            raw = await asyncio.wait_for(self._process.stdout.readline(), timeout)
        if not raw:
            raise DriverError(f"{cmd}: the js officer exited; its log:\n{self.log_tail()}")
        reply = json.loads(raw)
        if reply.get("id") != request_id or not reply.get("ok"):
            raise DriverError(f"{cmd}: {reply.get('error')}")
        return reply.get("result")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def close(self) -> None:
        if self._process.returncode is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                await asyncio.wait_for(self._process.wait(), 20)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
