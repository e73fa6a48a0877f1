"""Scale-out: two `voting serve` processes on PostgreSQL and Redis behind sticky nginx.

Participants vote on process A while the display, connected to process B, sees every
vote (through Redis). Then A is killed with SIGKILL while votes are in flight; the
participants reconnect through nginx, land on B and resend what got no ack, with the
same vote ids. Every vote must then be acknowledged, stored and shown exactly once.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
import socketio

pytestmark = pytest.mark.scaleout

EVENT = "EUCP18"
TIMEOUT = 30.0  # seconds for any one condition; generous for a slow 2-core CI machine
UPSTREAM = "X-Plenum-Upstream"  # set by the test's nginx: the process that answered


def wait_for(condition, what: str, timeout: float = TIMEOUT, every: float = 0.05) -> None:
    """Poll a condition until it holds; fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(every)


@dataclass(eq=False)
class Device:
    """A phone or projector: a cookie jar, the page's CSRF token and a Socket.IO client.

    Like the participant page, it keeps the vote it sent until the ack arrives (the page
    uses localStorage) and resends it with the same vote_id after reconnecting.
    """

    name: str
    http: requests.Session = field(default_factory=requests.Session)
    token: str = ""
    client: socketio.Client | None = None
    vote: dict | None = None
    acks: list[dict] = field(default_factory=list)
    results: dict[int, dict] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def upstream_of(self, base: str) -> str:
        """Return the process nginx sends this device's requests to."""
        response = self.http.get(base + "/static/css/app.css", timeout=TIMEOUT)
        return response.headers.get(UPSTREAM, "")

    def load(self, url: str) -> None:
        """GET a page: the session cookie, the participant id and the CSRF token."""
        response = self.http.get(url, timeout=TIMEOUT)
        assert response.status_code == 200, (url, response.status_code)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text)
        assert match, f"{url} has no csrf-token meta tag"
        self.token = match.group(1)

    def connect(self, base: str, transports: list[str] | None = None) -> None:
        """Open a new socket to base with the page's cookies and token (no auto-reconnect)."""
        self.close_socket()
        self.client = socketio.Client(reconnection=False, http_session=self.http)
        self.client.on("results", self._on_results)
        self.client.connect(
            base,
            auth={"csrf_token": self.token},
            transports=transports,
            wait_timeout=TIMEOUT,
        )

    def join(self, role: str = "participant") -> dict:
        ack = self.client.call("join", {"event": EVENT, "role": role}, timeout=TIMEOUT)
        assert ack.get("ok"), f"{self.name} could not join: {ack}"
        return ack

    def send_vote(self, poll_id: int, option_id: int) -> None:
        """Make a new vote and send it without waiting for the ack."""
        self.vote = {
            "poll_id": poll_id,
            "choices": [option_id],
            "vote_id": f"{self.name}-{secrets.token_hex(8)}",
        }
        self.resend()

    def resend(self) -> None:
        """Send the current vote (again, with the same vote_id); kept if the socket is dead."""
        with contextlib.suppress(socketio.exceptions.SocketIOError):  # dead: resent later
            self.client.emit("cast_vote", dict(self.vote), callback=self._on_ack)

    def _on_ack(self, ack: dict) -> None:
        with self._lock:
            self.acks.append(ack)

    def _on_results(self, payload: dict) -> None:
        with self._lock:
            last = self.results.get(payload["poll_id"])
            if last is None or payload["seq"] > last["seq"]:  # as the pages do
                self.results[payload["poll_id"]] = payload

    @property
    def acked(self) -> bool:
        with self._lock:
            return any(ack.get("ok") for ack in self.acks)

    def total(self, poll_id: int) -> int | None:
        with self._lock:
            return (self.results.get(poll_id) or {}).get("total")

    def close_socket(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            # python-engineio's client leaves open the WebSocket of a connection the
            # server dropped (here: the killed process); close it, or the socket leaks.
            ws = getattr(self.client.eio, "ws", None)
            if ws is not None:
                ws.shutdown()
            self.client = None

    def close(self) -> None:
        self.close_socket()
        self.http.close()


class Relay:
    """A TCP relay to a port that can stop passing the server's answers (its "mute").

    Muted, the server still gets every vote and commits it, but its acks never reach the
    phone: the case of a process that dies after the commit and before the ack.
    """

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mute = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                phone, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.target, timeout=TIMEOUT)
            server.settimeout(None)
            self.sockets += [phone, server]
            for pump in ((phone, server, False), (server, phone, True)):
                thread = threading.Thread(target=self._pump, args=pump)
                self.threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                if not (answers and self.mute.is_set()):
                    sink.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join(timeout=TIMEOUT)
        for sock in self.sockets:
            sock.close()


class Api:
    """The JSON API with a staff token."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, base: str | None = None) -> dict:
        response = self.http.get((base or self.base) + path, timeout=TIMEOUT)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def post(self, path: str) -> dict:
        response = self.http.post(self.base + path, timeout=TIMEOUT)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def staff_api(cluster):
    """The API on process A with a token of the first admin (made by the first start)."""
    api = Api(cluster.a.url, cluster.voting("create-token", "admin@plenum.local").strip())
    yield api
    api.close()


@pytest.fixture
def devices():
    """Factory of devices; every socket and HTTP session is closed after the test."""
    made: list[Device] = []

    def make(name: str) -> Device:
        device = Device(name)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


def test_first_start_runs_once_and_nginx_is_sticky(cluster):
    """Both processes started at once: one migrated and seeded, the other waited."""
    migrated = [app for app in (cluster.a, cluster.b) if "Running upgrade" in app.output()]
    assert len(migrated) == 1, cluster.a.output() + cluster.b.output()
    assert cluster.sql("SELECT count(*) FROM events") == "1"
    # The first admin and the demo campaign's admin, each made once.
    assert cluster.sql("SELECT role, count(*) FROM users GROUP BY role ORDER BY role") == (
        "admin|1\ncampaign_admin|1"
    )
    for app in (cluster.a, cluster.b):
        assert "Plenum is running (gevent, postgresql" in app.output()

    # Each new browser is given a cookie that pins it to one process; both get some.
    backends = {f"127.0.0.1:{app.port}" for app in (cluster.a, cluster.b)}
    asset = cluster.url + "/static/css/app.css"  # cheap to serve
    seen = Counter()
    for _ in range(24):
        with requests.Session() as browser:
            first = browser.get(asset, timeout=TIMEOUT).headers[UPSTREAM]
            assert "plenum_node" in browser.cookies
            for _ in range(3):
                assert browser.get(asset, timeout=TIMEOUT).headers[UPSTREAM] == first
            seen[first] += 1
    assert set(seen) == backends, seen


def test_votes_survive_a_killed_process(cluster, staff_api, devices):
    a, b = cluster.a, cluster.b
    b_addr = f"127.0.0.1:{b.port}"
    api = staff_api
    event = api.get(f"/api/v1/events/{EVENT}")
    poll = next(p for p in event["polls"] if p["kind"] == "single" and p["visibility"] == "live")
    poll_id, options = poll["id"], [option["id"] for option in poll["options"]]
    votes_of_poll = f"FROM votes WHERE poll_id = {int(poll_id)}"

    def stored_votes() -> int:
        return int(cluster.sql(f"SELECT count(*) {votes_of_poll}"))  # noqa: S608

    # The projector is connected to B only.
    display = devices("display")
    display.load(f"{b.url}/e/{EVENT}/display")
    display.connect(b.url)
    display.join("display")

    # Staff open the poll on A; B's display hears of it through Redis.
    assert api.post(f"/api/v1/events/{EVENT}/polls/{poll_id}/open")["status"] == "open"
    wait_for(lambda: display.total(poll_id) == 0, "the display to get the opened poll")

    voters: list[Device] = []

    def participant(name: str, page_base: str) -> Device:
        device = devices(name)
        device.load(f"{page_base}/e/{EVENT}")
        voters.append(device)
        return device

    # 1. Through nginx with long-polling only: every request of a connection must reach
    #    the process that holds it, so this fails without stickiness.
    through_lb = [participant(f"lb{i}", cluster.url) for i in range(8)]
    for device in through_lb:
        device.connect(cluster.url, transports=["polling"])
        device.join()
        device.send_vote(poll_id, options[voters.index(device) % len(options)])
    wait_for(lambda: all(d.acked for d in through_lb), "the votes through nginx to be acked")
    for device in through_lb:
        device.close_socket()

    # 2. Directly on A: acked, and B's display shows them.
    on_a = [participant(f"a{i}", a.url) for i in range(12)]
    for device in on_a:
        device.connect(a.url)
        device.join()
        device.send_vote(poll_id, options[voters.index(device) % len(options)])
    wait_for(lambda: all(d.acked for d in on_a), "the votes on A to be acked")
    expected = len(through_lb) + len(on_a)
    wait_for(lambda: display.total(poll_id) == expected, f"B's display to show {expected} votes")

    # 3a. Votes that A stores but whose acks are lost (a relay drops A's answers).
    relay = Relay(a.port)
    try:
        muted = [participant(f"m{i}", a.url) for i in range(8)]
        for device in muted:
            device.connect(f"http://127.0.0.1:{relay.port}")
            device.join()
        relay.mute.set()
        for device in muted:
            device.send_vote(poll_id, options[voters.index(device) % len(options)])
        expected += len(muted)
        wait_for(lambda: stored_votes() == expected, "A to store the muted votes")

        # 3b. A stream of votes on A, and A is killed (SIGKILL) once a few are acked: the
        #     others are in flight, stored without an ack, or not even sent.
        stream = [participant(f"k{i}", a.url) for i in range(16)]
        for device in stream:
            device.connect(a.url)
            device.join()

        def send_stream() -> None:
            for device in stream:
                device.send_vote(poll_id, options[voters.index(device) % len(options)])
                time.sleep(0.01)  # pacing of the stream, not a wait for a result

        sender = threading.Thread(target=send_stream)
        sender.start()
        try:
            wait_for(lambda: sum(d.acked for d in stream) >= 4, "acks from A", every=0.005)
            a.kill()
        finally:
            sender.join()
    finally:
        relay.close()
    assert not any(d.acked for d in muted)
    in_flight = muted + stream
    unacked = [d for d in in_flight if not d.acked]

    # 4. Everyone who was on A reconnects through nginx, lands on B and resends what got
    #    no ack; one acked vote is resent too and must be answered as a duplicate.
    receipt_before = next(ack for ack in on_a[0].acks if ack.get("ok"))["receipt"]
    on_a[0].acks.clear()
    for device in on_a + in_flight:
        device.close_socket()
        device.connect(cluster.url)  # same cookies and CSRF token: the page is not reloaded
        device.join()
        assert device.upstream_of(cluster.url) == b_addr
    on_a[0].resend()
    for device in unacked:
        device.resend()
    wait_for(lambda: all(d.acked for d in in_flight + on_a[:1]), "the resent votes to be acked")
    again = next(ack for ack in on_a[0].acks if ack.get("ok"))
    assert again["duplicate"] is True
    assert again["receipt"] == receipt_before
    stored_before_ack = [d for d in unacked if d.acks[-1]["duplicate"]]
    assert all(d in stored_before_ack for d in muted), "a vote A stored was stored again"

    # 5. New participants after the failover vote through nginx (on B).
    late = [participant(f"n{i}", cluster.url) for i in range(5)]
    for device in late:
        device.connect(cluster.url)
        device.join()
        device.send_vote(poll_id, options[voters.index(device) % len(options)])
    wait_for(lambda: all(d.acked for d in late), "the votes after the failover to be acked")

    # Acknowledged == stored == shown, each vote exactly once.
    refused = [(d.name, ack) for d in voters for ack in d.acks if not ack.get("ok")]
    assert not refused
    expected_counts = Counter(d.vote["choices"][0] for d in voters)
    results = api.get(f"/api/v1/events/{EVENT}/polls/{poll_id}/results", base=cluster.url)
    counts = {option["id"]: option["count"] for option in results["options"]}
    assert results["total"] == len(voters)
    assert counts == {o: expected_counts.get(o, 0) for o in options}
    wait_for(lambda: display.total(poll_id) == len(voters), f"the display to show {len(voters)}")
    shown = {o["id"]: o["count"] for o in display.results[poll_id]["options"]}
    assert shown == counts
    assert stored_votes() == len(voters)
    vote_ids = cluster.sql(f"SELECT vote_id {votes_of_poll}").splitlines()  # noqa: S608
    assert sorted(vote_ids) == sorted(d.vote["vote_id"] for d in voters)
    receipts = {d.name: [ack["receipt"] for ack in d.acks] for d in voters}
    assert all(len(set(r)) == 1 for r in receipts.values()), receipts
    print(
        f"\n{len(voters)} votes; of the last {len(in_flight)} sent to A: "
        f"{len(in_flight) - len(unacked)} acked before the kill, "
        f"{len(stored_before_ack)} stored without an ack ({len(muted)} on purpose), "
        f"{len(unacked) - len(stored_before_ack)} first stored by B"
    )
