"""kill -9 the server in the middle of a burst of votes, start it again: nothing is lost.

The real `voting serve` runs as a process on embedded SQLite. Phones (lean Socket.IO
clients from the benchmark) vote several times each; halfway through, the server gets
SIGKILL and is started again on the same port and instance. Each phone does what
participant.js does: on a dropped socket it reconnects by itself, joins again and resends
the vote it got no ack for with the same vote id. Afterwards every vote id was
acknowledged, each is stored exactly once, every phone's last choice is its ballot, and
the display that reconnected shows the tally in the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from benchmarks.client import LeanSocket, SocketError, http_session
from benchmarks.run import EVENT, Server, api, start_plenum, voting_cli, wait_http

pytestmark = pytest.mark.reliability

PHONES = 60
VOTES_EACH = 5
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability-kill.json"
IN_FLIGHT = {"votes": 0}  # votes sent and not yet answered, across all phones


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

    def __init__(self, http, base: str, cookies: str, csrf: str) -> None:
        self.http, self.base, self.cookies, self.csrf = http, base, cookies, csrf
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

    async def vote(self, poll_id: int, option: int) -> None:
        """Vote until acknowledged, resending the same vote id after a dropped connection."""
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
                    timeout=10,
                )
            except (TimeoutError, SocketError, OSError, aiohttp.ClientError):
                await sock.close()
                self.sock = None
                continue
            finally:
                IN_FLIGHT["votes"] -= 1
            assert ack.get("ok"), ack  # a stored vote is never refused on resend
            self.acked[vote_id] = ack
            self.last_choice = option
            self.resends += attempts - 1
            return


async def scenario(base: str, token: str, kill_and_restart) -> dict:
    """Run the phones' votes while the server is killed and restarted; return the figures."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        _, event, _ = await api(http, "GET", f"{base}/api/v1/events/{EVENT}", token)
        poll = event["polls"][0]
        options = [option["id"] for option in poll["options"]]
        await api(http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{poll['id']}/open", token)
        phones = []
        for _ in range(PHONES):
            cookies, csrf = await http_session(http, base, f"/e/{EVENT}")
            phones.append(Phone(http, base, cookies, csrf))

        async def votes_of(phone: Phone) -> None:
            for _ in range(VOTES_EACH):
                await phone.vote(poll["id"], random.choice(options))
                await asyncio.sleep(random.random() * 0.6)

        started = time.monotonic()
        killer = asyncio.create_task(kill_and_restart())
        await asyncio.gather(*(votes_of(phone) for phone in phones))
        killed_at = await killer
        display = LeanSocket()
        cookies, csrf = await http_session(http, base, f"/e/{EVENT}/display")
        await display.connect(http, base, cookies, csrf)
        snapshot = await display.emit("join", {"event": EVENT, "role": "display"})
        await display.close()
        for phone in phones:
            if phone.sock is not None:
                await phone.sock.close()
        return {
            "poll_id": poll["id"],
            "sent": PHONES * VOTES_EACH,
            "acked": sum(len(phone.acked) for phone in phones),
            "acked_ids": sorted(vid for phone in phones for vid in phone.acked),
            "resends": sum(phone.resends for phone in phones),
            "killed_after_s": round(killed_at - started, 2),
            "last_choices": Counter(phone.last_choice for phone in phones),
            "display": snapshot["results"][str(poll["id"])],
        }


def test_acknowledged_votes_survive_kill_9_and_restart(tmp_path):
    server, token, _ = start_plenum(tmp_path)
    instance = tmp_path / "plenum-instance"
    state = {"server": server}

    async def kill_and_restart() -> float:
        await asyncio.sleep(0.8)  # inside the burst (phones vote for about 1.5 s)
        deadline = time.monotonic() + 2
        while IN_FLIGHT["votes"] < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0)  # strike while votes are on the wire
        killed = time.monotonic()
        state["server"].process.send_signal(signal.SIGKILL)
        state["server"].process.wait()
        await asyncio.sleep(0.5)
        state["server"] = await asyncio.to_thread(restart, state["server"], instance)
        return killed

    try:
        figures = asyncio.run(scenario(server.base, token, kill_and_restart))
        stored = state["server"].vote_ids(figures["poll_id"])
        ballots = state["server"].ballots(figures["poll_id"])
    finally:
        state["server"].stop()
    acked = set(figures["acked_ids"])
    assert len(acked) == figures["sent"]  # every vote ended acknowledged
    assert acked == stored  # each stored once, none missing, none extra
    assert ballots == PHONES  # one ballot per phone, its latest vote
    display = figures["display"]
    assert display["total"] == PHONES
    shown = {option["id"]: option["count"] for option in display["options"]}
    assert shown == {oid: figures["last_choices"].get(oid, 0) for oid in shown}
    assert figures["resends"] > 0  # the kill really hit votes in flight
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(
        json.dumps(
            {
                "votes_sent": figures["sent"],
                "acknowledged": len(acked),
                "stored": len(stored),
                "ballots": ballots,
                "resent_after_kill": figures["resends"],
                "restarts": 1,
                "killed_after_s": figures["killed_after_s"],
            },
            indent=2,
        )
    )
