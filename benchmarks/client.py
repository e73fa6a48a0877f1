"""A lean Socket.IO v5 / Engine.IO v4 client over aiohttp websockets, for load tests.

python-socketio's AsyncClient costs too much per connection to drive 5,000 clients
from one core; this speaks just what the real-time contract needs (docs/realtime.md):
connect with auth, emit with acks, receive events, answer pings.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable

import aiohttp

CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class SocketError(Exception):
    """The server refused the connection or an emit failed."""


def now_ms() -> float:
    """Return a monotonic clock in milliseconds (one clock for the whole generator)."""
    return time.perf_counter() * 1000.0


async def http_session(http: aiohttp.ClientSession, base: str, page: str) -> tuple[str, str]:
    """GET a page like a browser; return its session cookie header and CSRF token."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(
        cookie_jar=jar, connector=http.connector, connector_owner=False
    ) as own:
        async with own.get(base + page) as response:
            if response.status != 200:
                raise SocketError(f"GET {page}: HTTP {response.status}")
            html = await response.text()
        cookies = "; ".join(f"{c.key}={c.value}" for c in jar)
    match = CSRF_RE.search(html)
    if not match:
        raise SocketError(f"GET {page}: no csrf-token")
    return cookies, match.group(1)


class LeanSocket:
    """One Socket.IO connection on the default namespace."""

    def __init__(self, on_event: Callable[[str, object], None] | None = None) -> None:
        self.on_event = on_event
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._connected = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self.connect_error: str | None = None

    async def connect(
        self, http: aiohttp.ClientSession, base: str, cookies: str, csrf: str, timeout: float = 30
    ) -> None:
        """Open the websocket, send CONNECT with the CSRF token and wait for the answer."""
        url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await http.ws_connect(
            url,
            headers={"Cookie": cookies},
            autoping=False,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
        )
        opening = await asyncio.wait_for(self.ws.receive(), timeout)
        if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
            raise SocketError(f"unexpected opening {opening!r}")
        await self.ws.send_str("40" + json.dumps({"csrf_token": csrf}))
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._connected.wait(), timeout)
        if self.connect_error:
            raise SocketError(self.connect_error)

    async def emit(self, event: str, payload: object, timeout: float = 60) -> object:
        """Emit an event and wait for its acknowledgement."""
        ack_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self.ws.send_str(f"42{ack_id}" + json.dumps([event, payload], separators=(",", ":")))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._acks.pop(ack_id, None)

    async def _read(self) -> None:
        """Dispatch incoming packets until the socket closes."""
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = message.data
            kind = data[0]
            if kind == "2":  # Engine.IO ping
                await self.ws.send_str("3")
            elif kind == "4":
                self._packet(data[1:])
        self._connected.set()
        for future in self._acks.values():
            if not future.done():
                future.set_exception(SocketError("connection closed"))

    def _packet(self, packet: str) -> None:
        """Handle one Socket.IO packet."""
        kind, body = packet[0], packet[1:]
        if kind == "0":
            self._connected.set()
        elif kind == "4":
            self.connect_error = body or "connect_error"
            self._connected.set()
        elif kind == "3":
            split = body.index("[")
            future = self._acks.get(int(body[:split]))
            if future is not None and not future.done():
                args = json.loads(body[split:])
                future.set_result(args[0] if args else None)
        elif kind == "2" and self.on_event is not None:
            name, *args = json.loads(body[body.index("[") :])
            self.on_event(name, args[0] if args else None)

    async def close(self) -> None:
        """Close the connection."""
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
