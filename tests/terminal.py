"""A real program in a real terminal: tmux drives it and reads its screen (tests/tui,
tests/reliability)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from tests.harness import wait_for

COOPNET = str(Path(sys.executable).parent / "coopnet")


class Terminal:
    def __init__(self, command: list[str]) -> None:
        self.socket = f"coopnet-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        subprocess.run(
            [
                "tmux",
                "-L",
                self.socket,
                "new-session",
                "-d",
                "-x",
                "150",
                "-y",
                "45",
                "env -u COLUMNS -u LINES " + " ".join(command),
            ],
            check=True,
        )

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p"], capture_output=True, text=True
        )
        return done.stdout

    def styled_line(self, containing: str) -> str:
        """The first line showing ``containing``, with its colours (a focus shows there)."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p", "-e"],
            capture_output=True,
            text=True,
        )
        return next((line for line in done.stdout.splitlines() if containing in line), "")

    def keys(self, *keys: str, literal: bool = False) -> None:
        extra = ["-l"] if literal else []
        subprocess.run(["tmux", "-L", self.socket, "send-keys", *extra, *keys], check=True)

    async def wait_for(self, text: str, timeout: float = 60.0) -> None:
        await wait_for(
            lambda: text in self.screen(), f"{text!r} on screen", timeout, explain=self.screen
        )

    async def wait_gone(self, text: str, timeout: float = 60.0) -> None:
        await wait_for(
            lambda: text not in self.screen(),
            f"{text!r} to leave the screen",
            timeout,
            explain=self.screen,
        )

    async def choose(self, case_ref: str, timeout: float = 60.0) -> None:
        """Find a consultation of the list by its case reference in the filter and press
        Enter, as an officer does (an invitation is accepted, a joined room opened)."""
        await self.wait_for(case_ref, timeout)
        unfocused = self.styled_line("Filter:")
        self.keys("/")
        # Keys typed before the focus has moved would go to the list.
        await wait_for(
            lambda: self.styled_line("Filter:") != unfocused,
            "the filter to take the focus",
            timeout,
            explain=self.screen,
        )
        self.keys(case_ref, literal=True)
        self.keys("Enter")

    def pid(self) -> int:
        """The program's own process (not the shell tmux may have started it with)."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, "list-panes", "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(done.stdout.split()[0])
        for _ in range(5):  # sh -c, env: follow the only child down to the program
            program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            if b"python" in Path(program.decode(errors="replace")).name.encode():
                return pid
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if len(children) != 1:
                break
            pid = int(children[0])
        raise AssertionError(f"no coopnet process under tmux pane {done.stdout.strip()}")

    def kill(self) -> None:
        """kill -9 the program, as a crash or a pulled plug would stop it."""
        os.kill(self.pid(), signal.SIGKILL)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
