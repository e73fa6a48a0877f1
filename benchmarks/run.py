"""Plenum load benchmark: starts `voting serve` (and the bare baseline) on loopback,
plays thousands of participants over the real-time contract and prints a table.

    .venv/bin/python -m benchmarks.run                 # full run (about 4 minutes)
    .venv/bin/python -m benchmarks.run --participants 300 --scale 0.1   # quick smoke
    .venv/bin/python -m benchmarks.run --scale-out     # 2 processes, PostgreSQL, Redis, nginx

The server is pinned to core 0 and this generator to core 1 when there are two.
Latency is measured on one clock: each vote carries its send time (`sent_at`), the
server echoes the send times of the votes each tally adds, and the display client here
takes the difference when the tally arrives. Losses are checked against the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import resource
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.client import LeanSocket, SocketError, http_session, now_ms

ROOT = Path(__file__).resolve().parent.parent
EVENT = "EUCP18"


# --- servers -------------------------------------------------------------------------


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(core: int) -> None:
    """Pin this process to one core when the machine has more than one."""
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {core})


def on_core(core: int) -> list[str]:
    """Return the command prefix that pins a child process to one core, if possible."""
    taskset = shutil.which("taskset")
    if taskset is None or (os.cpu_count() or 1) < 2:
        return []
    return [taskset, "-c", str(core)]


def raise_open_files() -> None:
    """Allow as many sockets as the hard limit permits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (nginx's worker,
    PostgreSQL's backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            # utime, stime and those of reaped children (PostgreSQL's ended backends)
            total += sum(int(value) for value in fields[11:15]) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


@dataclass
class Server:
    """A server process under test."""

    name: str
    process: subprocess.Popen
    base: str
    db_path: Path
    log: Path

    def rss_mb(self) -> float:
        """Return the resident memory of the server process in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """Return the CPU seconds the server process has used so far."""
        return cpu_seconds(self.process.pid)

    def alive(self) -> bool:
        """Say whether the process still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the process."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as con:
            return con.execute(sql, params).fetchall()

    def vote_ids(self, poll_id: int) -> set[str]:
        """Read the vote ids stored for a poll straight from the database."""
        if self.name == "baseline":
            return {
                row[0] for row in self._query("SELECT vote_id FROM ballots WHERE poll = ?", poll_id)
            }
        return {
            row[0] for row in self._query("SELECT vote_id FROM votes WHERE poll_id = ?", poll_id)
        }

    def ballots(self, poll_id: int) -> int:
        """Count the ballots of a poll in the database."""
        column = "poll" if self.name == "baseline" else "poll_id"
        return self._query(f"SELECT count(*) FROM ballots WHERE {column} = ?", poll_id)[0][0]  # noqa: S608

    def stored_after_close(self, poll_id: int) -> int:
        """Count the votes of a poll stored after its close (Plenum only)."""
        return self._query(
            "SELECT count(*) FROM votes WHERE poll_id = ? AND created_at >"
            " (SELECT closed_at FROM polls WHERE id = ?)",
            poll_id,
            poll_id,
        )[0][0]


def wait_http(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait until the server answers HTTP."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/e/" + EVENT, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def voting_cli() -> str:
    """Return the path of the `voting` command of this environment."""
    return str(Path(sys.executable).parent / "voting")


def start_plenum(
    workdir: Path, options: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> tuple[Server, str, str]:
    """Start `voting serve` on core 0 in a fresh instance; return it, a token and a login.

    `env` adds settings (e.g. DATABASE_URL); the default is embedded SQLite.
    """
    instance = workdir / "plenum-instance"
    env = {**os.environ, "VOTING_INSTANCE_PATH": str(instance), **(env or {})}
    port = free_port()
    log = workdir / "plenum.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [*on_core(0), voting_cli(), "serve", "--port", str(port), *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_http(base, process, log)
    email = (instance / "demo-login.txt").read_text().split()[0]
    token = subprocess.run(  # noqa: S603
        [voting_cli(), "create-token", email], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return Server("plenum", process, base, instance / "plenum.sqlite3", log), token, email


def start_baseline(workdir: Path) -> Server:
    """Start the bare Flask-SocketIO baseline on core 0."""
    port = free_port()
    db_path = workdir / "baseline.sqlite3"
    log = workdir / "baseline.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [
                *on_core(0),
                sys.executable,
                "-m",
                "gevent.monkey",
                str(ROOT / "benchmarks" / "baseline" / "app.py"),
                str(port),
                str(db_path),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_http(base, process, log)
    return Server("baseline", process, base, db_path, log)


# --- measuring -----------------------------------------------------------------------


async def with_cpu(server: Server, work, operations: str | None = None) -> dict:
    """Run a scenario and add the server's CPU over it: % of one core, ms per operation.

    What the server spends per join or per vote tells whether a rate can be reached on
    one core at all, for Plenum and the baseline alike; `operations` names the count in the
    scenario's result, if it has one.
    """
    before, started = server.cpu_seconds(), time.perf_counter()
    started_at = time.time()
    with own_collections_held():
        result = await work
    used, elapsed = server.cpu_seconds() - before, time.perf_counter() - started
    # Wall-clock bounds, to line a scenario up with the server's logs or vmstat.
    result["started_at"], result["ended_at"] = round(started_at, 3), round(time.time(), 3)
    result["server_cpu_pct"] = 100 * used / elapsed if elapsed > 0 else float("nan")
    if operations is not None:
        count = result.get(operations) or 0
        result["server_cpu_ms_per_op"] = 1000 * used / count if count else float("nan")
    return result


@contextlib.contextmanager
def own_collections_held():
    """Collect the generator's own garbage before a scenario and none during it.

    The generator holds 5,000 connections too: a collection of its own in mid-scenario
    stalled every client for up to half a second (votes not sent, acks not read), which
    showed as the server's latency. What a scenario leaves is collected before the next.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()  # not nested anywhere: the scenarios run one after another


def pct(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of values, NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@dataclass
class Display:
    """A display client recording every tally it receives."""

    sock: LeanSocket
    tallies: list[tuple[float, dict]] = field(default_factory=list)

    def on_event(self, name: str, payload) -> None:
        """Record results pushes with their arrival time."""
        if name == "results":
            self.tallies.append((now_ms(), payload))

    def latencies(self, since: float, poll_id: int) -> list[float]:
        """Return vote-to-display latencies (ms) of votes echoed after `since`."""
        return [
            at - sent
            for at, payload in self.tallies
            if at >= since and payload.get("poll_id") == poll_id
            for sent in payload.get("echo") or ()
            if sent >= since
        ]

    def last_total(self, poll_id: int) -> tuple[float, int]:
        """Return (arrival, total) of the newest tally for a poll, by `seq` as the pages do.

        With several processes, tallies computed by each arrive through Redis and may
        cross; the one computed last has the highest `seq`.
        """
        best: tuple[float, int] = (0.0, -1)
        best_seq = None
        for at, payload in self.tallies:
            if payload.get("poll_id") == poll_id:
                seq = payload.get("seq", 0)
                if best_seq is None or seq >= best_seq:
                    best, best_seq = (at, payload["total"]), seq
        return best

    def time_total_reached(self, poll_id: int, total: int) -> float | None:
        """Return when a tally first showed at least `total` votes."""
        for at, payload in self.tallies:
            if payload.get("poll_id") == poll_id and payload["total"] >= total:
                return at
        return None


@dataclass
class Participant:
    """A simulated phone."""

    cookies: str
    csrf: str
    sock: LeanSocket | None = None


@dataclass
class VoteLog:
    """Outcomes of the votes of one scenario."""

    sent: int = 0
    ok: int = 0
    duplicate: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    ok_ids: set[str] = field(default_factory=set)
    acked_at: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)
    last_ack: float = 0.0
    first_sent: float = 0.0
    last_sent: float = 0.0

    def offered_per_s(self) -> float:
        """Votes sent per second, from the first send to the last."""
        return per_second(self.sent, self.first_sent, self.last_sent)

    def acked_per_s(self) -> float:
        """Votes acknowledged per second: the slope of acks counted against their times.

        A least-squares fit over every ack measures the server's throughput, which one
        slow ack at either end would skew in a first-to-last window (the latency figures
        show those). It does not tell whether the server kept up at every moment: one
        that stalls and then catches up reads near the offered rate. The largest backlog
        tells that.
        """
        return steady_rate(self.acked_at)

    def largest_backlog(self) -> int:
        """The most votes sent and not yet answered at any moment of the scenario."""
        return largest_backlog(self.sent_at, self.answered_at)


def per_second(count: int, first_ms: float, last_ms: float) -> float:
    """Rate of `count` events from the first one to the last: they span count - 1 gaps."""
    window = (last_ms - first_ms) / 1000
    return (count - 1) / window if count > 1 and window > 0 else float("nan")


def largest_backlog(sent_ms: list[float], answered_ms: list[float]) -> int:
    """The most events sent and not yet answered at once (an answer at a send's time first).

    A vote never answered (a timeout, a dropped socket) stays in the backlog to the end.
    """
    answers = sorted(answered_ms)
    most = waiting = answered = 0
    for sent in sorted(sent_ms):
        while answered < len(answers) and answers[answered] <= sent:
            answered += 1
            waiting -= 1
        waiting += 1
        most = max(most, waiting)
    return most


def steady_rate(times_ms: list[float]) -> float:
    """Events per second: the slope of their running count against their times."""
    if len(times_ms) < 2:
        return float("nan")
    try:
        fit = statistics.linear_regression(sorted(times_ms), range(len(times_ms)))
    except statistics.StatisticsError:  # all at the same moment
        return float("nan")
    return fit.slope * 1000


async def prepare(http, base: str, count: int, page: str) -> tuple[list[Participant], float]:
    """Fetch `count` participant sessions over HTTP; return them and the seconds it took."""
    started = time.perf_counter()
    limit = asyncio.Semaphore(64)

    async def one() -> Participant:
        async with limit:
            cookies, csrf = await http_session(http, base, page)
            return Participant(cookies, csrf)

    people = await asyncio.gather(*(one() for _ in range(count)))
    return list(people), time.perf_counter() - started


async def staff_session(http, base: str, email: str, password: str) -> tuple[str, str]:
    """Sign in as staff through the login form; return cookies and the console's CSRF token."""
    # Unquoted like a browser's: nginx's sticky cookie ends in "==", and quoted it is
    # "invalid" to nginx, which would then send each request to a random process.
    jar = aiohttp.CookieJar(unsafe=True, quote_cookie=False)
    async with aiohttp.ClientSession(cookie_jar=jar) as own:
        async with own.get(base + "/login") as response:
            token = (await response.text()).split('name="csrf-token" content="')[1].split('"')[0]
        async with own.post(
            base + "/login",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
        ) as response:
            if response.status != 302:
                raise SocketError("staff login failed")
        async with own.get(f"{base}/manage/{EVENT}/polls") as response:
            csrf = (await response.text()).split('name="csrf-token" content="')[1].split('"')[0]
        cookies = "; ".join(f"{c.key}={c.value}" for c in jar)
    return cookies, csrf


async def join_storm(http, base: str, people: list[Participant], seconds: float) -> dict:
    """Connect and join every participant, spread over `seconds`; measure connect times."""
    times: list[float] = []
    failures: list[str] = []
    gap = seconds / max(1, len(people))

    async def one(person: Participant, delay: float) -> None:
        await asyncio.sleep(delay)
        started = now_ms()
        try:
            person.sock = LeanSocket()
            await person.sock.connect(http, base, person.cookies, person.csrf)
            ack = await person.sock.emit("join", {"event": EVENT})
            if not ack or not ack.get("ok"):
                raise SocketError(str(ack))
            times.append(now_ms() - started)
        except (TimeoutError, SocketError, OSError, aiohttp.ClientError) as error:
            failures.append(repr(error)[:120])
            # A phone whose connect or join timed out gives up on that socket; closed,
            # it is reconnected by `revive` before the next scenario (else it would
            # stay open without a join and every vote on it would be "not_joined").
            await person.sock.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(p, i * gap) for i, p in enumerate(people)))
    return {
        "joined": len(times),
        "failed": len(failures),
        "failures": failures[:5],
        "seconds": time.perf_counter() - started,
        "connect_p50_ms": pct(times, 50),
        "connect_p99_ms": pct(times, 99),
    }


async def revive(http, base: str, people: list[Participant]) -> int:
    """Reconnect and re-join participants whose socket was closed; return how many."""
    dead = [p for p in people if p.sock is None or p.sock.ws is None or p.sock.ws.closed]
    limit = asyncio.Semaphore(100)

    async def one(person: Participant) -> None:
        async with limit:
            if person.sock is not None:
                await person.sock.close()
            person.sock = LeanSocket()
            try:
                await person.sock.connect(http, base, person.cookies, person.csrf)
                await person.sock.emit("join", {"event": EVENT})
            except (TimeoutError, SocketError, OSError, aiohttp.ClientError):
                await person.sock.close()  # tried again before the next scenario

    await asyncio.gather(*(one(p) for p in dead), return_exceptions=True)
    return len(dead)


async def vote_at_rate(
    people, poll_id: int, options: list[int], rate: float, total: int, log: VoteLog, *, during=None
) -> None:
    """Send `total` votes at `rate` per second (open loop), round-robin over participants."""
    tasks = []
    started = time.perf_counter()
    log.first_sent = now_ms()
    tick = 0.01
    last_due = started + (total - 1) / rate
    sent = 0
    while sent < total:
        # The epsilon: (total - 1) / rate * rate can come out just under total - 1.
        due = min(total, int((time.perf_counter() - started) * rate + 1e-6) + 1)
        while sent < due:
            person = people[sent % len(people)]
            tasks.append(asyncio.create_task(cast(person, poll_id, random.choice(options), log)))
            sent += 1
        if during is not None:
            await during(time.perf_counter() - started)
        # Wake for the last vote when it is due, not at the next tick: a late last vote
        # would stretch the window and lower the offered rate.
        await asyncio.sleep(max(0.0, min(tick, last_due - time.perf_counter())))
    log.last_sent = now_ms()
    await asyncio.gather(*tasks)


async def vote_and_count(people, poll_id, options, rate, total, log, during) -> dict:
    """Vote at a rate (as `vote_at_rate`) and return how many were acknowledged."""
    await vote_at_rate(people, poll_id, options, rate, total, log, during=during)
    return {"acked": log.ok}


async def cast(person: Participant, poll_id: int, option: int, log: VoteLog) -> None:
    """Cast one vote and record its outcome."""
    vote_id = secrets.token_hex(10)
    sent = now_ms()
    log.sent += 1
    log.sent_at.append(sent)
    try:
        ack = await person.sock.emit(
            "cast_vote",
            {"poll_id": poll_id, "choices": [option], "vote_id": vote_id, "sent_at": sent},
            timeout=120,
        )
    except (TimeoutError, SocketError, OSError) as error:
        log.errors[type(error).__name__] = log.errors.get(type(error).__name__, 0) + 1
        return
    done = now_ms()
    log.answered_at.append(done)
    if ack and ack.get("ok"):
        log.ok += 1
        log.ack_ms.append(done - sent)
        log.acked_at.append(done)
        log.last_ack = max(log.last_ack, done)
        if ack.get("duplicate"):
            log.duplicate += 1
        else:
            log.ok_ids.add(vote_id)
    else:
        code = (ack or {}).get("error", "no_ack")
        log.errors[code] = log.errors.get(code, 0) + 1


def stored_vote_ids(server, poll_id: int) -> set[str]:
    """Read the vote ids stored for a poll straight from the server's database."""
    return server.vote_ids(poll_id)


def ballots_stored(server, poll_id: int) -> int:
    """Count the ballots of a poll in the server's database."""
    return server.ballots(poll_id)


async def api(http, method: str, url: str, token: str | None = None) -> tuple[int, dict, float]:
    """Call the JSON API; return status, body and milliseconds."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = now_ms()
    async with http.request(method, url, headers=headers) as response:
        body = await response.json()
        return response.status, body, now_ms() - started


async def settle(
    display: Display, poll_id: int, expected: int, timeout: float = 10
) -> float | None:
    """Wait until the display shows `expected` votes; return when it first did."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        reached = display.time_total_reached(poll_id, expected)
        if reached is not None:
            return reached
        await asyncio.sleep(0.05)
    return None


# --- scenarios -------------------------------------------------------------------------


@dataclass
class Room:
    """The demo event's two polls and everyone connected to it for a run."""

    funding: int
    focus: int
    funding_options: list[int]
    focus_options: list[int]
    people: list
    display: Display
    console: LeanSocket
    display_cookies: object
    console_cookies: object


async def set_up_room(
    http, base: str, token: str, login: tuple[str, str], count: int, report
) -> Room:
    """Open the funding poll, prepare the phones' sessions, connect a display and a console."""
    _, event, _ = await api(http, "GET", f"{base}/api/v1/events/{EVENT}", token)
    polls = {p["id"]: p for p in event["polls"]}
    funding, focus = list(polls)[:2]
    await api(http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{funding}/open", token)
    people, report["prepare_sessions_s"] = await prepare(http, base, count, f"/e/{EVENT}")
    display = Display(LeanSocket())
    display.sock.on_event = display.on_event
    d_cookies, d_csrf = await http_session(http, base, f"/e/{EVENT}/display")
    await display.sock.connect(http, base, d_cookies, d_csrf)
    await display.sock.emit("join", {"event": EVENT, "role": "display"})
    c_cookies, c_csrf = await staff_session(http, base, *login)
    console = LeanSocket()
    await console.connect(http, base, c_cookies, c_csrf)
    console_ack = await console.emit("join", {"event": EVENT, "role": "console"})
    assert console_ack["ok"], console_ack
    return Room(
        funding=funding,
        focus=focus,
        funding_options=[o["id"] for o in polls[funding]["options"]],
        focus_options=[o["id"] for o in polls[focus]["options"]],
        people=people,
        display=display,
        console=console,
        display_cookies=d_cookies,
        console_cookies=c_cookies,
    )


async def run_plenum(args, workdir: Path) -> dict:
    """Run every scenario against `voting serve`."""
    server, token, email = start_plenum(workdir)
    password = (workdir / "plenum-instance" / "demo-login.txt").read_text().split()[1]
    report: dict = {"server": "plenum"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            base = server.base
            room = await set_up_room(
                http, base, token, (email, password), args.participants, report
            )
            funding, focus = room.funding, room.focus
            funding_options, focus_options = room.funding_options, room.focus_options
            people, display, console = room.people, room.display, room.console

            storm = await with_cpu(
                server, join_storm(http, base, people, args.join_seconds), "joined"
            )
            storm["rss_mb"] = server.rss_mb()
            report["join_storm"] = storm
            # Phones whose join failed try again (counted above), as a real phone would.
            revived: dict[str, int] = {"burst": await revive(http, base, people)}

            report["burst"] = await with_cpu(
                server, burst(args, server, display, people, funding, funding_options), "acked"
            )

            # sustained: votes (changes) at a fixed rate
            # Phones whose socket dropped in the previous scenario reconnect, as they would.
            revived["sustained"] = await revive(http, base, people)
            report["sustained"] = await with_cpu(
                server, sustained(args, server, display, people, funding, funding_options), "acked"
            )

            # overload: far more than it can take, open loop
            # Phones whose socket dropped in the previous scenario reconnect, as they would.
            revived["overload"] = await revive(http, base, people)
            before = stored_vote_ids(server, funding)
            log = VoteLog()
            total = int(args.overload_rate * args.overload_seconds)
            peak_rss = [server.rss_mb()]

            async def watch(elapsed: float) -> None:
                # Every half second, whenever the send loop's turn falls.
                if elapsed >= len(peak_rss) * 0.5:
                    peak_rss.append(server.rss_mb())

            overload_cpu = await with_cpu(
                server,
                vote_and_count(
                    people, funding, funding_options, args.overload_rate, total, log, watch
                ),
                "acked",
            )
            stored = stored_vote_ids(server, funding) - before
            report["overload"] = {
                "offered_per_s": log.offered_per_s(),
                "acked_per_s": log.acked_per_s(),
                "acked": log.ok,
                "errors": log.errors,
                "lost": len(log.ok_ids - stored),
                "alive": server.alive(),
                "ack_p50_ms": pct(log.ack_ms, 50),
                "ack_max_ms": max(log.ack_ms, default=float("nan")),
                "backlog_max": log.largest_backlog(),
                "peak_rss_mb": max(peak_rss),
                "server_cpu_pct": overload_cpu["server_cpu_pct"],
                "server_cpu_ms_per_op": overload_cpu["server_cpu_ms_per_op"],
            }

            # close during a burst, on the focus poll
            # Phones whose socket dropped in the previous scenario reconnect, as they would.
            revived["close_during_burst"] = await revive(http, base, people)
            report["close_during_burst"] = await with_cpu(
                server,
                close_during_burst(args, http, base, token, server, people, focus, focus_options),
            )

            # results API while voting
            # Phones whose socket dropped in the previous scenario reconnect, as they would.
            revived["results_api"] = await revive(http, base, people)
            await api(http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{focus}/open", token)
            api_ms: list[float] = []
            api_errors = 0
            log = VoteLog()

            async def poll_api(elapsed: float) -> None:
                nonlocal api_errors
                want = int(elapsed * args.api_rate)
                while len(api_ms) + api_errors < want:
                    status, _, ms = await api(
                        http, "GET", f"{base}/api/v1/events/{EVENT}/polls/{funding}/results"
                    )
                    if status == 200:
                        api_ms.append(ms)
                    else:
                        api_errors += 1

            async def api_load() -> None:
                started_api = time.perf_counter()
                sem = asyncio.Semaphore(32)
                tasks = []
                for i in range(int(args.api_rate * args.api_seconds)):
                    await asyncio.sleep(
                        max(0.0, started_api + i / args.api_rate - time.perf_counter())
                    )

                    async def one() -> None:
                        nonlocal api_errors
                        async with sem:
                            status, _, ms = await api(
                                http, "GET", f"{base}/api/v1/events/{EVENT}/polls/{funding}/results"
                            )
                            if status == 200:
                                api_ms.append(ms)
                            else:
                                api_errors += 1

                    tasks.append(asyncio.create_task(one()))
                await asyncio.gather(*tasks)

            async def api_scenario() -> dict:
                await asyncio.gather(
                    api_load(),
                    vote_at_rate(
                        people,
                        funding,
                        funding_options,
                        args.api_vote_rate,
                        int(args.api_vote_rate * args.api_seconds),
                        log,
                    ),
                )
                return {}

            api_cpu = await with_cpu(server, api_scenario())
            report["results_api"] = {
                "server_cpu_pct": api_cpu["server_cpu_pct"],
                "requests": len(api_ms) + api_errors,
                "errors": api_errors,
                "p50_ms": pct(api_ms, 50),
                "p99_ms": pct(api_ms, 99),
                "votes_acked_meanwhile": log.ok,
            }

            revived["saturation"] = await revive(http, base, people)
            report["reconnected_before"] = revived
            report["saturation"] = await with_cpu(
                server,
                saturation(people, funding, funding_options, args.saturation_seconds),
                "acked",
            )
            report["final_rss_mb"] = server.rss_mb()
            report["alive"] = server.alive()
            for person in people:
                await person.sock.close()
            await display.sock.close()
            await console.close()
    finally:
        server.stop()
    return report


async def burst(args, server, display: Display, people, poll_id: int, options) -> dict:
    """Every participant votes once within the burst window; check nothing is lost."""
    log = VoteLog()
    await vote_at_rate(people, poll_id, options, len(people) / args.burst_seconds, len(people), log)
    final_at = await settle(display, poll_id, log.ok - log.duplicate)
    stored = stored_vote_ids(server, poll_id)
    return {
        "votes": log.sent,
        "acked": log.ok,
        "errors": log.errors,
        "stored": len(stored),
        "lost": len(log.ok_ids - stored),
        "ballots": ballots_stored(server, poll_id),
        "display_total": display.last_total(poll_id)[1],
        "ack_p50_ms": pct(log.ack_ms, 50),
        "ack_p99_ms": pct(log.ack_ms, 99),
        "display_after_last_ack_ms": (final_at - log.last_ack) if final_at else None,
    }


async def close_during_burst(
    args, http, base: str, token: str, server, people, poll_id: int, options
) -> dict:
    """Open the poll, vote at burst rate and close it halfway; compare acks and storage."""
    await api(http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{poll_id}/open", token)
    log = VoteLog()
    close_info: dict = {}

    async def close_midway(elapsed: float) -> None:
        if not close_info and elapsed >= args.burst_seconds / 2:
            close_info["status"], close_info["body"], _ = await api(
                http, "POST", f"{base}/api/v1/events/{EVENT}/polls/{poll_id}/close", token
            )

    await vote_at_rate(
        people,
        poll_id,
        options,
        len(people) / args.burst_seconds,
        len(people),
        log,
        during=close_midway,
    )
    stored = stored_vote_ids(server, poll_id)
    return {
        "acked": log.ok,
        "refused_closed": log.errors.get("poll_closed", 0),
        "errors": log.errors,
        "stored": len(stored),
        "acked_not_stored": len(log.ok_ids - stored),
        "stored_not_acked": len(stored - log.ok_ids),
        "stored_after_close": server.stored_after_close(poll_id),
        "close_status": close_info.get("status"),
    }


async def sustained(args, server: Server, display: Display, people, poll_id: int, options) -> dict:
    """Vote at the sustained rate (participants change their votes); measure and check."""
    before = stored_vote_ids(server, poll_id)
    log = VoteLog()
    since = now_ms()
    total = int(args.sustained_rate * args.sustained_seconds)
    await vote_at_rate(people, poll_id, options, args.sustained_rate, total, log)
    await asyncio.sleep(0.5)
    lat = display.latencies(since, poll_id)
    stored = stored_vote_ids(server, poll_id) - before
    return {
        "offered_per_s": log.offered_per_s(),
        "processed_per_s": log.acked_per_s(),
        "acked": log.ok,
        "errors": log.errors,
        # The baseline keeps only each voter's latest ballot (no submission log), so a
        # changed vote's id is gone from its table: losses are checked for Plenum only.
        "lost": len(log.ok_ids - stored) if server.name == "plenum" else None,
        "ack_p99_ms": pct(log.ack_ms, 99),
        "ack_max_ms": max(log.ack_ms, default=float("nan")),
        "backlog_max": log.largest_backlog(),
        "display_p50_ms": pct(lat, 50),
        "display_p99_ms": pct(lat, 99),
        "latency_samples": len(lat),
    }


async def saturation(people, poll_id: int, options: list[int], seconds: float) -> dict:
    """Closed loop: a share of the participants vote again as soon as acked; votes/s stored."""
    log = VoteLog()
    stop_at = time.perf_counter() + seconds
    voters = people[: min(len(people), 1000)]

    async def loop(person: Participant) -> None:
        while time.perf_counter() < stop_at:
            await cast(person, poll_id, random.choice(options), log)

    started = time.perf_counter()
    await asyncio.gather(*(loop(p) for p in voters))
    elapsed = time.perf_counter() - started
    return {
        "voters": len(voters),
        "acked": log.ok,
        "votes_per_s": log.ok / elapsed,
        "ack_p50_ms": pct(log.ack_ms, 50),
        "ack_p99_ms": pct(log.ack_ms, 99),
        "errors": log.errors,
    }


async def run_baseline(args, workdir: Path) -> dict:
    """Run the sustained and saturation scenarios against the bare baseline."""
    server = start_baseline(workdir)
    report: dict = {"server": "baseline"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            people, _ = await prepare(http, server.base, args.participants, f"/e/{EVENT}")
            display = Display(LeanSocket())
            display.sock.on_event = display.on_event
            cookies, csrf = await http_session(http, server.base, f"/e/{EVENT}")
            await display.sock.connect(http, server.base, cookies, csrf)
            await display.sock.emit("join", {"event": EVENT, "role": "display"})
            storm = await with_cpu(
                server, join_storm(http, server.base, people, args.join_seconds), "joined"
            )
            storm["rss_mb"] = server.rss_mb()
            report["join_storm"] = storm
            people = [
                p
                for p in people
                if p.sock is not None and p.sock.ws is not None and not p.sock.ws.closed
            ]
            report["sustained"] = await with_cpu(
                server, sustained(args, server, display, people, 1, [1, 2, 3]), "acked"
            )
            report["reconnected_before_saturation"] = await revive(http, server.base, people)
            report["saturation"] = await with_cpu(
                server, saturation(people, 1, [1, 2, 3], args.saturation_seconds), "acked"
            )
            for person in people:
                await person.sock.close()
            await display.sock.close()
    finally:
        server.stop()
    return report


# --- report ----------------------------------------------------------------------------


def fmt(value) -> str:
    """Format a figure for the table."""
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    return str(value)


def flow_text(figures: dict) -> str:
    """Describe an open-loop scenario's rates and its largest backlog."""
    # Rates to one decimal, as the goals sit at round figures; the backlog also as the
    # time the offered rate takes to send that many votes.
    offered, backlog = figures["offered_per_s"], figures["backlog_max"]
    wait = 1000 * backlog / offered if offered == offered and offered > 0 else float("nan")
    return (
        f"offered {offered:,.1f}/s, processed {figures['processed_per_s']:,.1f}/s, "
        f"largest backlog {backlog} votes ({fmt(wait)} ms of votes)"
    )


def cpu_text(figures: dict, per: str) -> str:
    """Describe the server's CPU over a scenario: per operation and share of one core."""
    if "server_cpu_pct" not in figures:  # the scale-out run reports CPU by process
        return ""
    each = figures.get("server_cpu_ms_per_op")
    share = f"{fmt(figures['server_cpu_pct'])} % of a core"
    return (
        f"; server CPU {fmt(each)} ms per {per}, {share}"
        if each is not None
        else f"; server CPU {share}"
    )


def table(plenum: dict, baseline: dict | None) -> str:
    """Render the results as a Markdown table."""
    rows = []
    s = plenum["join_storm"]
    rows.append(
        (
            "join storm",
            f"{s['joined']} joined, {s['failed']} failed in {fmt(s['seconds'])} s; connect p50 {fmt(s['connect_p50_ms'])} ms, p99 {fmt(s['connect_p99_ms'])} ms; RSS {fmt(s['rss_mb'])} MB{cpu_text(s, 'join')}",
        )
    )
    b = plenum["burst"]
    rows.append(
        (
            "burst",
            f"{b['votes']} votes: {b['acked']} acked, {b['stored']} stored, {b['lost']} lost, display total {b['display_total']}; ack p50 {fmt(b['ack_p50_ms'])} ms, p99 {fmt(b['ack_p99_ms'])} ms; display final {fmt(b['display_after_last_ack_ms'])} ms after last ack; errors {b['errors'] or 'none'}{cpu_text(b, 'vote')}",
        )
    )
    u = plenum["sustained"]
    rows.append(
        (
            "sustained",
            f"{flow_text(u)}, {u['lost']} lost; vote-to-display p50 {fmt(u['display_p50_ms'])} ms, p99 {fmt(u['display_p99_ms'])} ms ({u['latency_samples']} samples); ack p99 {fmt(u['ack_p99_ms'])} ms, max {fmt(u['ack_max_ms'])} ms; errors {u['errors'] or 'none'}{cpu_text(u, 'vote')}",
        )
    )
    if "overload" in plenum:  # not in the scale-out scenario
        o = plenum["overload"]
        rows.append(
            (
                "overload",
                f"offered {fmt(o['offered_per_s'])}/s, acked {fmt(o['acked_per_s'])}/s, {o['lost']} lost, alive {o['alive']}; ack p50 {fmt(o['ack_p50_ms'])} ms, max {fmt(o['ack_max_ms'])} ms; largest backlog {o['backlog_max']} votes; peak RSS {fmt(o['peak_rss_mb'])} MB; refused {o['errors'] or 'none'}{cpu_text(o, 'vote')}",
            )
        )
    c = plenum["close_during_burst"]
    rows.append(
        (
            "close during burst",
            f"{c['acked']} acked, {c['refused_closed']} refused as closed; acked-not-stored {c['acked_not_stored']}, stored-not-acked {c['stored_not_acked']}, stored after close {c['stored_after_close']}",
        )
    )
    if "results_api" in plenum:
        a = plenum["results_api"]
        rows.append(
            (
                "results API",
                f"{a['requests']} requests, {a['errors']} errors, p50 {fmt(a['p50_ms'])} ms, p99 {fmt(a['p99_ms'])} ms, while {a['votes_acked_meanwhile']} votes were acked{cpu_text(a, '')}",
            )
        )
    rows.append(
        (
            "reconnected before each scenario",
            ", ".join(f"{k} {v}" for k, v in plenum.get("reconnected_before", {}).items()),
        )
    )
    sat = plenum.get("saturation")
    if sat:
        rows.append(
            (
                "saturation (closed loop)",
                f"{fmt(sat['votes_per_s'])} votes/s with {sat['voters']} voters, ack p99 {fmt(sat['ack_p99_ms'])} ms{cpu_text(sat, 'vote')}",
            )
        )
    rows.extend(plenum.get("extra_rows", []))
    if baseline and sat:
        bs = baseline["sustained"]
        rows.append(
            (
                "baseline sustained",
                f"{flow_text(bs)}; display p50 {fmt(bs['display_p50_ms'])} ms, p99 {fmt(bs['display_p99_ms'])} ms{cpu_text(bs, 'vote')}",
            )
        )
        bj = baseline["join_storm"]
        rows.append(
            (
                "baseline join storm",
                f"{bj['joined']} joined, {bj['failed']} failed in {fmt(bj['seconds'])} s; connect p50 {fmt(bj['connect_p50_ms'])} ms, p99 {fmt(bj['connect_p99_ms'])} ms; RSS {fmt(bj['rss_mb'])} MB{cpu_text(bj, 'join')}",
            )
        )
        bsat = baseline["saturation"]
        rows.append(
            (
                "baseline saturation",
                f"{fmt(bsat['votes_per_s'])} votes/s, ack p99 {fmt(bsat['ack_p99_ms'])} ms{cpu_text(bsat, 'vote')}",
            )
        )
        rows.append(
            (
                "ratio Plenum / baseline",
                f"sustained {u['processed_per_s'] / bs['processed_per_s']:.2f}, saturation {sat['votes_per_s'] / bsat['votes_per_s']:.2f}",
            )
        )
    return "| scenario | result |\n|---|---|\n" + "\n".join(
        f"| {name} | {text} |" for name, text in rows
    )


def positive(kind: type):
    """An argparse type: a finite number of `kind` above zero, else a clear refusal."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            wanted = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"not {wanted}: {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
        return value

    return parse


def parse_args(argv=None):
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=positive(int), default=5000)
    parser.add_argument(
        "--scale",
        type=positive(float),
        default=1.0,
        help="multiply every duration and rate (quick runs)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="instead: 2 processes on PostgreSQL and Redis behind nginx (benchmarks/scaleout.py)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    s = args.scale
    args.join_seconds = 10 * max(s, 0.1)
    args.burst_seconds = 5 * max(s, 0.1)
    args.sustained_rate, args.sustained_seconds = 2000 * s, 30 * max(s, 0.1)
    args.overload_rate, args.overload_seconds = 8000 * s, 10 * max(s, 0.1)
    args.api_rate, args.api_vote_rate, args.api_seconds = (
        200 * max(s, 0.1),
        1000 * s,
        10 * max(s, 0.1),
    )
    args.saturation_seconds = 10 * max(s, 0.1)
    return args


def main(argv=None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    raise_open_files()
    if not args.scale_out:  # scale-out: one app process per core, the rest floats
        pin(1)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    workdir = Path(tempfile.mkdtemp(prefix="plenum-bench-"))
    if args.scale_out:
        from benchmarks.scaleout import main_scaleout

        return main_scaleout(args, workdir)
    try:
        plenum = asyncio.run(run_plenum(args, workdir))
        baseline = None if args.no_baseline else asyncio.run(run_baseline(args, workdir))
    finally:
        keep = os.environ.get("BENCH_KEEP")
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    machine = f"{os.cpu_count()} cores, {platform_line()}"
    print(f"\nPlenum benchmark, {args.participants} participants, scale {args.scale}; {machine}\n")
    print(table(plenum, baseline))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "plenum": plenum,
                    "baseline": baseline,
                    "args": {k: v for k, v in vars(args).items() if k != "json"},
                },
                indent=2,
                default=str,
            )
        )
    return 0


def platform_line() -> str:
    """Describe the CPU."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
