"""kill -9 the server just as a poll is being closed: it is open, or closed whole.

Phones keep voting; the moderator's close request goes out and the server is killed a
few milliseconds later (before, during or after the close's commit, depending on the
round). After a restart the poll is either still open, or closed with its closing
tally in the audit log equal to the ballots stored, and no vote stored after the close;
every vote acknowledged before the kill is stored.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from benchmarks.client import http_session
from benchmarks.run import EVENT, api, start_plenum
from tests.reliability.phones import Phone, restart, run_async

pytestmark = pytest.mark.reliability

PHONES = 30
DELAYS_MS = (0, 10, 40, 150, 400, 1500)  # from the close request to SIGKILL, a round each
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability-close.json"


def poll_state(db_path, poll_id: int) -> dict:
    """Read the poll, its ballots, late votes and its last audit entry straight from SQLite."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        status, closed_at = con.execute(
            "SELECT status, closed_at FROM polls WHERE id = ?", (poll_id,)
        ).fetchone()
        ballots = con.execute(
            "SELECT count(*) FROM ballots WHERE poll_id = ?", (poll_id,)
        ).fetchone()[0]
        late = (
            con.execute(
                "SELECT count(*) FROM votes WHERE poll_id = ? AND created_at > ?",
                (poll_id, closed_at),
            ).fetchone()[0]
            if closed_at
            else 0
        )
        last = con.execute(
            "SELECT action, details FROM poll_audit WHERE poll_id = ? ORDER BY seq DESC LIMIT 1",
            (poll_id,),
        ).fetchone()
        stored = {
            row[0] for row in con.execute("SELECT vote_id FROM votes WHERE poll_id = ?", (poll_id,))
        }
    return {
        "status": status,
        "ballots": ballots,
        "late": late,
        "last_action": last[0],
        "last_details": json.loads(last[1]),
        "stored": stored,
    }


async def one_round(http, base: str, token: str, poll: dict, delay_ms: int, kill) -> dict:
    """Phones vote; the close goes out; the server dies `delay_ms` later."""
    options = [option["id"] for option in poll["options"]]
    url = f"{base}/api/v1/events/{EVENT}/polls/{poll['id']}"
    status, _, _ = await api(http, "POST", url + "/open", token)
    assert status in (200, 409)  # 409: a previous round left it open
    phones = []
    for _ in range(PHONES):
        cookies, csrf = await http_session(http, base, f"/e/{EVENT}")
        phones.append(Phone(http, base, cookies, csrf))
    stop = asyncio.Event()

    async def keep_voting(phone: Phone) -> None:
        while not stop.is_set():
            ack = await phone.vote(poll["id"], random.choice(options))
            if not ack.get("ok") and ack.get("error") == "poll_closed":
                return
            await asyncio.sleep(random.random() * 0.05)

    voting = [asyncio.create_task(keep_voting(phone)) for phone in phones]
    await asyncio.sleep(0.6)
    closing = asyncio.create_task(api(http, "POST", url + "/close", token))
    await asyncio.sleep(delay_ms / 1000)
    await kill()
    stop.set()
    await asyncio.gather(closing, return_exceptions=True)
    # Phones blocked on a dead server come back after the restart and finish.
    await asyncio.wait_for(asyncio.gather(*voting, return_exceptions=True), 60)
    for phone in phones:
        if phone.sock is not None:
            await phone.sock.close()
    return {vote_id for phone in phones for vote_id in phone.acked}


def test_a_poll_closed_during_a_kill_is_open_or_closed_whole(tmp_path):
    server, token, _ = start_plenum(tmp_path)
    instance = tmp_path / "plenum-instance"
    state = {"server": server}
    outcomes = []

    async def kill() -> None:
        state["server"].process.send_signal(signal.SIGKILL)
        state["server"].process.wait()
        state["server"] = await asyncio.to_thread(restart, state["server"], instance)

    async def rounds() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            _, event, _ = await api(http, "GET", f"{server.base}/api/v1/events/{EVENT}", token)
            poll = event["polls"][0]
            for delay in DELAYS_MS:
                acked = await one_round(http, server.base, token, poll, delay, kill)
                found = poll_state(state["server"].db_path, poll["id"])
                outcomes.append(
                    {"kill_after_ms": delay, "poll": found["status"], "ballots": found["ballots"]}
                )
                assert acked <= found["stored"], "an acknowledged vote is missing"
                assert found["status"] in ("open", "closed")
                if found["status"] == "closed":
                    assert found["last_action"] == "closed"
                    assert found["last_details"]["total"] == found["ballots"]
                    assert found["late"] == 0
                else:
                    assert found["last_action"] != "closed"

    try:
        run_async(rounds)
    finally:
        state["server"].stop()
    assert len(outcomes) == len(DELAYS_MS)
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps({"restarts": len(outcomes), "rounds": outcomes}, indent=2))
