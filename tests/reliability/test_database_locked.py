"""The database locked by someone else: votes wait or get a retryable error, never a false ack.

Another connection holds SQLite's write lock (BEGIN IMMEDIATE) while phones vote. For
3 s, under the busy timeout, votes wait and are acknowledged once stored. Held past the
busy timeout, votes are refused with `unavailable` (the phone resends the same vote id)
and nothing is stored for them. Released, the service resumes by itself.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from benchmarks.client import http_session
from benchmarks.run import EVENT, api, start_plenum
from tests.reliability.phones import Phone, run_async

pytestmark = pytest.mark.reliability

PHONES = 20
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability-locked.json"


def hold_write_lock(db_path: Path, seconds: float) -> None:
    """Take SQLite's write lock from another connection and keep it for a while."""
    con = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    try:
        con.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        con.execute("ROLLBACK")
    finally:
        con.close()


async def vote_while_locked(http, base, poll, db_path, lock_seconds: float) -> dict:
    """Every phone votes once while the lock is held; return acks, timings and what is stored."""
    options = [option["id"] for option in poll["options"]]
    phones = []
    for _ in range(PHONES):
        cookies, csrf = await http_session(http, base, f"/e/{EVENT}")
        phone = Phone(http, base, cookies, csrf, ack_timeout=60)  # outwait the busy timeout
        await phone.connected()
        phones.append(phone)
    locker = asyncio.create_task(asyncio.to_thread(hold_write_lock, db_path, lock_seconds))
    await asyncio.sleep(0.3)  # the lock is held now
    started = time.monotonic()
    acks = await asyncio.gather(
        *(phone.vote(poll["id"], random.choice(options)) for phone in phones)
    )
    answered_after = time.monotonic() - started
    await locker
    after = await asyncio.gather(
        *(phone.vote(poll["id"], random.choice(options)) for phone in phones)
    )
    for phone in phones:
        await phone.sock.close()
    return {
        "acks": acks,
        "answered_after_s": round(answered_after, 2),
        "after": after,
        "acked_ids": {vid for phone in phones for vid in phone.acked},
    }


def stored_ids(db_path: Path, poll_id: int) -> set[str]:
    """Read the poll's stored vote ids."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        return {
            row[0] for row in con.execute("SELECT vote_id FROM votes WHERE poll_id = ?", (poll_id,))
        }


def test_votes_wait_out_a_short_lock_and_get_a_retryable_error_on_a_long_one(tmp_path):
    server, token, _ = start_plenum(tmp_path)
    figures = {}

    async def run() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            base = server.base
            _, event, _ = await api(http, "GET", f"{base}/api/v1/events/{EVENT}", token)
            poll = event["polls"][0]
            await api(http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{poll['id']}/open", token)
            # 3 s: under the busy timeout (10 s), votes wait and are then stored.
            short = await vote_while_locked(http, base, poll, server.db_path, 3)
            assert all(ack.get("ok") for ack in short["acks"]), short["acks"]
            assert short["answered_after_s"] >= 2
            # 13 s: past it, votes are refused as retryable and nothing is stored for them.
            long = await vote_while_locked(http, base, poll, server.db_path, 13)
            codes = {ack.get("error") for ack in long["acks"] if not ack.get("ok")}
            assert codes <= {"unavailable"}
            assert codes, "no vote met the lock"
            assert all(ack.get("ok") for ack in long["after"])  # resumed by itself
            stored = stored_ids(server.db_path, poll["id"])
            for run_ in (short, long):
                assert run_["acked_ids"] <= stored
            refused = sum(1 for ack in long["acks"] if not ack.get("ok"))
            figures.update(
                short_lock_s=3,
                short_answered_after_s=short["answered_after_s"],
                long_lock_s=13,
                refused_unavailable=refused,
                acked=len(short["acked_ids"]) + len(long["acked_ids"]),
                stored=len(stored),
            )

    try:
        run_async(run)
    finally:
        server.stop()
    assert server.process.returncode is not None
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2))
