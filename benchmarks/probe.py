"""Server CPU cost per join and per vote, a figure that holds on a busy machine.

The full benchmark (`benchmarks.run`) measures rates and latencies, which need a quiet
machine: on a shared one they measure the neighbours. What a code change does to the
server's own work shows instead in the CPU time the server process spends per
operation, read from /proc before and after each phase, at rates well below
saturation. Usage:

    .venv/bin/python -m benchmarks.probe --participants 2000 --rate 400
    .venv/bin/python -m benchmarks.probe --profile join.svg --phase join   # py-spy
    .venv/bin/python -m benchmarks.probe --profile join.txt --phase join   # stacks as text
    .venv/bin/python -m benchmarks.probe --postgres   # on a private PostgreSQL server

It prints CPU milliseconds per join and per vote, the server's RSS after the joins, and
the per-connection memory that implies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.cluster import Service, start_postgres, stop_all
from benchmarks.run import (
    EVENT,
    VoteLog,
    api,
    cpu_seconds,
    join_storm,
    pin,
    positive,
    raise_open_files,
    set_up_room,
    start_plenum,
    vote_at_rate,
)


def start_profiler(pid: int, out: str) -> subprocess.Popen:
    """Attach py-spy to the server, recording a flame graph until stopped."""
    spy = shutil.which("py-spy") or str(Path(os.sys.executable).parent / "py-spy")
    # A .txt output gets collapsed stacks (one line per stack), for summing by function.
    form = ["--format", "raw"] if out.endswith(".txt") else []
    return subprocess.Popen(  # noqa: S603 - our own tool
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--output",
            out,
            "--rate",
            "200",
            "--nonblocking",
            *form,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profiler(spy: subprocess.Popen | None) -> None:
    """Stop py-spy so that it writes its output."""
    if spy is not None:
        spy.send_signal(2)
        spy.wait(60)


async def measure(args, workdir: Path) -> dict:
    """Start the server, join everyone, vote at a fixed rate; return CPU per operation."""
    options = () if args.gc_threshold is None else ("--gc-threshold", str(args.gc_threshold))
    started: list[Service] = []
    env = {"DATABASE_URL": start_database(workdir, started)} if args.postgres else None
    try:
        server, token, email = start_plenum(workdir, options, env)
        return await measure_server(args, workdir, server, token, email)
    finally:
        stop_all(started)


def start_database(workdir: Path, started: list) -> str:
    """Start a private PostgreSQL server (durable defaults) with an empty database; return its URL."""
    workdir.chmod(0o755)  # the postgres user reads its folder in here
    _, postgres = start_postgres(workdir, started)
    postgres.psql("CREATE DATABASE plenum_probe")
    return postgres.url("plenum_probe")


async def measure_server(args, workdir: Path, server, token: str, email: str) -> dict:
    """Join everyone, vote at a fixed rate, ask the results API; return CPU per operation."""
    password = (workdir / "plenum-instance" / "demo-login.txt").read_text().split()[1]
    pid = server.process.pid
    figures: dict = {"participants": args.participants, "vote_rate": args.rate}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            room = await set_up_room(
                http, server.base, token, (email, password), args.participants, {}
            )
            figures["rss_before_joins_mb"] = server.rss_mb()
            spy = start_profiler(pid, args.profile) if args.phase == "join" else None
            before = cpu_seconds(pid)
            storm = await join_storm(http, server.base, room.people, args.join_seconds)
            await asyncio.sleep(1)  # let the coalesced presence pushes go out
            stop_profiler(spy)
            joined = storm["joined"]
            figures["joined"], figures["join_failed"] = joined, storm["failed"]
            figures["join_cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / max(1, joined)
            figures["connect_p50_ms"] = storm["connect_p50_ms"]
            figures["connect_p99_ms"] = storm["connect_p99_ms"]
            figures["rss_after_joins_mb"] = server.rss_mb()
            figures["kb_per_connection"] = (
                (figures["rss_after_joins_mb"] - figures["rss_before_joins_mb"]) * 1024 / joined
            )
            log = VoteLog()
            spy = start_profiler(pid, args.profile) if args.phase == "vote" else None
            before = cpu_seconds(pid)
            total = int(args.rate * args.vote_seconds)
            people = [p for p in room.people if p.sock is not None and p.sock.ws is not None]
            await vote_at_rate(people, room.funding, room.funding_options, args.rate, total, log)
            await asyncio.sleep(1)  # the last coalesced tally push
            stop_profiler(spy)
            figures["votes_acked"] = log.ok
            figures["vote_errors"] = log.errors
            figures["vote_cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / max(1, log.ok)
            figures["ack_p50_ms"] = sorted(log.ack_ms)[len(log.ack_ms) // 2] if log.ack_ms else 0
            spy = start_profiler(pid, args.profile) if args.phase == "api" else None
            before = cpu_seconds(pid)
            url = f"{server.base}/api/v1/events/{EVENT}/polls/{room.funding}/results"
            times = await requests_at_rate(http, url, args.api_rate, args.api_requests)
            stop_profiler(spy)
            figures["api_cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / max(1, len(times))
            figures["api_p50_ms"] = sorted(times)[len(times) // 2] if times else 0
    finally:
        server.stop()
    return figures


async def requests_at_rate(http, url: str, rate: float, count: int) -> list[float]:
    """GET a URL `count` times at `rate` per second; return the times of the 200s (ms)."""
    started = time.perf_counter()
    times: list[float] = []

    async def one(index: int) -> None:
        await asyncio.sleep(index / rate)
        status, _, ms = await api(http, "GET", url)
        if status == 200:
            times.append(ms)

    await asyncio.gather(*(one(i) for i in range(count)))
    if time.perf_counter() - started > 2 * count / rate:
        print("warning: the requests fell behind their rate", flush=True)
    return times


def parse_args(argv=None) -> argparse.Namespace:
    """Read the command line; counts, rates and durations must be above zero."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=positive(int), default=2000)
    parser.add_argument("--join-seconds", type=positive(float), default=10.0)
    parser.add_argument("--rate", type=positive(float), default=400.0, help="votes per second")
    parser.add_argument("--vote-seconds", type=positive(float), default=10.0)
    parser.add_argument(
        "--api-rate", type=positive(float), default=200.0, help="results API requests/s"
    )
    parser.add_argument("--api-requests", type=positive(int), default=1000)
    parser.add_argument("--profile", help="write a py-spy flame graph (SVG) here")
    parser.add_argument(
        "--gc-threshold",
        type=int,
        help="voting serve's: net new objects collected even while busy (default: serve's)",
    )
    parser.add_argument("--phase", choices=("join", "vote", "api"), default="vote")
    parser.add_argument(
        "--postgres", action="store_true", help="run on a private PostgreSQL server, not SQLite"
    )
    return parser.parse_args(argv)


def main() -> None:
    """Parse arguments, run the probe, print the figures."""
    args = parse_args()
    if not args.profile:
        args.phase = None
    raise_open_files()
    pin(1)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="plenum-probe-") as tmp:
        figures = asyncio.run(measure(args, Path(tmp)))
    figures["event"] = EVENT
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
