"""A TCP proxy in front of the test server whose network can be cut, like a phone's.

Each simulated device gets a proxy of its own and opens its pages at `NetCut.url`, so
cutting one proxy takes exactly that device off the network while the server and the
other devices carry on. A browser keeps Host and Origin of the proxy's address
(127.0.0.1:<proxy port>), which the app accepts as same-origin as it would any address.

- `cut()`: every open connection is reset at once (a phone whose radio dropped: its
  socket closes) and new connections are reset as soon as they arrive, until `restore()`.
- `drop_replies()`: requests still reach the server but nothing comes back (a vote is
  stored, its acknowledgement is lost); usually followed by `cut()`.
- `restore()`: connections pass again.

Plain threads: one accepting, two per connection (one per direction).
"""

from __future__ import annotations

import socket
import struct
import threading

_CHUNK = 65536


def _shut(sock: socket.socket) -> None:
    """Shut a socket down with a reset to come at its close; wakes a thread blocked on it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reset(sock: socket.socket) -> None:
    """Close a socket with a TCP reset (SO_LINGER 0)."""
    _shut(sock)
    sock.close()


class NetCut:
    """A loopback TCP proxy to 127.0.0.1:`target_port` that can lose its network."""

    def __init__(self, target_port: int, name: str = "net"):
        self.target = ("127.0.0.1", target_port)
        self.name = name
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._down = False  # cut: reset everything
        self._mute = False  # drop_replies: the server's bytes go nowhere
        self.refused = 0  # connections that arrived while cut (a device trying to get back)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, name=f"netcut-{name}", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Lose the network: reset every open connection and every new one."""
        with self._lock:
            self._down = True
            links = list(self._links)
        for link in links:
            link.close()

    def drop_replies(self) -> None:
        """Let requests through but drop everything the server sends back."""
        with self._lock:
            self._mute = True

    def restore(self) -> None:
        """Network back: new connections pass both ways again."""
        with self._lock:
            self._down = False
            self._mute = False

    def close(self) -> None:
        """Stop listening and reset every connection (the fixture's teardown)."""
        self.cut()
        _reset(self._listener)
        self._acceptor.join(timeout=5)
        with self._lock:
            threads = [thread for link in self._links for thread in link.threads]
        for thread in threads:
            thread.join(timeout=5)

    def muted(self) -> bool:
        return self._mute

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # the listener was closed
                return
            with self._lock:
                down = self._down
                if down:
                    self.refused += 1
            if down:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:  # the server itself is down: the client sees a reset
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                down = self._down  # cut while connecting
                if not down:
                    link = _Link(self, client, upstream)
                    self._links.add(link)
                    link.start()
            if down:
                _reset(client)
                _reset(upstream)

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)


class _Link:
    """One client connection and its connection to the server, pumped by two threads.

    `close()` only shuts both sockets down; the thread that finishes last closes them,
    so no thread ever reads from a closed (and maybe reused) file descriptor.
    """

    def __init__(self, proxy: NetCut, client: socket.socket, upstream: socket.socket):
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.threads: list[threading.Thread] = []
        self._running = 2
        self._lock = threading.Lock()

    def start(self) -> None:
        for source, target, replies in (
            (self.client, self.upstream, False),
            (self.upstream, self.client, True),
        ):
            thread = threading.Thread(
                target=self._pump, args=(source, target, replies), daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def _pump(self, source: socket.socket, target: socket.socket, replies: bool) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if replies and self.proxy.muted():
                    continue
                target.sendall(data)
        except OSError:
            pass
        finally:
            self.close()
            with self._lock:
                self._running -= 1
                last = self._running == 0
            if last:
                self.client.close()
                self.upstream.close()
                self.proxy._forget(self)

    def close(self) -> None:
        _shut(self.client)
        _shut(self.upstream)
