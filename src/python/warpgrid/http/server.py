"""The HTTP/1.1 server in front of the dispatcher: h11 does the framing, one thread per connection.

What is refused and how a response is encoded is `warpgrid.http.framing` (shared with the async
trigger). This module adds the threaded I/O:

- every refusal closes the connection, after a brief linger so the client reads the answer;
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
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

import h11

from warpgrid.config import parse_listen
from warpgrid.hostsignals import handling
from warpgrid.http import framing
from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.framing import ServerLimits
from warpgrid.http.messages import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

BACKLOG = 1024  # the kernel caps it at net.core.somaxconn


class ListenError(Exception):
    """The configured address cannot be bound (in use, not local)."""


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


class _Connection:
    """One client connection: reads requests with h11, answers each through the dispatcher."""

    def __init__(self, trigger: "HttpTrigger", sock: socket.socket, peer: str) -> None:
        self.trigger = trigger
        self.sock = sock
        self.peer = peer
        self.idle = True  # waiting for the next request's first byte (the drain may close it)
        self.served = 0
        self.read_by: float | None = None  # time.monotonic() by which the request must be read
        self.h11 = framing.new_connection(trigger.limits)

    def run(self) -> None:
        try:
            self._serve()
        except framing.Refused as refused:
            self._refuse(refused.status, str(refused))
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
            event = framing.next_event(h, self.idle)
            if event is not h11.NEED_DATA:
                return event
            data = self.sock.recv(framing.RECV_BYTES)
            if self.read_by is None:
                self.read_by = time.monotonic() + self.trigger.limits.request_read_seconds
            elif time.monotonic() > self.read_by:
                raise framing.Refused(408, "the request took too long to arrive")
            if not data and not self.idle:
                raise ConnectionResetError("closed mid-request")
            h.receive_data(data)

    def _read_request(self, head: h11.Request) -> HttpRequest:
        headers = framing.accept_head(head, self.trigger.limits)
        if interim := framing.continue_response(self.h11):
            self.sock.sendall(interim)
        body = framing.RequestBody(self.trigger.limits.max_body_bytes)
        while not body.add(self._next_event()):
            pass
        return framing.to_request(head, headers, body.bytes())

    def _respond(self, request: HttpRequest, response: HttpResponse) -> None:
        head, body = framing.encode_response(self.h11, request, response, closing=self.trigger.stopping)
        sock = self.sock
        if len(body) <= framing.COALESCE_BYTES:
            sock.sendall(head + body)
        else:
            sock.sendall(head)
            sock.sendall(body)
        log.debug("%s %s %s -> %d (%d bytes)", self.peer, request.method, request.uri, response.status, len(body))

    def _refuse(self, status: int, reason: str, linger: bool = True) -> None:
        """Answers a framing or limit problem and lets the caller close the connection."""
        log.info("client %s: %d %s; closing the connection", self.peer, status, reason)
        answer = framing.refusal(self.h11, status, reason)
        if answer is None:
            return
        try:
            self.sock.sendall(answer)
            if linger:
                _linger(self.sock)
        except OSError:
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


def _linger(sock: socket.socket) -> None:
    """Half-closes and discards what the client is still sending, briefly (framing.LINGER_*)."""
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(0.2)
    deadline, seen = time.monotonic() + framing.LINGER_SECONDS, 0
    while time.monotonic() < deadline and seen < framing.LINGER_BYTES:
        try:
            chunk = sock.recv(framing.RECV_BYTES)
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
    limits = ServerLimits.for_serving(max_body, dispatcher.engine.config.limits.request_timeout_ms)
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
