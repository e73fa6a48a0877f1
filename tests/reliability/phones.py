"""Phones that behave like participant.js under faults, and restarting the server."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp

from benchmarks.client import LeanSocket, SocketError
from benchmarks.run import EVENT, Server, voting_cli, wait_http

IN_FLIGHT = {"votes": 0}  # votes sent and not yet answered, across all phones


def run_async(make_coroutine):
    """Run a coroutine to the end in a thread of its own and return its result.

    Browser tests earlier in the same pytest process keep Playwright's event loop
    running in the main thread, where asyncio.run() refuses to start another.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def restart(server: Server, instance: Path) -> Server:
    """Start `voting serve` again on the same port and instance folder (same secret key)."""
    port = server.base.rsplit(":", 1)[1]
    with server.log.open("a") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [voting_cli(), "serve", "--port", port],
            env={**os.environ, "VOTING_INSTANCE_PATH": str(instance)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_http(server.base, process, server.log)
    return Server(server.name, process, server.base, server.db_path, server.log)


class Phone:
    """A participant that reconnects by itself and resends what was not acknowledged."""

    def __init__(self, http, base: str, cookies: str, csrf: str, ack_timeout: float = 10) -> None:
        self.http, self.base, self.cookies, self.csrf = http, base, cookies, csrf
        self.ack_timeout = ack_timeout  # how long a phone waits for an ack before resending
        self.sock: LeanSocket | None = None
        self.acked: dict[str, dict] = {}
        self.resends = 0
        self.last_choice: int | None = None

    async def connected(self) -> LeanSocket:
        """Return a joined socket, reconnecting (with a short back-off) until the server is up."""
        while self.sock is None or self.sock.ws is None or self.sock.ws.closed:
            sock = LeanSocket()
            try:
                await sock.connect(self.http, self.base, self.cookies, self.csrf, timeout=5)
                ack = await sock.emit("join", {"event": EVENT}, timeout=5)
                if ack.get("ok"):
                    self.sock = sock
                    break
            except (TimeoutError, SocketError, OSError, aiohttp.ClientError):
                pass
            await sock.close()
            await asyncio.sleep(0.2 + random.random() * 0.3)
        return self.sock

    async def vote(self, poll_id: int, option: int) -> dict:
        """Vote until answered, resending the same vote id after a dropped connection.

        Returns the ack; an acknowledged vote is remembered in `acked`.
        """
        vote_id = secrets.token_hex(10)
        attempts = 0
        while True:
            sock = await self.connected()
            attempts += 1
            IN_FLIGHT["votes"] += 1
            try:
                ack = await sock.emit(
                    "cast_vote",
                    {"poll_id": poll_id, "choices": [option], "vote_id": vote_id},
                    timeout=self.ack_timeout,
                )
            except (TimeoutError, SocketError, OSError, aiohttp.ClientError):
                await sock.close()
                self.sock = None
                continue
            finally:
                IN_FLIGHT["votes"] -= 1
            self.resends += attempts - 1
            if ack.get("ok"):
                self.acked[vote_id] = ack
                self.last_choice = option
            return ack
