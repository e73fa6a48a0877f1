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
import random
import signal
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from benchmarks.client import LeanSocket, http_session
from benchmarks.run import EVENT, api, start_plenum
from tests.reliability.phones import IN_FLIGHT, Phone, restart, run_async

pytestmark = pytest.mark.reliability

PHONES = 60
VOTES_EACH = 5
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability-kill.json"


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
                ack = await phone.vote(poll["id"], random.choice(options))
                assert ack.get("ok"), ack  # a stored vote is never refused on resend
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
        figures = run_async(lambda: scenario(server.base, token, kill_and_restart))
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
