"""The lean header parser of `voting serve`: the same headers as gevent's, stricter refusals."""

from __future__ import annotations

import hashlib
import http.client
import io

import gevent
import gevent.socket
import geventwebsocket.websocket
import pytest
from gevent.pywsgi import OldMessage, WSGIServer
from hypothesis import given
from hypothesis import strategies as st

from voting.wsgiserver import (
    MAX_HEADERS,
    MAX_LINE,
    Header,
    LeanHeadersHandler,
    parse_headers,
    unmask_payload,
)

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.text(TOKEN_CHARS, min_size=1, max_size=20)
# Latin-1 text without line breaks or surrounding blanks, as clients send field values.
values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60).map(
    lambda text: text.strip(" \t")
)


def block(pairs, pad: str = "") -> bytes:
    """Encode header lines and the blank line that ends them."""
    lines = "".join(f"{name}:{pad}{value}{pad}\r\n" for name, value in pairs)
    return (lines + "\r\n").encode("latin-1")


def standard(raw: bytes) -> OldMessage:
    """Parse as gevent does by default, with the e-mail parser."""
    return http.client.parse_headers(io.BytesIO(raw), _class=OldMessage)


@given(st.lists(st.tuples(names, values), max_size=30), st.sampled_from(["", " ", "\t "]))
def test_valid_headers_parse_as_the_email_parser_parses_them(pairs, pad):
    """The same fields, in order; values without the blanks around them (RFC 9110 5.5).

    The e-mail parser keeps trailing blanks in a value; gevent strips them anyway
    when it builds the WSGI environ.
    """
    raw = block(pairs, pad)
    lean, reference = parse_headers(io.BytesIO(raw)), standard(raw)
    assert lean.status == ""
    assert lean.items() == [(name, value.strip(" \t")) for name, value in reference.items()]
    assert list(lean.headers) == [f"{name}: {value}\r\n" for name, value in lean.items()]


def test_reading_stops_at_the_blank_line_and_leaves_the_body():
    stream = io.BytesIO(b"Content-Length: 4\r\nX-A: 1\n\r\nbody")
    message = parse_headers(stream)
    assert message.get("content-length") == "4"
    assert message.typeheader is None
    assert stream.read() == b"body"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"X-A: 1\r\n folded\r\n\r\n", "Invalid header line"),  # obsolete line folding
        (b"no colon here\r\n\r\n", "Invalid header line"),
        (b"Bad Name: 1\r\n\r\n", "Invalid header line"),  # a space in the name
        (b"Host : x\r\n\r\n", "Invalid header line"),  # a space before the colon
        (b": empty name\r\n\r\n", "Invalid header line"),
        (b"X-A: " + b"a" * MAX_LINE + b"\r\n\r\n", "Line too long"),
        (
            b"".join(b"X-%d: 1\r\n" % n for n in range(MAX_HEADERS + 1)) + b"\r\n",
            "Too many headers",
        ),
    ],
)
def test_malformed_headers_are_reported_for_a_400(raw, status):
    assert parse_headers(io.BytesIO(raw)).status == status


def echo_headers(environ, start_response):
    """A WSGI app answering with the request's HTTP_ variables and its body's digest."""
    received = environ["wsgi.input"].read()
    lines = [f"{k}={v}" for k, v in sorted(environ.items()) if k.startswith("HTTP_")]
    body = "\n".join([*lines, f"BODY={len(received)}:{hashlib.sha256(received).hexdigest()}"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode("latin-1")]


def serving(app):
    """gevent's WSGI server on loopback with the lean handler, as `voting serve` runs it."""
    served = WSGIServer(("127.0.0.1", 0), app, handler_class=LeanHeadersHandler, log=None)
    served.start()
    yield served
    served.stop()


@pytest.fixture
def server():
    """Serving echo_headers."""
    yield from serving(echo_headers)


def ask(server, raw: bytes) -> bytes:
    """Send a raw request and return the whole answer."""
    with gevent.socket.create_connection(("127.0.0.1", server.server_port)) as sock:
        sock.sendall(raw)
        chunks = []
        with gevent.Timeout(5):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def test_served_request_sees_its_headers(server):
    answer = ask(
        server,
        b"GET / HTTP/1.1\r\nHost: plenum.test\r\nCookie: a=1\r\nCookie: b=2\r\n"
        b"X-Forwarded-For:  10.0.0.1 \r\nConnection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 200")
    body = answer.split(b"\r\n\r\n", 1)[1].decode()
    assert "HTTP_COOKIE=a=1; b=2" in body.splitlines()
    assert "HTTP_X_FORWARDED_FOR=10.0.0.1" in body.splitlines()
    assert "HTTP_HOST=plenum.test" in body.splitlines()


def test_served_body_larger_than_the_read_buffer_arrives_whole(server):
    payload = bytes(range(256)) * 400  # 100 KB, fifty times the handler's read buffer
    answer = ask(
        server,
        b"POST / HTTP/1.1\r\nHost: plenum.test\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(payload) + payload,
    )
    assert f"BODY={len(payload)}:{hashlib.sha256(payload).hexdigest()}".encode() in answer


@pytest.mark.parametrize(
    "headers",
    [b"X-A: 1\r\n folded\r\n", b"no colon\r\n", b"X-A: " + b"a" * (MAX_LINE + 1) + b"\r\n"],
)
def test_served_malformed_request_gets_a_400(server, headers):
    answer = ask(server, b"GET / HTTP/1.1\r\nHost: plenum.test\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 400")


@given(st.binary(min_size=4, max_size=4), st.binary(max_size=300))
def test_unmasking_matches_the_websocket_rule(key, payload):
    """RFC 6455 5.3: byte i is XORed with byte i mod 4 of the key."""
    header = Header(fin=True, opcode=1, flags=0)
    header.mask, header.length = key, len(payload)
    assert unmask_payload(header, payload) == bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    assert Header.unmask_payload is unmask_payload


def test_incoming_text_is_checked_by_the_c_validator():
    assert geventwebsocket.websocket.Utf8Validator.__module__ == "wsaccel.utf8validator"


def echo_messages(environ, start_response):
    """Echo each websocket message back until the socket closes."""
    ws = environ["wsgi.websocket"]
    while (message := ws.receive()) is not None:
        ws.send(message)
    return []


@pytest.fixture
def ws_server():
    """Serving echo_messages over websockets."""
    yield from serving(echo_messages)


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, key: bytes = b"\x8a\x13\x5c\xe7"
) -> bytes:
    """A masked client frame (payloads under 126 bytes)."""
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([(0x80 if fin else 0) | opcode, 0x80 | len(payload)]) + key + masked


def open_websocket(server) -> gevent.socket.socket:
    """Connect and finish the websocket handshake."""
    sock = gevent.socket.create_connection(("127.0.0.1", server.server_port))
    sock.sendall(
        b"GET /ws HTTP/1.1\r\nHost: plenum.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    answer = b""
    with gevent.Timeout(5):
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101")
    return sock


def read_frame(sock) -> tuple[int, bytes]:
    """Read one unmasked server frame: (opcode, payload)."""
    with gevent.Timeout(5):
        head = sock.recv(2)
        length = head[1] & 0x7F
        payload = b""
        while len(payload) < length:
            payload += sock.recv(length - len(payload))
    return head[0] & 0x0F, payload


def test_served_websocket_messages_arrive_unmasked_even_split_mid_character(ws_server):
    text = '42["cast_vote",{"text":"Clusters für Europa – ça marche"}]'.encode()
    cut = text.index("ü".encode()) + 1  # the frames split the two bytes of one character
    sock = open_websocket(ws_server)
    sock.sendall(frame(1, text))
    assert read_frame(sock) == (1, text)
    sock.sendall(frame(1, text[:cut], fin=False) + frame(0, text[cut:]))
    assert read_frame(sock) == (1, text)
    sock.close()


def test_served_websocket_with_invalid_utf8_is_closed_undelivered(ws_server):
    sock = open_websocket(ws_server)
    sock.sendall(frame(1, b'42["join",{"event":"\xff\xfe"}]'))
    # A close frame, not the echo (gevent-websocket drops the code 1007 it means to send).
    assert read_frame(sock)[0] == 8
    sock.close()
