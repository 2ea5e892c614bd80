"""The HTTP/1.1 server in front of the dispatcher: h11 does the framing, one thread per connection.

Why h11: request framing is where smuggling and memory DoS live (negative or non-numeric
Content-Length, chunked bodies, Content-Length and Transfer-Encoding together), so it comes from
a well-kept, pure-Python protocol library rather than hand-written parsing. This module adds the
policy h11 leaves to servers:

- a request carrying both Content-Length and Transfer-Encoding is refused with 400 (RFC 9112
  6.1 allows refusing it; forwarding it is how smuggling starts);
- header block over ``max_header_bytes`` -> 431; body over ``max_body_bytes`` -> 413, decided
  from Content-Length before any body byte is read, or while chunks arrive;
- every refusal closes the connection (the rest of the stream cannot be trusted);
- TCP_NODELAY on every connection and each response written in one ``sendall`` when small, so
  keep-alive requests do not wait for delayed ACKs; a listen backlog of ``BACKLOG``;
- a graceful drain: ``shutdown()`` stops accepting, closes idle keep-alive connections, lets
  in-flight requests finish (answered with ``Connection: close``) for up to ``drain_seconds``;
- one log line per connection that ends abnormally (reset, EOF mid-request, timeout), never
  a traceback.

Wasm execution releases the GIL (ctypes calls), so guests on different connections run in
parallel; ``warpgrid serve --workers N`` (``warpgrid.http.workers``) adds processes.
"""

from __future__ import annotations

import logging
import selectors
from http import HTTPStatus
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from collections.abc import Callable
from typing import TextIO

import h11

from warpgrid.config import parse_listen
from warpgrid.hostsignals import handling
from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.messages import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

# Headers the HTTP/1.1 framing owns; the guest's values would be wrong after re-encoding.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer"}
BACKLOG = 1024  # the kernel caps it at net.core.somaxconn
# Below this a response goes out in one sendall (header block + body), above it in two: the
# copy would cost more than the extra syscall (TCP_NODELAY means no Nagle stall either way).
COALESCE_BYTES = 64 << 10
RECV_BYTES = 64 << 10


class ListenError(Exception):
    """The configured address cannot be bound (in use, not local)."""


@dataclass(frozen=True)
class ServerLimits:
    max_body_bytes: int = 8 << 20
    max_header_bytes: int = 16 << 10
    # An idle keep-alive connection (or a client that stops sending mid-request) is closed after
    # this long, so the drain is bounded; guest calls are bounded by the request deadline.
    idle_timeout_seconds: float = 5.0
    drain_seconds: float = 10.0
    # A request's head (and body) must arrive within this, however slowly its bytes trickle
    # in: a per-recv timeout alone lets a client keep a thread with one byte every few seconds.
    request_read_seconds: float = 30.0
    # Connections served at once per worker; one more is answered 503 and closed.
    max_connections: int = 1024


def listen_socket(listen: str) -> socket.socket:
    """A bound, listening TCP socket for a loopback ``HOST:PORT``; raises ListenError."""
    host, port = parse_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as e:
        sock.close()
        raise ListenError(f"cannot listen on {listen}: {e.strerror or e}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"


class _Refused(Exception):
    """The request cannot be served; answer ``status`` and close the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class _Connection:
    """One client connection: reads requests with h11, answers each through the dispatcher."""

    def __init__(self, trigger: "HttpTrigger", sock: socket.socket, peer: str) -> None:
        self.trigger = trigger
        self.sock = sock
        self.peer = peer
        self.idle = True  # waiting for the next request's first byte (the drain may close it)
        self.served = 0
        self.read_by: float | None = None  # time.monotonic() by which the request must be read
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=trigger.limits.max_header_bytes)

    def run(self) -> None:
        try:
            self._serve()
        except _Refused as refusal:
            self._refuse(refusal.status, str(refusal))
        except socket.timeout:
            if not self.idle:
                log.info("client %s: timed out mid-request after %d request(s); closing", self.peer, self.served)
        except OSError as e:  # reset, broken pipe: the client went away
            log.info("client %s disconnected: %s (after %d request(s))", self.peer, e.strerror or e, self.served)
        finally:
            try:
                self.sock.close()
            finally:
                self.trigger._forget(self)

    def _serve(self) -> None:
        h = self.h11
        while True:
            self.idle = True
            if self.trigger.stopping:
                return
            self.read_by = None
            event = self._next_event()
            if isinstance(event, h11.ConnectionClosed):
                return
            self.idle = False
            assert isinstance(event, h11.Request), event
            request = self._read_request(event)
            response = self.trigger.dispatcher.handle(request)
            self._respond(request, response)
            self.served += 1
            if h.our_state is h11.MUST_CLOSE:
                return
            h.start_next_cycle()

    def _next_event(self) -> h11.Event | type[h11.PAUSED]:
        h = self.h11
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as e:
                if self.idle and h.their_state is h11.ERROR and "unexpectedly closed" in str(e):
                    raise ConnectionResetError(f"closed mid-request: {e}") from None
                raise _Refused(e.error_status_hint, str(e)) from None
            if event is not h11.NEED_DATA:
                return event
            data = self.sock.recv(RECV_BYTES)
            if self.read_by is None:
                self.read_by = time.monotonic() + self.trigger.limits.request_read_seconds
            elif time.monotonic() > self.read_by:
                raise _Refused(408, "the request took too long to arrive")
            if not data and not self.idle:
                raise ConnectionResetError("closed mid-request")
            h.receive_data(data)

    def _read_request(self, head: h11.Request) -> HttpRequest:
        limits = self.trigger.limits
        # h11 bounds only a header block that arrives in pieces; one that arrives whole is
        # measured here.
        if len(head.target) + sum(len(n) + len(v) + 4 for n, v in head.headers) > limits.max_header_bytes:
            raise _Refused(431, f"request header block is over the {limits.max_header_bytes}-byte limit")
        limit = limits.max_body_bytes
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in head.headers]
        names = {name for name, _ in headers}
        if "content-length" in names and "transfer-encoding" in names:
            raise _Refused(400, "both Content-Length and Transfer-Encoding: ambiguous framing")
        length = next((int(v) for n, v in headers if n == "content-length"), None)
        if length is not None and length > limit:
            raise _Refused(413, f"request body of {length} bytes is over the {limit}-byte limit")
        if self.h11.they_are_waiting_for_100_continue:
            self.sock.sendall(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))
        chunks: list[bytes] = []
        size = 0
        while True:
            event = self._next_event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise _Refused(413, f"request body is over the {limit}-byte limit")
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # ConnectionClosed mid-body is a RemoteProtocolError inside h11
                raise _Refused(400, f"unexpected {type(event).__name__} in a request body")
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return HttpRequest(head.method.decode("ascii"), head.target.decode("latin-1"), headers, body)

    def _respond(self, request: HttpRequest, response: HttpResponse) -> None:
        closing = self.trigger.stopping
        try:
            head, body = self._encode(request, response, closing)
        except h11.LocalProtocolError as e:  # the guest's status or a header is not valid HTTP
            log.error("%s %s: guest response is not valid HTTP (%s); answering 502", request.method, request.uri, e)
            fallback = HttpResponse(502, [("content-type", "text/plain")], b"guest returned an invalid HTTP response\n")
            head, body = self._encode(request, fallback, True)
        sock = self.sock
        if len(body) <= COALESCE_BYTES:
            sock.sendall(head + body)
        else:
            sock.sendall(head)
            sock.sendall(body)
        self.h11.send(h11.EndOfMessage())
        log.debug("%s %s %s -> %d (%d bytes)", self.peer, request.method, request.uri, response.status, len(body))

    def _encode(self, request: HttpRequest, response: HttpResponse, closing: bool) -> tuple[bytes, bytes]:
        """The header block and body bytes to send; raises LocalProtocolError (h11 state is
        unchanged then) when the guest's status or headers are not valid HTTP."""
        status = response.status
        bodiless = request.method == "HEAD" or status in (204, 304)
        headers = [(n, v) for n, v in response.headers if n.lower() not in HOP_BY_HOP]
        if status not in (204, 304):
            headers.append(("content-length", str(len(response.body))))
        if closing:
            headers.append(("connection", "close"))
        head = self.h11.send(h11.Response(status_code=status, headers=headers, reason=_reason(status)))
        body = b"" if bodiless else response.body
        if body:
            self.h11.send_with_data_passthrough(h11.Data(data=body))
        return head, body

    def _refuse(self, status: int, reason: str, linger: bool = True) -> None:
        """Answers a framing or limit problem and lets the caller close the connection."""
        log.info("client %s: %d %s; closing the connection", self.peer, status, reason)
        if self.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        body = f"{status} {reason}\n".encode()
        headers = [("content-type", "text/plain"), ("content-length", str(len(body))), ("connection", "close")]
        try:
            self.sock.sendall(self.h11.send(h11.Response(status_code=status, headers=headers, reason=_reason(status))) + body)
            if linger:
                _linger(self.sock)
        except (OSError, h11.LocalProtocolError):
            pass


class HttpTrigger:
    """Owns the listening socket; ``start()`` accepts on a background thread."""

    def __init__(
        self,
        dispatcher: RequestDispatcher,
        listen: str | socket.socket,
        max_body: int | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        limits = limits or ServerLimits()
        self.limits = limits if max_body is None else replace(limits, max_body_bytes=max_body)
        self.sock = listen if isinstance(listen, socket.socket) else listen_socket(listen)
        self.sock.setblocking(False)
        self.stopping = False
        self._connections: set[_Connection] = set()
        self._lock = threading.Lock()
        self._idle_cv = threading.Condition(self._lock)
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return url_of(self.sock)

    def start(self) -> "HttpTrigger":
        self._thread = threading.Thread(target=self._accept_loop, name="warpgrid-http", daemon=True)
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self.sock, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping:
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r:
                        return
                    self._accept()

    def _accept(self) -> None:
        try:  # other workers share the socket: another process may have taken the connection
            sock, addr = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:  # EMFILE and friends: keep serving the connections we have
            log.warning("accept failed: %s", e.strerror or e)
            time.sleep(0.05)
            return
        sock.setblocking(True)
        sock.settimeout(self.limits.idle_timeout_seconds)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr)
        conn = _Connection(self, sock, peer)
        with self._lock:
            full = len(self._connections) >= self.limits.max_connections
            if not full:
                self._connections.add(conn)
        if full:  # answered here, without lingering: the accept loop must not wait
            conn._refuse(503, f"{self.limits.max_connections} connections already open", linger=False)
            sock.close()
            return
        threading.Thread(target=conn.run, name=f"warpgrid-conn-{peer}", daemon=True).start()

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._idle_cv.notify_all()

    def shutdown(self, drain_seconds: float | None = None) -> None:
        """Stops accepting, closes idle connections, waits for in-flight requests (answered
        with ``Connection: close``), then closes whatever is left and the socket."""
        self.stopping = True
        self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join()
        self.sock.close()
        deadline = time.monotonic() + (self.limits.drain_seconds if drain_seconds is None else drain_seconds)
        with self._lock:
            while True:
                for conn in self._connections:
                    if conn.idle:  # wakes its recv(); a request in flight is answered first
                        _shut(conn.sock)
                remaining = deadline - time.monotonic()
                if not self._connections or remaining <= 0:
                    break
                self._idle_cv.wait(min(remaining, 0.1))
            left = list(self._connections)
        for conn in left:
            log.warning("client %s: request still running after the drain; closing its connection", conn.peer)
            _shut(conn.sock)
        self._wake_r.close()
        self._wake_w.close()


_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}


def _reason(status: int) -> bytes:
    return _REASONS.get(status, b"")


def _linger(sock: socket.socket, seconds: float = 1.0, max_bytes: int = 1 << 20) -> None:
    """Half-closes and discards what the client is still sending, briefly: closing with unread
    input makes the kernel send RST, and the client might never read the refusal."""
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(0.2)
    deadline, seen = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and seen < max_bytes:
        try:
            chunk = sock.recv(RECV_BYTES)
        except socket.timeout:
            continue
        if not chunk:
            return
        seen += len(chunk)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def serve(
    dispatcher: RequestDispatcher,
    listen: str | socket.socket,
    max_body: int = 8 << 20,
    out: TextIO = sys.stdout,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    """Serves until SIGTERM or SIGINT, then drains gracefully. Returns the exit code.

    The signal reaches live guest instances first (terminate/interrupt through the signals
    shim), then in-flight requests get up to the drain time to finish.
    """
    limits = ServerLimits(max_body_bytes=max_body, drain_seconds=dispatcher.engine.config.limits.request_timeout_ms / 1000 + 1)
    trigger = HttpTrigger(dispatcher, listen, limits=limits).start()
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        log.info("received %s: shutting down", name)
        dispatcher.engine.deliver_signal("terminate" if signum == signal.SIGTERM else "interrupt")
        stop.set()

    # The handlers stay installed through the drain: a second signal (a supervisor that sends
    # SIGTERM to the whole process group, then to each worker) must not kill it half way.
    with handling((signal.SIGTERM, signal.SIGINT), on_signal):
        try:
            if on_ready is None:
                print(f"Serving {trigger.url}", file=out, flush=True)
            else:
                on_ready(trigger.url)
            while not stop.wait(0.5):
                pass
        finally:
            trigger.shutdown()
            dispatcher.close()
            log.info("stopped; served %d requests, %d faults", dispatcher.stats.served, dispatcher.stats.faults)
    return 0
