"""The benchmark's scale-out scenario: `python -m benchmarks.run --scale-out`.

Two `voting serve` processes on one PostgreSQL database, Redis as Flask-SocketIO's
message queue and nginx in front with sticky sessions (docs/deployment.md), all started
here as child processes by `benchmarks/cluster.py` (which the scale-out test uses too).
Every client connects through nginx: the participants, the display and the staff
console. The scenarios are those of the one-process run that the issue asks of the
scale-out setup: join storm, burst, sustained and close during a burst, with the same
zero-loss checks, here against PostgreSQL.

nginx's stickiness hashes the `plenum_node` cookie it gives each new browser; every
simulated phone has its own cookie jar, so the phones spread over both processes even
though they all come from 127.0.0.1. The split is measured, not assumed: the
established connections on each process's port after the join storm, and which process
answers the display's and the console's cookies.

Pinning on a 2-core machine: process A on core 0, process B on core 1 (taskset); the
generator, nginx, PostgreSQL and Redis are not pinned and share both cores with them.
The CPU each of them used during each scenario is measured from /proc and reported.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.cluster import (
    Cluster,
    Service,
    StartError,
    start_cluster,
    start_postgres,
    start_redis,
    stop_all,
)
from benchmarks.run import (
    burst,
    close_during_burst,
    cpu_seconds,
    fmt,
    join_storm,
    own_collections_held,
    platform_line,
    revive,
    set_up_room,
    sustained,
    table,
)

DATABASE = "plenum_bench"
CPU_PARTS = ("A", "B", "generator", "nginx", "postgres", "redis", "others", "machine")
UPSTREAM = "X-Plenum-Upstream"  # set by the cluster's nginx: the process that answered


@dataclass
class ClusterServer:
    """The two processes seen as one server under test, with PostgreSQL as its store."""

    cluster: Cluster
    name: str = "plenum"  # same checks as the one-process Plenum run

    def rss_mb(self) -> float:
        return sum(app.rss_mb() for app in self.cluster.apps)

    def alive(self) -> bool:
        return all(app.alive() for app in self.cluster.apps)

    def vote_ids(self, poll_id: int) -> set[str]:
        """The vote ids stored for a poll, read from PostgreSQL."""
        out = self.cluster.sql(f"SELECT vote_id FROM votes WHERE poll_id = {int(poll_id)}")  # noqa: S608
        return set(out.splitlines())

    def ballots(self, poll_id: int) -> int:
        return int(self.cluster.sql(f"SELECT count(*) FROM ballots WHERE poll_id = {int(poll_id)}"))  # noqa: S608

    def stored_after_close(self, poll_id: int) -> int:
        poll = int(poll_id)
        return int(
            self.cluster.sql(
                f"SELECT count(*) FROM votes WHERE poll_id = {poll} AND created_at >"  # noqa: S608
                f" (SELECT closed_at FROM polls WHERE id = {poll})"
            )
        )


# --- where the connections and the CPU went ----------------------------------------------


def established(port: int) -> int:
    """Count established TCP connections whose local port is `port` (nginx -> a process)."""
    suffix = f":{port:04X}"
    count = 0
    for table_path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table_path).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(suffix) and fields[3] == "01":
                count += 1
    return count


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, everyone's processes)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by each part of the setup between a mark and now, in % of one core.

    `machine` is everything that ran on the machine (at most 100 x cores) and `others`
    what is not ours: other people's processes on a shared machine.
    """

    def __init__(self, services: dict[str, Service]) -> None:
        self.services = services

    def mark(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        marks = {name: cpu_seconds(s.pid) for name, s in self.services.items()}
        marks["generator"] = usage.ru_utime + usage.ru_stime
        marks["machine"] = machine_busy_seconds()
        marks["_wall"] = time.perf_counter()
        return marks

    def since(self, before: dict[str, float]) -> dict[str, float]:
        after = self.mark()
        wall = after.pop("_wall") - before["_wall"]
        used = {name: 100 * (after[name] - before[name]) / wall for name in after}
        used["others"] = max(
            0.0, used["machine"] - sum(v for k, v in used.items() if k != "machine")
        )
        return used


async def with_cpu_shares(meter: CpuMeter, work) -> dict:
    """Run a scenario with the generator's collections held; add each part's CPU share."""
    mark = meter.mark()
    with own_collections_held():
        result = await work
    result["cpu_pct"] = meter.since(mark)
    return result


async def upstream_of(http: aiohttp.ClientSession, base: str, cookies: str) -> str:
    """The process nginx sends a browser with these cookies to."""
    async with http.get(base + "/static/css/app.css", headers={"Cookie": cookies}) as response:
        await response.read()
        return response.headers.get(UPSTREAM, "")


# --- the scenarios ------------------------------------------------------------------------


async def run_scaleout(args, cluster: Cluster, services: dict[str, Service]) -> dict:
    """Run join storm, burst, sustained and close during a burst through nginx."""
    server = ClusterServer(cluster)
    meter = CpuMeter(services)
    email, password = cluster.demo_login()
    token = cluster.voting("create-token", email).strip()
    names = {cluster.a.address: "A", cluster.b.address: "B"}
    report: dict = {"server": "plenum-scaleout"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        base = cluster.url
        room = await set_up_room(http, base, token, (email, password), args.participants, report)
        funding, focus = room.funding, room.focus
        funding_options, focus_options = room.funding_options, room.focus_options
        people, display, console = room.people, room.display, room.console
        report["display_on"] = names.get(await upstream_of(http, base, room.display_cookies), "?")
        report["console_on"] = names.get(await upstream_of(http, base, room.console_cookies), "?")

        storm = await with_cpu_shares(meter, join_storm(http, base, people, args.join_seconds))
        storm["rss_mb"] = server.rss_mb()
        storm["rss_a_mb"], storm["rss_b_mb"] = (app.rss_mb() for app in cluster.apps)
        report["join_storm"] = storm
        # Sockets held by each process: the phones plus the display or console on it.
        report["sockets_after_join"] = {
            "A": established(cluster.a.port),
            "B": established(cluster.b.port),
        }
        revived: dict[str, int] = {"burst": await revive(http, base, people)}

        report["burst"] = await with_cpu_shares(
            meter, burst(args, server, display, people, funding, funding_options)
        )

        revived["sustained"] = await revive(http, base, people)
        report["sustained"] = await with_cpu_shares(
            meter, sustained(args, server, display, people, funding, funding_options)
        )

        revived["close_during_burst"] = await revive(http, base, people)
        report["close_during_burst"] = await with_cpu_shares(
            meter, close_during_burst(args, http, base, token, server, people, focus, focus_options)
        )
        report["reconnected_before"] = revived
        report["sockets_at_end"] = {
            "A": established(cluster.a.port),
            "B": established(cluster.b.port),
        }
        report["final_rss_mb"] = {"A": cluster.a.rss_mb(), "B": cluster.b.rss_mb()}
        report["alive"] = server.alive()
        for person in people:
            if person.sock is not None:
                await person.sock.close()
        await display.sock.close()
        await console.close()
    report["extra_rows"] = extra_rows(report)
    return report


def extra_rows(report: dict) -> list[tuple[str, str]]:
    """Table rows of what only the scale-out run has: the split and the CPU."""
    storm, sockets = report["join_storm"], report["sockets_after_join"]
    rows = [
        (
            "processes",
            f"sockets after the join storm: A (core 0) {sockets['A']}, B (core 1) {sockets['B']}; display on {report['display_on']}, console on {report['console_on']}; RSS A {fmt(storm['rss_a_mb'])} MB, B {fmt(storm['rss_b_mb'])} MB; alive at the end {report['alive']}",
        )
    ]
    for name in ("join_storm", "burst", "sustained", "close_during_burst"):
        cpu = report[name]["cpu_pct"]
        rows.append(
            (
                f"CPU during {name.replace('_', ' ')} (% of one core)",
                ", ".join(f"{part} {cpu[part]:.0f}" for part in CPU_PARTS if part in cpu),
            )
        )
    return rows


def main_scaleout(args, workdir: Path) -> int:
    """Start the setup, run the scenarios, print the table; always stop everything."""
    workdir.chmod(0o755)  # the postgres user reads its folder in here
    started: list[Service] = []
    try:
        # PostgreSQL with its durable defaults (fsync, synchronous_commit on).
        pg_server, postgres = start_postgres(workdir, started)
        postgres.psql(f"CREATE DATABASE {DATABASE}")
        redis_server, redis_url = start_redis(workdir, started)
        cluster = start_cluster(
            workdir,
            postgres,
            DATABASE,
            redis_url,
            started,
            cores=(0, 1),
            # Each proxied socket is two nginx connections; plus the prepare phase.
            worker_connections=2 * args.participants + 1024,
            access_log=False,
        )
        services = {
            "A": cluster.a,
            "B": cluster.b,
            "nginx": cluster.nginx,
            "postgres": pg_server,
            "redis": redis_server,
        }
        report = asyncio.run(run_scaleout(args, cluster, services))
    except StartError as error:
        print(f"scale-out setup failed: {error}", file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        for service in started:
            print(f"--- {service.name}\n{service.output()[-3000:]}", file=sys.stderr)
        raise
    finally:
        stop_all(started)
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
    machine = f"{os.cpu_count()} cores, {platform_line()}"
    print(
        f"\nPlenum scale-out benchmark: 2 processes, PostgreSQL, Redis, nginx; "
        f"{args.participants} participants, scale {args.scale}; {machine}\n"
    )
    print(table(report, None))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "scaleout": report,
                    "args": {k: v for k, v in vars(args).items() if k != "json"},
                },
                indent=2,
                default=str,
            )
        )
    return 0
