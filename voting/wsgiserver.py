"""gevent's WSGI handler with a lean parser for request headers, and fast websocket frames.

gevent's pywsgi parses every request's headers with the standard library's e-mail
parser (`http.client.parse_headers`), built for MIME messages: in a join storm that was
14 % of the server's time, because each phone's websocket starts with an HTTP request.
The parser here reads the same lines under the same limits and builds the same message
object, and refuses (HTTP 400) what the e-mail parser would have let through silently:
folded lines (obsolete since RFC 7230, and a request-smuggling vector), lines that are
not `name: value`, and names that are not HTTP tokens.

gevent-websocket unmasks every frame a browser sends and checks its UTF-8 in pure
Python, byte by byte: 14 us and twice 17 us for a 108-byte vote, a tenth of the
server's CPU per vote. wsaccel (its C accelerator, a dependency) does the UTF-8 check
by itself once installed; the unmasking is routed to wsaccel's masker here.
"""

from __future__ import annotations

import re

from gevent.pywsgi import OldMessage, WSGIHandler

try:  # voting serve uses gevent-websocket's handler when it is installed
    from geventwebsocket.handler import WebSocketHandler as BaseHandler
    from geventwebsocket.websocket import Header
except ImportError:  # pragma: no cover - gevent-websocket is a dependency
    BaseHandler, Header = WSGIHandler, None
try:
    from wsaccel.xormask import createXorMasker
except ImportError:  # pragma: no cover - a dependency; without it frames stay correct, slower
    createXorMasker = None


def unmask_payload(header, payload: bytes) -> bytes:
    """Unmask a frame's payload with its 4-byte key (wsaccel's C loop)."""
    return createXorMasker(header.mask, len(payload)).process(payload)


if Header is not None and createXorMasker is not None:
    Header.mask_payload = Header.unmask_payload = unmask_payload

READ_BUFFER = 2048  # bytes; see LeanHeadersHandler.__init__
MAX_LINE = 65536  # the limits of http.client, which gevent used
MAX_HEADERS = 100
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field name
END = (b"\r\n", b"\n", b"")


def parse_headers(stream, *_ignored):
    """Read a request's header lines from `stream` into gevent's message object.

    A problem is reported in the message's `status`, which gevent turns into a 400.
    """
    message = OldMessage()
    try:
        lines = _read_lines(stream)
    except ValueError as error:
        message.status = str(error)
        return message
    for line in lines:
        name, colon, value = line.decode("iso-8859-1").rstrip("\r\n").partition(":")
        if not colon or not TOKEN.fullmatch(name):
            message.status = "Invalid header line"
            return message
        message.set_raw(name, value.strip(" \t"))
    return message


def _read_lines(stream) -> list[bytes]:
    """Return the header lines up to the blank line, within the size limits."""
    lines = []
    while True:
        line = stream.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ValueError("Line too long")
        if line in END:
            return lines
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise ValueError("Too many headers")


class LeanHeadersHandler(BaseHandler):
    """gevent-websocket's handler (gevent's plain one without it), leaner per connection."""

    MessageClass = staticmethod(parse_headers)

    def __init__(self, sock, address, server) -> None:
        """Set up as gevent does, with a smaller read buffer.

        A connection lives as long as the phone stays on the page; gevent's 8 KB read
        buffer, held by each, was the largest single item of a connection's memory.
        Requests and websocket frames are read through it in pieces, larger ones
        directly, so a smaller buffer changes no behaviour.
        """
        self.socket = sock
        self.client_address = address
        self.server = server
        self.rfile = sock.makefile("rb", READ_BUFFER)
