"""The scale-out setup as child processes: PostgreSQL, Redis, `voting serve` x 2, nginx.

Shared by the scale-out test (`tests/scaleout/conftest.py`) and the benchmark's
scale-out scenario (`python -m benchmarks.run --scale-out`). Everything comes from
Debian's packages (postgresql, redis-server, nginx), listens on free loopback ports and
keeps its files in a work folder the caller removes:

- PostgreSQL: a private cluster made with initdb, run as the `postgres` user when we run
  as root (PostgreSQL refuses to run as root).
- Redis: `redis-server` without persistence.
- Two `voting serve` processes with the same DATABASE_URL, REDIS_URL, SECRET_KEY and
  instance folder, started at the same moment (their first-start work is serialised by
  an advisory lock), and nginx in front of them, configured like docs/deployment.md.

Nothing here imports pytest: a service that cannot start raises StartError with its log,
which the test turns into a failure.
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 90.0  # seconds: initdb, migrations and the demo event on a slow CI machine
APT_HINT = "apt-get install postgresql redis-server nginx"


class StartError(RuntimeError):
    """A service is missing, exited or did not get ready."""


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str) -> bool:
    """Say whether a GET of url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def which(name: str) -> str | None:
    """Find a program on PATH or in the sbin folders (nginx lives in /usr/sbin)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


def require(path: str | None, what: str) -> str:
    """Return an executable's path, or raise StartError saying how to install it."""
    if not path or not os.access(path, os.X_OK):
        raise StartError(f"{what} is not installed; the scale-out setup needs: {APT_HINT}")
    return path


def on_core(core: int | None) -> list[str]:
    """Return the command prefix that pins a process to one core (none if impossible)."""
    taskset = shutil.which("taskset")
    if core is None or taskset is None or (os.cpu_count() or 1) < 2:
        return []
    return [taskset, "-c", str(core)]


@dataclass(eq=False)
class Service:
    """A child process whose output goes to a log file in the work folder."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    user: str | None = None  # run as this account (when we run as root)
    process: subprocess.Popen | None = None
    _log: object = None

    def start(self) -> Service:
        assert self.process is None, f"{self.name} is running already"
        self._log = self.log_path.open("ab")
        extra = {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}
        self.process = subprocess.Popen(
            self.command,
            cwd=self.log_path.parent,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            **extra,
        )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_until(
        self, ready: Callable[[], bool], what: str = "ready", timeout: float = STARTUP_TIMEOUT
    ) -> None:
        """Poll `ready` until true; raise StartError with the log if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise StartError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise StartError(f"{self.name} not {what} within {timeout:.0f} s:\n{self.output()}")
            time.sleep(0.1)  # start-up polling only

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Send sig (then SIGKILL if it lingers), reap the process and close the log."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """kill -9: no clean-up, no goodbye to the clients."""
        self.process.kill()
        self.process.wait(timeout=20)

    def output(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def rss_mb(self) -> float:
        """Resident memory of the process in MB (NaN once it has exited)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")


def make_workdir(prefix: str) -> Path:
    """A temporary folder for every service's files, readable by the postgres user."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


# --- PostgreSQL --------------------------------------------------------------------------


@dataclass
class Postgres:
    """A PostgreSQL server reachable with a superuser URL, and its psql."""

    admin_url: str
    psql_path: str

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL and return psql's unaligned output."""
        url = self.admin_url if database is None else self.url(database)
        done = subprocess.run(
            [self.psql_path, url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed:\n{done.stderr}")
        return done.stdout.strip()

    def url(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database


def postgres_bindir() -> Path:
    """Debian's newest PostgreSQL binaries (/usr/lib/postgresql/<version>/bin)."""
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    return Path(bindirs[-1]) if bindirs else Path("/nonexistent")


def start_postgres(
    workdir: Path, started: list[Service], settings: dict[str, str] | None = None
) -> tuple[Service, Postgres]:
    """initdb a private cluster in workdir and start it; return the server and its access.

    `settings` are passed as `-c name=value`. The server is appended to `started` as soon
    as it runs; stop it with SIGINT (fast shutdown: ends open sessions).
    """
    bindir = postgres_bindir()
    require(str(bindir / "initdb"), "PostgreSQL (initdb)")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise StartError("no postgres account: reinstall Debian's postgresql") from None
        user = "postgres"  # initdb and postgres refuse to run as root
    home = workdir / "postgres"
    home.mkdir()
    if user:
        shutil.chown(home, user, user)
    port = free_port()
    init = Service(
        "initdb",
        [
            str(bindir / "initdb"),
            *("-D", str(home / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
            "--no-sync",
        ],
        home / "initdb.log",
        user=user,
    )
    started.append(init.start())
    if init.process.wait(timeout=STARTUP_TIMEOUT) != 0:
        init.stop()
        raise StartError(f"initdb failed:\n{init.output()}")
    init.stop()
    options = {"listen_addresses": "127.0.0.1", **(settings or {})}
    server = Service(
        "postgres",
        [
            str(bindir / "postgres"),
            *("-D", str(home / "data"), "-p", str(port), "-k", str(home)),
            *(arg for name, value in options.items() for arg in ("-c", f"{name}={value}")),
        ],
        home / "postgres.log",
        user=user,
    )
    started.append(server.start())
    ready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    server.wait_until(lambda: subprocess.run(ready, check=False).returncode == 0)
    return server, Postgres(
        f"postgresql://postgres@127.0.0.1:{port}/postgres", str(bindir / "psql")
    )


# --- Redis -------------------------------------------------------------------------------


def start_redis(workdir: Path, started: list[Service]) -> tuple[Service, str]:
    """Start a redis-server without persistence; return it and its URL."""
    binary = require(which("redis-server"), "redis-server")
    home = workdir / "redis"
    home.mkdir()
    port = free_port()
    server = Service(
        "redis",
        [
            binary,
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(home)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            *("--maxclients", "10000"),
        ],
        home / "redis.log",
    )
    started.append(server.start())

    def pong() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    server.wait_until(pong)
    return server, f"redis://127.0.0.1:{port}/0"


# --- the app processes and nginx ---------------------------------------------------------


def voting_command(*args: str) -> list[str]:
    """Return the `voting` console script of the running interpreter's venv, with args."""
    script = Path(sys.executable).parent / "voting"
    if script.exists():
        return [str(script), *args]
    code = f"import sys; from voting.cli import main; sys.argv = {['voting', *args]!r}; main()"
    return [sys.executable, "-c", code]


@dataclass(eq=False)
class App(Service):
    """A `voting serve` process."""

    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """The upstream address nginx names in X-Plenum-Upstream."""
        return f"127.0.0.1:{self.port}"


NGINX_CONF = """\
# The configuration of docs/deployment.md with local paths (scale-out test and benchmark).
worker_processes 1;
worker_rlimit_nofile {rlimit};
pid {home}/nginx.pid;
error_log {home}/error.log {log_level};
{user}
events {{ worker_connections {worker_connections}; }}
http {{
    access_log {access_log};
    client_body_temp_path {home}/client_body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream plenum {{
        # Sticky: one browser (the plenum_node cookie nginx gives it) always reaches the
        # same process, which Socket.IO's long-polling needs; on its death, the next one.
        hash $uid_got$uid_set consistent;
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=10s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=10s;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        userid on;
        userid_name plenum_node;
        userid_path /;
        userid_expires 30d;
        location / {{
            proxy_pass http://plenum;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;  # with the port: Socket.IO checks Origin
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 75s;
            proxy_send_timeout 75s;
            proxy_buffering off;
            # Test and benchmark only: which process answered.
            add_header X-Plenum-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@dataclass
class Cluster:
    """Two `voting serve` processes (a, b) on one database and Redis, nginx in front."""

    a: App
    b: App
    nginx: Service
    nginx_port: int
    env: dict[str, str]
    postgres: Postgres
    database: str
    home: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def apps(self) -> tuple[App, App]:
        return (self.a, self.b)

    def voting(self, *args: str) -> str:
        """Run a `voting` command against the cluster's database; return its output."""
        done = subprocess.run(
            voting_command(*args),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"voting {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def sql(self, query: str) -> str:
        """Run SQL in the cluster's database (psql -At output)."""
        return self.postgres.psql(query, self.database)

    def demo_login(self) -> tuple[str, str]:
        """The first admin's e-mail and password, written by the first start."""
        email, password = (self.home / "instance" / "demo-login.txt").read_text().split()[:2]
        return email, password


def start_cluster(
    workdir: Path,
    postgres: Postgres,
    database: str,
    redis_url: str,
    started: list[Service],
    *,
    cores: tuple[int | None, int | None] = (None, None),
    worker_connections: int = 1024,
    access_log: bool = True,
) -> Cluster:
    """Start both app processes at the same moment, wait for both, then start nginx.

    `cores` pins process A and B (taskset) where the machine has two cores. Every
    process is appended to `started` as soon as it runs; the caller stops them.
    """
    nginx_binary = require(which("nginx"), "nginx")
    home = Path(tempfile.mkdtemp(prefix="cluster-", dir=workdir))
    home.chmod(0o755)  # nginx's workers (nobody) use temp folders in here
    instance = home / "instance"  # shared, as with one systemd template on one machine
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url(database),
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_hex(32),
        "VOTING_INSTANCE_PATH": str(instance),
        "VOTING_PROXIES": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("VOTING_HTTPS", "VOTING_PUBLIC_URL"):
        env.pop(name, None)
    apps: list[App] = []
    for name, core in zip(("a", "b"), cores, strict=True):
        port = free_port()
        apps.append(
            App(
                f"voting serve {name.upper()} (:{port})",
                [
                    *on_core(core),
                    *voting_command("serve", "--host", "127.0.0.1", "--port", str(port)),
                ],
                home / f"serve-{name}.log",
                env=env,
                port=port,
            )
        )
    for app in apps:
        started.append(app.start())
    for app in apps:
        app.wait_until(lambda app=app: http_ok(app.url + "/"), "answering HTTP")

    port = free_port()
    user = ""
    if os.geteuid() == 0:  # the workers drop root; Debian has no group "nobody"
        group = "nogroup" if _group_exists("nogroup") else "nobody"
        user = f"user nobody {group};"
    (home / "nginx.conf").write_text(
        NGINX_CONF.format(
            home=home,
            user=user,
            port=port,
            port_a=apps[0].port,
            port_b=apps[1].port,
            worker_connections=worker_connections,
            rlimit=worker_connections + 256,  # one descriptor per connection
            # Thousands of clients: no per-request log lines, and no "client closed" notices.
            access_log=f"{home}/access.log" if access_log else "off",
            log_level="info" if access_log else "warn",
        )
    )
    nginx = Service(
        "nginx",
        [
            nginx_binary,
            *("-p", str(home), "-c", str(home / "nginx.conf"), "-e", str(home / "error.log")),
            *("-g", "daemon off;"),
        ],
        home / "nginx.out",
    )
    started.append(nginx.start())
    nginx.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/"), "proxying")
    return Cluster(apps[0], apps[1], nginx, port, env, postgres, database, home)


def stop_all(started: list[Service]) -> None:
    """Stop services in reverse order of start (PostgreSQL with a fast shutdown)."""
    for service in reversed(started):
        service.stop(signal.SIGINT if service.name == "postgres" else signal.SIGTERM)
    started.clear()
