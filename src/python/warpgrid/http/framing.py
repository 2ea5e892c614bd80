"""HTTP/1.1 framing policy on top of h11, with no I/O: one place for what both triggers (the
threaded `warpgrid.http.server` and the async `warpgrid.aio.server`) refuse, and how they
encode a guest's response.

Why h11: request framing is where smuggling and memory DoS live (negative or non-numeric
Content-Length, chunked bodies, Content-Length and Transfer-Encoding together), so it comes from
a well-kept, pure-Python protocol library rather than hand-written parsing. This module adds the
policy h11 leaves to servers:

- a request carrying both Content-Length and Transfer-Encoding is refused with 400 (RFC 9112
  6.1 allows refusing it; forwarding it is how smuggling starts);
- header block over ``max_header_bytes`` -> 431; body over ``max_body_bytes`` -> 413, decided
  from Content-Length before any body byte is read, or while chunks arrive;
- a guest status or header that is not valid HTTP is answered 502, never sent on;
- the guest's hop-by-hop headers are dropped (the framing is re-encoded here).

The triggers add the I/O: every `Refused` is answered with `refusal()` and the connection
closed (the rest of the stream cannot be trusted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus

import h11

from warpgrid.http.messages import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

# Headers the HTTP/1.1 framing owns; the guest's values would be wrong after re-encoding.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer"}
RECV_BYTES = 64 << 10
# After a refusal, the server half-closes and discards what the client still sends for up to
# this long (and this many bytes): closing with unread input makes the kernel send RST, and the
# client might never read the refusal.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1 << 20
# Below this a response goes out in one write (header block + body), above it in two: the copy
# would cost more than the extra syscall (TCP_NODELAY means no Nagle stall either way).
COALESCE_BYTES = 64 << 10

_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}


@dataclass(frozen=True)
class ServerLimits:
    max_body_bytes: int = 8 << 20
    max_header_bytes: int = 16 << 10
    # An idle keep-alive connection (or a client that stops sending mid-request) is closed after
    # this long, so the drain is bounded; guest calls are bounded by the request deadline.
    idle_timeout_seconds: float = 5.0
    drain_seconds: float = 10.0
    # A request's head (and body) must arrive within this, however slowly its bytes trickle
    # in: a per-read timeout alone lets a client hold a connection with one byte every few seconds.
    request_read_seconds: float = 30.0
    # Connections served at once per worker; one more is answered 503 and closed.
    max_connections: int = 1024

    @classmethod
    def for_serving(cls, max_body_bytes: int, request_timeout_ms: int) -> "ServerLimits":
        """What `serve` runs with: the drain outlasts one request deadline, so a request in
        flight at SIGTERM is answered."""
        return cls(max_body_bytes=max_body_bytes, drain_seconds=request_timeout_ms / 1000 + 1)


class Refused(Exception):
    """The request cannot be served; answer ``status`` and close the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def new_connection(limits: ServerLimits) -> h11.Connection:
    return h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)


def next_event(conn: h11.Connection, idle: bool) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
    """h11's next event; a protocol error becomes `Refused` (with h11's status hint), or a
    ConnectionResetError when the client closed between requests."""
    try:
        return conn.next_event()
    except h11.RemoteProtocolError as e:
        if idle and conn.their_state is h11.ERROR and "unexpectedly closed" in str(e):
            raise ConnectionResetError(f"closed mid-request: {e}") from None
        raise Refused(e.error_status_hint, str(e)) from None


def accept_head(head: h11.Request, limits: ServerLimits) -> list[tuple[str, str]]:
    """The request's headers (lower-case names, latin-1); raises `Refused` for a head the server
    will not serve, before any body byte is read."""
    # h11 bounds only a header block that arrives in pieces; one that arrives whole is
    # measured here.
    if len(head.target) + sum(len(n) + len(v) + 4 for n, v in head.headers) > limits.max_header_bytes:
        raise Refused(431, f"request header block is over the {limits.max_header_bytes}-byte limit")
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in head.headers]
    names = {name for name, _ in headers}
    if "content-length" in names and "transfer-encoding" in names:
        raise Refused(400, "both Content-Length and Transfer-Encoding: ambiguous framing")
    length = next((int(v) for n, v in headers if n == "content-length"), None)
    if length is not None and length > limits.max_body_bytes:
        raise Refused(413, f"request body of {length} bytes is over the {limits.max_body_bytes}-byte limit")
    return headers


class RequestBody:
    """Collects a request body from h11 events, refusing it as soon as it passes the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._chunks: list[bytes] = []

    def add(self, event: h11.Event | type[h11.PAUSED]) -> bool:
        """Takes the next event after the head; True once the body is complete."""
        if isinstance(event, h11.EndOfMessage):
            return True
        if not isinstance(event, h11.Data):  # ConnectionClosed mid-body is a RemoteProtocolError in h11
            raise Refused(400, f"unexpected {type(event).__name__} in a request body")
        self.size += len(event.data)
        if self.size > self.limit:
            raise Refused(413, f"request body is over the {self.limit}-byte limit")
        self._chunks.append(event.data)
        return False

    def bytes(self) -> bytes:
        return self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)


def to_request(head: h11.Request, headers: list[tuple[str, str]], body: bytes) -> HttpRequest:
    return HttpRequest(head.method.decode("ascii"), head.target.decode("latin-1"), headers, body)


def continue_response(conn: h11.Connection) -> bytes:
    """`100 Continue` when the client waits for it before sending the body, else nothing."""
    if not conn.they_are_waiting_for_100_continue:
        return b""
    return conn.send(h11.InformationalResponse(status_code=100, headers=[]))


def encode_response(conn: h11.Connection, request: HttpRequest, response: HttpResponse, closing: bool) -> tuple[bytes, bytes]:
    """The header block and body to send for the guest's response (`Connection: close` when
    `closing`). A status or header that is not valid HTTP is answered 502 instead."""
    try:
        return _encode(conn, request, response, closing)
    except h11.LocalProtocolError as e:  # h11's state is unchanged then
        log.error("%s %s: guest response is not valid HTTP (%s); answering 502", request.method, request.uri, e)
        fallback = HttpResponse(502, [("content-type", "text/plain")], b"guest returned an invalid HTTP response\n")
        return _encode(conn, request, fallback, True)


def _encode(conn: h11.Connection, request: HttpRequest, response: HttpResponse, closing: bool) -> tuple[bytes, bytes]:
    status = response.status
    bodiless = request.method == "HEAD" or status in (204, 304)
    headers = [(n, v) for n, v in response.headers if n.lower() not in HOP_BY_HOP]
    if status not in (204, 304):
        headers.append(("content-length", str(len(response.body))))
    if closing:
        headers.append(("connection", "close"))
    head = conn.send(h11.Response(status_code=status, headers=headers, reason=reason(status)))
    body = b"" if bodiless else response.body
    if body:
        conn.send_with_data_passthrough(h11.Data(data=body))
    conn.send(h11.EndOfMessage())  # Content-Length framing: no bytes, only h11's state
    return head, body


def refusal(conn: h11.Connection, status: int, why: str) -> bytes | None:
    """The bytes that answer a refused request (`Connection: close`), or None when a response
    has already begun and nothing more can be said on this connection."""
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return None
    body = f"{status} {why}\n".encode()
    headers = [("content-type", "text/plain"), ("content-length", str(len(body))), ("connection", "close")]
    try:
        return conn.send(h11.Response(status_code=status, headers=headers, reason=reason(status))) + body
    except h11.LocalProtocolError:
        return None


def reason(status: int) -> bytes:
    return _REASONS.get(status, b"")
