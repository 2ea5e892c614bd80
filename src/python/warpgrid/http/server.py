"""Threaded stdlib HTTP server in front of the dispatcher, with graceful shutdown.

``http.server.ThreadingHTTPServer`` gives one thread per connection; wasm execution releases
the GIL (ctypes calls), so guests on different requests run in parallel. Shutdown stops
accepting, lets in-flight requests finish (``block_on_close``) and closes the engine.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

from warpgrid.config import parse_listen
from warpgrid.hostsignals import handling
from warpgrid.http.messages import HttpRequest
from warpgrid.http.dispatch import RequestDispatcher

log = logging.getLogger(__name__)

# Headers the HTTP/1.1 framing owns; the guest's values would be wrong after re-encoding.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}
# An idle keep-alive connection is closed after this long, so shutdown (which waits for every
# connection thread) is bounded; guest calls themselves are bounded by the request deadline.
IDLE_TIMEOUT_SECONDS = 5


class ListenError(Exception):
    """The configured address cannot be bound (in use, not local)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: RequestDispatcher, max_body: int) -> None:
        self.dispatcher = dispatcher
        self.max_body = max_body
        self.stopping = False
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "warpgrid"
    timeout = IDLE_TIMEOUT_SECONDS

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > self.server.max_body:
            self.send_error(413, f"request body over {self.server.max_body} bytes")
            return
        body = self.rfile.read(length) if length else b""
        request = HttpRequest(self.command, self.path, [(k.lower(), v) for k, v in self.headers.items()], body)
        response = self.server.dispatcher.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        if self.server.stopping:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


class HttpTrigger:
    """Owns the listening socket; ``start()`` serves on a background thread."""

    def __init__(self, dispatcher: RequestDispatcher, listen: str, max_body: int = 8 << 20) -> None:
        host, port = parse_listen(listen)
        try:
            self.server = _Server((host, port), dispatcher, max_body)
        except OSError as e:
            raise ListenError(f"cannot listen on {listen}: {e.strerror or e}") from None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def start(self) -> "HttpTrigger":
        self._thread = threading.Thread(target=self.server.serve_forever, name="warpgrid-http", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stops accepting, waits for in-flight requests, closes the socket."""
        self.server.stopping = True
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join()


def serve(dispatcher: RequestDispatcher, listen: str, max_body: int = 8 << 20, out: TextIO = sys.stdout) -> int:
    """Serves until SIGTERM or SIGINT, then shuts down gracefully. Returns the exit code.

    Signals also reach live guest instances as terminate/interrupt through the signals shim.
    """
    trigger = HttpTrigger(dispatcher, listen, max_body).start()
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        log.info("received %s: shutting down", name)
        dispatcher.engine.deliver_signal("terminate" if signum == signal.SIGTERM else "interrupt")
        stop.set()

    try:
        with handling((signal.SIGTERM, signal.SIGINT), on_signal):
            print(f"Serving {trigger.url}", file=out, flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        trigger.shutdown()
        log.info("stopped; served %d requests, %d faults", dispatcher.stats.served, dispatcher.stats.faults)
    return 0
