"""Fixtures of the scale-out test: PostgreSQL, Redis, two `voting serve` and nginx.

Everything runs as child processes of the test, from Debian's packages (postgresql,
redis-server, nginx), on free loopback ports, with all files in one temporary folder
that is removed at the end:

- PostgreSQL: a private cluster made with initdb (as the `postgres` user when the test
  runs as root, since PostgreSQL refuses to run as root), or the server named by
  PLENUM_TEST_POSTGRES_URL (a superuser URL such as postgresql://postgres@127.0.0.1/postgres).
  Either way the test creates a fresh database and drops it afterwards.
- Redis: `redis-server` without persistence, or the server named by PLENUM_TEST_REDIS_URL.
- Two `voting serve` processes with the same DATABASE_URL, REDIS_URL, SECRET_KEY and
  instance folder, started at the same moment (their first-start work is serialised by
  an advisory lock), and nginx in front of them, configured like docs/deployment.md.

A missing binary fails the test (it does not skip): CI installs the packages in .ci/run,
and scripts/test installs them when run as root.
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

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 90.0  # seconds: initdb, migrations and the demo event on a slow CI machine
APT_HINT = "apt-get install postgresql redis-server nginx"

_services: list[Service] = []  # session services (PostgreSQL, Redis)
_cluster: list[Service] = []  # the current test's app processes and nginx


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str) -> bool:
    """Say whether a GET of url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def require(path: str | None, what: str) -> str:
    """Return an executable's path, or fail the test saying how to install it."""
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{what} is not installed; the scale-out test needs: {APT_HINT}", pytrace=False)
    return path


def which(name: str) -> str | None:
    """Find a program on PATH or in the sbin folders (nginx lives in /usr/sbin)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


@dataclass(eq=False)
class Service:
    """A child process whose output goes to a log file in the work folder."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    user: str | None = None  # run as this account (the test runs as root)
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

    def wait_until(self, ready: Callable[[], bool], what: str = "ready") -> None:
        """Poll `ready` until true; fail with the log if the process dies or time runs out."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.process.returncode}:\n{self.output()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{self.name} not {what} within {STARTUP_TIMEOUT:.0f} s:\n{self.output()}",
                    pytrace=False,
                )
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the services' output to the report of a failed scale-out test."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for service in _services + _cluster:
            report.sections.append((f"{service.name} output", service.output()[-15000:]))


@pytest.fixture(scope="session")
def workdir():
    """One temporary folder for every service's files, readable by the postgres user."""
    path = Path(tempfile.mkdtemp(prefix="plenum-scaleout-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


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
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"psql {sql!r} failed:\n{done.stderr}"
        return done.stdout.strip()

    def url(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def postgres(workdir):
    """PostgreSQL: the one of PLENUM_TEST_POSTGRES_URL, else a private cluster we start."""
    if os.environ.get("PLENUM_TEST_POSTGRES_URL"):
        yield Postgres(os.environ["PLENUM_TEST_POSTGRES_URL"], require(which("psql"), "psql"))
        return
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    bindir = Path(bindirs[-1]) if bindirs else Path("/nonexistent")
    require(str(bindir / "initdb"), "PostgreSQL (initdb)")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("no postgres account: reinstall Debian's postgresql", pytrace=False)
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
    _services.append(init.start())
    if init.process.wait(timeout=STARTUP_TIMEOUT) != 0:
        init.stop()
        pytest.fail(f"initdb failed:\n{init.output()}", pytrace=False)
    init.stop()
    server = Service(
        "postgres",
        [
            str(bindir / "postgres"),
            *("-D", str(home / "data"), "-p", str(port), "-k", str(home)),
            *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
        ],
        home / "postgres.log",
        user=user,
    )
    _services.append(server.start())
    ready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    try:
        server.wait_until(lambda: subprocess.run(ready, check=False).returncode == 0)
        yield Postgres(f"postgresql://postgres@127.0.0.1:{port}/postgres", str(bindir / "psql"))
    finally:
        server.stop(signal.SIGINT)  # fast shutdown: ends open sessions


@pytest.fixture(scope="session")
def redis_url(workdir):
    """Redis: the one of PLENUM_TEST_REDIS_URL, else a redis-server without persistence."""
    if os.environ.get("PLENUM_TEST_REDIS_URL"):
        yield os.environ["PLENUM_TEST_REDIS_URL"]
        return
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
        ],
        home / "redis.log",
    )
    _services.append(server.start())

    def pong() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        server.wait_until(pong)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.stop()


@pytest.fixture
def database(postgres):
    """A fresh, empty database; dropped (with its connections) after the test."""
    name = f"plenum_scaleout_{secrets.token_hex(4)}"
    postgres.psql(f"CREATE DATABASE {name}")
    yield name
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _voting_command(*args: str) -> list[str]:
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


NGINX_CONF = """\
# The test's nginx: the configuration of docs/deployment.md with test-local paths.
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log info;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log {home}/access.log;
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
        listen 127.0.0.1:{port};
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
            # Test only: which process answered.
            add_header X-Plenum-Upstream $upstream_addr always;
        }}
    }}
}}
"""


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def voting(self, *args: str) -> str:
        """Run a `voting` command against the cluster's database; return its output."""
        done = subprocess.run(
            _voting_command(*args),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"voting {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def sql(self, query: str) -> str:
        """Run SQL in the cluster's database (psql -At output)."""
        return self.postgres.psql(query, self.database)


@pytest.fixture
def cluster(workdir, postgres, redis_url, database):
    """Start both app processes at the same moment, wait for both, then start nginx."""
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
    started = _cluster
    started.clear()
    for name in ("a", "b"):
        port = free_port()
        apps.append(
            App(
                f"voting serve {name.upper()} (:{port})",
                _voting_command("serve", "--host", "127.0.0.1", "--port", str(port)),
                home / f"serve-{name}.log",
                env=env,
                port=port,
            )
        )
    try:
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
                home=home, user=user, port=port, port_a=apps[0].port, port_b=apps[1].port
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
        yield Cluster(apps[0], apps[1], nginx, port, env, postgres, database)
    finally:
        for service in reversed(started):
            service.stop()


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True
