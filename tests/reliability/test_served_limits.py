"""Limits of the running server: socket message size and votes per person.

Run against `voting serve` (gevent, websockets, rate limits on as in production), since
the test client neither parses Engine.IO packets nor keeps the production settings.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import aiohttp
import pytest

from benchmarks.client import LeanSocket, SocketError, http_session
from benchmarks.run import EVENT, api, start_plenum
from tests.reliability.phones import run_async
from tests.reliability.test_database_locked import stored_ids

pytestmark = pytest.mark.reliability

FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability-limits.json"


async def joined(http, base: str) -> LeanSocket:
    """A phone that opened the event page and joined over a websocket."""
    cookies, csrf = await http_session(http, base, f"/e/{EVENT}")
    sock = LeanSocket()
    await sock.connect(http, base, cookies, csrf, timeout=10)
    ack = await sock.emit("join", {"event": EVENT}, timeout=10)
    assert ack["ok"], ack
    return sock


def ballot(poll: dict, index: int, **extra) -> dict:
    """A vote for the poll's option number `index` with a fresh vote id."""
    option = poll["options"][index % len(poll["options"])]["id"]
    return {"poll_id": poll["id"], "choices": [option], "vote_id": secrets.token_hex(10), **extra}


async def oversized_message_drops_the_socket(http, base: str, poll: dict) -> dict:
    """A packet over 64 KB closes that socket; nothing of it is stored; others go on."""
    sock = await joined(http, base)
    huge = ballot(poll, 0, padding="x" * 100_000)
    with pytest.raises((SocketError, TimeoutError)):
        await sock.emit("cast_vote", huge, timeout=10)
    await asyncio.sleep(0.2)
    assert sock.ws.closed
    fresh = await joined(http, base)
    assert (await fresh.emit("cast_vote", ballot(poll, 1), timeout=10))["ok"]
    await fresh.close()
    return {"oversized_bytes": len(json.dumps(huge)), "oversized_vote_id": huge["vote_id"]}


async def one_phone_flooding_is_held_back(http, base: str, poll: dict) -> dict:
    """A script voting 40 times at once gets `rate_limited` past 10 a second; a neighbour not."""
    flooder, neighbour = await joined(http, base), await joined(http, base)
    votes = [ballot(poll, i) for i in range(40)]
    acks = await asyncio.gather(*(flooder.emit("cast_vote", v, timeout=30) for v in votes))
    refused = [ack for ack in acks if not ack["ok"]]
    assert {ack["error"] for ack in refused} == {"rate_limited"}
    assert 20 <= len(refused) <= 30  # 10 pass in the first second, at most 20 if it ticks
    assert "Wait a moment" in refused[0]["message"]
    assert (await neighbour.emit("cast_vote", ballot(poll, 2), timeout=10))["ok"]
    for sock in (flooder, neighbour):
        await sock.close()
    refused_ids = {v["vote_id"] for v, ack in zip(votes, acks, strict=True) if not ack["ok"]}
    return {"flood_votes": len(votes), "flood_refused": len(refused), "refused_ids": refused_ids}


def test_oversized_socket_messages_and_vote_floods_are_refused(tmp_path):
    server, token, _ = start_plenum(tmp_path)
    result: dict = {}

    async def run() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            base = server.base
            _, event, _ = await api(http, "GET", f"{base}/api/v1/events/{EVENT}", token)
            poll = event["polls"][0]
            await api(http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{poll['id']}/open", token)
            result["poll_id"] = poll["id"]
            result.update(await oversized_message_drops_the_socket(http, base, poll))
            result.update(await one_phone_flooding_is_held_back(http, base, poll))

    try:
        run_async(run)
        stored = stored_ids(server.db_path, result["poll_id"])
    finally:
        server.stop()
    assert result["oversized_vote_id"] not in stored
    assert not result["refused_ids"] & stored
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(
        json.dumps(
            {
                "oversized_message_bytes": result["oversized_bytes"],
                "flood_votes": result["flood_votes"],
                "flood_refused_rate_limited": result["flood_refused"],
            },
            indent=2,
        )
    )
