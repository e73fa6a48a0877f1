"""Fixtures of the browser tests: a real `voting serve` subprocess and headless Chromium.

The server runs exactly as in production (gevent, migrations, the demo event EUCP18 and
its generated staff login) on a free port with its own instance folder. One Chromium is
launched per session; every simulated device (phone, projector, moderator's laptop) gets
its own browser context, so cookies and participant identities stay apart.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("PLENUM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STARTUP_TIMEOUT = 60.0  # seconds: migrations and the demo event on a slow CI machine
LOGIN_LINE = re.compile(r"Staff login:\s+(\S+) / (\S+)")

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DISPLAY = {"viewport": {"width": 1920, "height": 1080}}
LAPTOP = {"viewport": {"width": 1366, "height": 900}}

# Every expect() waits up to 10 s: generous for a slow 2-core CI runner.
expect.set_options(timeout=10_000)

_running: list[Server] = []


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_command(port: int) -> list[str]:
    """Return the command that starts `voting serve`, from the running interpreter's venv."""
    script = Path(sys.executable).parent / "voting"
    if script.exists():
        return [str(script), "serve", "--port", str(port)]
    code = (
        "import sys; from voting.cli import main; "
        f"sys.argv = ['voting', 'serve', '--port', '{port}']; main()"
    )
    return [sys.executable, "-c", code]


@dataclass(eq=False)
class Server:
    """A `voting serve` subprocess on a fixed port and instance folder; restartable."""

    name: str
    instance: Path
    port: int = field(default_factory=free_port)
    email: str = ""
    password: str = ""
    extra_env: dict = field(default_factory=dict)
    _process: subprocess.Popen | None = None
    _log_file: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.instance.parent / f"{self.name}-server.log"

    def start(self) -> None:
        """Start the process and wait until it answers HTTP (fail with its output if not)."""
        assert self._process is None, "server is running already"
        env = {**os.environ, "VOTING_INSTANCE_PATH": str(self.instance), "PYTHONUNBUFFERED": "1"}
        for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "VOTING_HTTPS", "MAIL_SERVER"):
            env.pop(name, None)
        env.update(self.extra_env)
        # A file, not a pipe: nobody has to drain it, and it survives restarts.
        self._log_file = self.log_path.open("ab")
        self._process = subprocess.Popen(
            _serve_command(self.port),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        _running.append(self)
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        match = LOGIN_LINE.search(self.output())
        if match:
            self.email, self.password = match.groups()
        else:  # printed only while the demo login file exists; read it like a person would
            self.email, self.password = (self.instance / "demo-login.txt").read_text().split()[:2]

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self._process.poll() is not None:
                pytest.fail(
                    f"voting serve exited with {self._process.returncode}:\n{self.output()}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"voting serve did not answer within {STARTUP_TIMEOUT:.0f} s:\n{self.output()}",
                    pytrace=False,
                )
            time.sleep(0.1)  # polling for start-up only, never for a test's correctness

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL) and close its log."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self in _running:
            _running.remove(self)

    def restart(self) -> None:
        """Stop and start again on the same port with the same instance folder."""
        self.stop()
        self.start()

    def output(self) -> str:
        """Return everything the process printed so far (all its runs)."""
        if self._log_file is not None:
            self._log_file.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the output of the test's servers to the report of a failed browser test."""
    report = yield
    if report.failed:
        servers: list[Server] = []
        for value in item.funcargs.values():
            candidate = value.server if isinstance(value, Devices) else value
            if isinstance(candidate, Server) and candidate not in servers:
                servers.append(candidate)
        for server in servers or list(_running):
            report.sections.append(
                (f"voting serve ({server.name}) output", server.output()[-20000:])
            )
    return report


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Factory: start a fresh server with its own instance folder; all stopped at the end."""
    started: list[Server] = []

    def start(name: str, env: dict | None = None) -> Server:
        base = tmp_path_factory.mktemp(f"plenum-{name}")
        server = Server(name=name, instance=base / "instance", extra_env=env or {})
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(start_server) -> Server:
    """The shared server of the browser session: fresh SQLite with the demo event EUCP18."""
    return start_server("main")


@pytest.fixture(scope="session")
def browser() -> Browser:
    """One headless Chromium (Debian's package, never a downloaded one) for the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set PLENUM_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Devices:
    """Makes one browser context per simulated device and records their page errors."""

    def __init__(self, browser: Browser, server: Server):
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def new(self, name: str, kind: dict, *, via=None, **options) -> Page:
        """Open a page in a fresh context of the given kind (PHONE, DISPLAY, LAPTOP).

        `via`, a proxy with a `url` (tests/browser/netcut.py), carries the page, its session
        cookie and its socket instead of the direct way to the server.
        """
        base_url = (via or self.server).url
        context = self.browser.new_context(base_url=base_url, **kind, **options)
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{name}: {error}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{name}: {msg.text}")
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def devices_on(browser):
    """Factory: Devices against a given server; their contexts are closed after the test."""
    made: list[Devices] = []

    def make(server: Server) -> Devices:
        made.append(Devices(browser, server))
        return made[-1]

    yield make
    for devices in made:
        devices.close()


@pytest.fixture
def devices(devices_on, server):
    """Devices against the shared server; contexts are closed after the test."""
    return devices_on(server)


@pytest.fixture(scope="module")
def own_servers(start_server, request):
    """Factory: servers of one test module only, named after the module (and a part, for a
    second one): what its tests change (polls opened, settings, a restart) cannot disturb
    the shared server, whose tests depend on their order. Stopped after the module."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    started: list[Server] = []

    def start(part: str = "") -> Server:
        server = start_server(f"{module}-{part}" if part else module)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def own_server(own_servers):
    """The server of one test module only (see own_servers)."""
    return own_servers()


@pytest.fixture
def own_devices(devices_on, own_server):
    """Devices against the module's own server; contexts are closed after the test."""
    return devices_on(own_server)


@pytest.fixture
def screenshot(request):
    """Save a page's screenshot to test-artifacts/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_")

    def save(page: Page, name: str, *, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return save
