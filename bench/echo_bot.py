"""A bare echo bot: the baseline of bench/load.py (plain matrix-nio, no record, no signature).

It restores a device from a CoopNet store (the consultation bot's own, while that bot is
stopped: the same device, listed in the signed directory, so the officers' clients share
their room keys with it), joins every room it is invited to and answers each decrypted
timeline event sent from another homeserver with one encrypted notice naming the event
it answers: the counterpart's part, as the consultation bot certifies only what the other
authority sent (so a room carries one answer per exchange in both phases of the bench).
Echoes of other echo bots are not answered (no ping-pong). The sync loop hands events to
the callback one after the other, as the consultation bot's loop does.

    .venv/bin/python bench/echo_bot.py --homeserver URL --user-id @bot:server \\
        --store DIR --ready-file FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    JoinResponse,
    MatrixRoom,
    MegolmEvent,
    RoomMessage,
    UnknownEvent,
)

# The content key that marks an echo and names the event it answers.
ECHO_KEY = "org.coopnet.bench.echo"


def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1]


def echo_of(content: dict[str, Any]) -> str | None:
    """The event id an echo answers, or None when ``content`` is not an echo."""
    value = content.get(ECHO_KEY)
    return value if isinstance(value, str) else None


async def run(homeserver: str, user_id: str, store: Path, ready_file: Path) -> None:
    session = json.loads((store / "session.json").read_text())
    config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
    client = AsyncClient(
        homeserver, user_id, device_id=session["device_id"], store_path=str(store), config=config
    )
    client.restore_login(user_id, session["device_id"], session["access_token"])
    own_server = server_of(user_id)
    stop = asyncio.Event()
    joining: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def join(room_id: str) -> None:
        # An invitation over federation can arrive before the inviting server lets the
        # join through: retry a while, as the consultation bot does.
        for attempt in range(20):
            if isinstance(await client.join(room_id), JoinResponse):
                return
            await asyncio.sleep(min(0.5 * 2**attempt, 5))

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == user_id and event.membership == "invite":
            # Not in the sync loop's callback: the loop must go on while the join waits.
            joining.add(asyncio.create_task(join(room.room_id)))

    async def on_event(room: MatrixRoom, event: RoomMessage | UnknownEvent) -> None:
        if server_of(event.sender) == own_server:
            return
        content = event.source.get("content", {})
        if echo_of(content) is not None:
            return
        # A baseline, not a product: room keys go to every member device unchecked.
        await client.room_send(
            room.room_id,
            "m.room.message",
            {"msgtype": "m.notice", "body": "echo", ECHO_KEY: event.event_id},
            ignore_unverified_devices=True,
        )

    # History from before the start is not answered: one sync first, callbacks after.
    await client.sync(timeout=0, full_state=True)
    if client.should_upload_keys:
        await client.keys_upload()
    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    client.add_event_callback(on_event, (RoomMessage, UnknownEvent))  # type: ignore[arg-type]
    client.add_event_callback(lambda _r, _e: None, MegolmEvent)  # undecryptable: ignored
    for room_id in list(client.invited_rooms):
        joining.add(asyncio.create_task(join(room_id)))
    syncing = asyncio.create_task(client.sync_forever(timeout=30000, full_state=False))
    ready_file.write_text(f"{os.getpid()}\n")
    try:
        await stop.wait()
    finally:
        syncing.cancel()
        await asyncio.gather(syncing, return_exceptions=True)
        await client.close()
        ready_file.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--homeserver", required=True)
    parser.add_argument("--user-id", required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(run(args.homeserver, args.user_id, args.store, args.ready_file))


if __name__ == "__main__":
    main()
