"""HTTP/1.1 framing of both triggers, probed with raw bytes on real sockets.

Every probe runs against the threaded trigger (warpgrid.http.server) and the async host's
(warpgrid.aio.server): they share their framing policy (warpgrid.http.framing), and a client
must not be able to tell them apart by it. Each hostile probe asserts the status the server
answers AND that nothing leaked: no second response (a smuggled request), no guest call for a
refused request, the connection closed after a refusal, and no traceback in the log. The guest
is tests/guests/c http_service, which answers "METHOD URI\\nBODY".
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Coroutine

import pytest

from warpgrid.aio.engine import AsyncWarpGridEngine
from warpgrid.aio.server import AsyncHttpTrigger
from warpgrid.config import parse_config
from warpgrid.http import HttpTrigger, RequestDispatcher
from warpgrid.http.framing import ServerLimits

CONFIG = "[limits]\nmemory_mb = 16\nrequest_timeout_ms = 1000\n"
LIMITS = ServerLimits(max_body_bytes=1024, max_header_bytes=2048, idle_timeout_seconds=2.0, drain_seconds=5.0)


class ThreadedServer:
    """The threaded trigger over a WarpGridEngine."""

    def __init__(self, make_engine: Callable[..., Any], guest: Path, limits: ServerLimits) -> None:
        engine = make_engine(CONFIG)
        self.dispatcher = RequestDispatcher(engine, engine.load_component(guest))
        self.trigger = HttpTrigger(self.dispatcher, "127.0.0.1:0", limits=limits).start()
        self.address = self.trigger.sock.getsockname()[:2]

    def guest_calls(self) -> int:
        return self.dispatcher.stats.served + self.dispatcher.stats.faults

    def shutdown(self, drain_seconds: float | None = None) -> None:
        if not self.trigger.stopping:
            self.trigger.shutdown(drain_seconds)


class AsyncServer:
    """The async trigger over an AsyncWarpGridEngine, its event loop on a thread of its own so
    the probes can use plain blocking sockets."""

    def __init__(self, cache_dir: Path, guest: Path, limits: ServerLimits) -> None:
        self.engine = AsyncWarpGridEngine(parse_config(CONFIG, source="test-warp.toml"), cache_dir=cache_dir)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="async-trigger", daemon=True)
        self.thread.start()
        loaded = self.engine.load_component(guest)
        self.trigger = self._run(AsyncHttpTrigger(self.engine, loaded, "127.0.0.1:0", limits).start())
        self.address = ("127.0.0.1", self.trigger.port)

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def guest_calls(self) -> int:
        return self.engine.served + self.engine.faults

    def shutdown(self, drain_seconds: float | None = None) -> None:
        if self.loop.is_closed():
            return
        self._run(self.trigger.shutdown(drain_seconds))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.engine.close()


Server = ThreadedServer | AsyncServer


@pytest.fixture(params=["threaded", "async"])
def make_server(request, make_engine, http_guest, tmp_path) -> Iterator[Callable[[ServerLimits], Server]]:
    """make_server(limits) -> a started trigger of this run's kind; stopped after the test."""
    servers: list[Server] = []

    def make(limits: ServerLimits = LIMITS) -> Server:
        server: Server
        if request.param == "threaded":
            server = ThreadedServer(make_engine, http_guest, limits)
        else:
            server = AsyncServer(tmp_path / f"cache-{len(servers)}", http_guest, limits)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.shutdown(drain_seconds=1)


@pytest.fixture
def trigger(make_server) -> Server:
    return make_server()


def connect(server: Server) -> socket.socket:
    return socket.create_connection(server.address, timeout=5)


def exchange(server: Server, data: bytes) -> bytes:
    """Sends ``data``, half-closes, and reads until the server closes (or 5 s pass)."""
    with connect(server) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def statuses(raw: bytes) -> list[int]:
    """Status codes of every response in ``raw`` (a body may end without a line break)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", raw)]


@pytest.fixture
def no_tracebacks(caplog):
    caplog.set_level(logging.INFO, logger="warpgrid")
    yield caplog
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_keep_alive_answers_100_requests_without_stalls(trigger) -> None:
    with connect(trigger) as s:
        reader = s.makefile("rb")
        started = time.perf_counter()
        for i in range(100):
            s.sendall(f"GET /n{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert reader.readline().startswith(b"HTTP/1.1 200")
            length = 0
            while (line := reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert reader.read(length) == f"GET /n{i}\n".encode()
        # 40 ms per request was the Nagle/delayed-ACK stall: 100 requests took 4 s or more.
        assert time.perf_counter() - started < 3.5


def _accepted_socket(args: tuple[Any, ...]) -> Any:
    """The client socket among a `_Connection`'s arguments (threaded: the socket; async: the
    StreamWriter's transport socket)."""
    for arg in args:
        if isinstance(arg, socket.socket):
            return arg
        if hasattr(arg, "get_extra_info"):
            return arg.get_extra_info("socket")
    raise AssertionError(f"no socket in {args!r}")


def test_server_sockets_use_tcp_nodelay_and_a_real_backlog(make_server, monkeypatch) -> None:
    import warpgrid.aio.server as async_server
    import warpgrid.http.server as threaded_server

    assert threaded_server.BACKLOG >= 128
    seen: list[int] = []
    for module in (threaded_server, async_server):
        original = module._Connection.__init__

        def spy(self, *args, _original=original):  # type: ignore[no-untyped-def]
            seen.append(_accepted_socket(args).getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            _original(self, *args)

        monkeypatch.setattr(module._Connection, "__init__", spy)
    server = make_server()
    assert statuses(exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == [200]
    assert seen and all(seen)


def test_pipelined_requests_are_answered_in_order(trigger) -> None:
    raw = exchange(trigger, b"".join(f"GET /p{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(3)))
    assert statuses(raw) == [200, 200, 200]
    assert raw.index(b"GET /p0") < raw.index(b"GET /p1") < raw.index(b"GET /p2")


@pytest.mark.parametrize("length", [b"-1", b"abc", b"+5", b"0x10", b"5, 6", b"99999999999999999999999"])
def test_invalid_content_length_is_400_and_nothing_reaches_the_guest(trigger, no_tracebacks, length) -> None:
    before = trigger.guest_calls()
    raw = exchange(trigger, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\nabc")
    assert statuses(raw) == [400]
    assert b"connection: close" in raw.lower()
    assert trigger.guest_calls() == before


def test_conflicting_duplicate_content_length_is_400(trigger) -> None:
    raw = exchange(trigger, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
    assert statuses(raw) == [400]


def test_chunked_body_reaches_the_guest_and_smuggles_nothing(trigger) -> None:
    hidden = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    body = f"{len(hidden):x}\r\n".encode() + hidden + b"\r\n0\r\n\r\n"
    raw = exchange(trigger, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert statuses(raw) == [200]
    assert raw.endswith(b"POST /echo\n" + hidden)
    assert b"GET /smuggled\n" not in raw.replace(b"POST /echo\n" + hidden, b"")


def test_chunked_body_in_several_chunks_is_joined(trigger) -> None:
    raw = exchange(
        trigger,
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
    )
    assert statuses(raw) == [200] and raw.endswith(b"POST /c\nabcde")


def test_content_length_with_transfer_encoding_is_400_not_smuggled(trigger, no_tracebacks) -> None:
    before = trigger.guest_calls()
    hidden = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    chunked = f"{len(hidden):x}\r\n".encode() + hidden + b"\r\n0\r\n\r\n"
    raw = exchange(trigger, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    assert statuses(raw) == [400]
    assert trigger.guest_calls() == before


@pytest.mark.parametrize("coding", [b"gzip", b"chunked, gzip", b"identity"])
def test_unsupported_transfer_coding_is_refused(trigger, coding) -> None:
    raw = exchange(trigger, b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + b"\r\n\r\n0\r\n\r\n")
    assert statuses(raw) in ([501], [400])


def test_body_over_the_limit_is_413_before_it_is_read(trigger, no_tracebacks) -> None:
    before = trigger.guest_calls()
    with connect(trigger) as s:  # announce 1 GiB, send only the head: the answer must not wait
        s.sendall(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n")
        raw = s.recv(65536)
    assert statuses(raw) == [413]
    assert trigger.guest_calls() == before


def test_chunked_body_over_the_limit_is_413(trigger) -> None:
    chunk = b"x" * 600
    body = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
    raw = exchange(trigger, b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert statuses(raw) == [413]


def test_header_block_over_the_limit_is_431(trigger) -> None:
    raw = exchange(trigger, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n")
    assert statuses(raw) == [431]


def test_malformed_request_line_is_400(trigger) -> None:
    assert statuses(exchange(trigger, b"GARBAGE\r\n\r\n")) == [400]


def test_http10_request_is_answered_and_closed(trigger) -> None:
    raw = exchange(trigger, b"GET /old HTTP/1.0\r\n\r\n")
    assert statuses(raw) == [200] and raw.endswith(b"GET /old\n")


def test_head_gets_headers_only(trigger) -> None:
    raw = exchange(trigger, b"HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(raw) == [200]
    assert raw.endswith(b"\r\n\r\n") and b"content-length: 8\r\n" in raw.lower()


def test_expect_100_continue_gets_an_interim_response(trigger) -> None:
    with connect(trigger) as s:
        s.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 100")
        s.sendall(b"hi")
        s.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    assert statuses(raw) == [200] and raw.endswith(b"POST /e\nhi")


def test_client_disconnect_mid_request_is_one_log_line(trigger, no_tracebacks) -> None:
    with connect(trigger) as s:
        s.sendall(b"POST /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("disconnected" in r.getMessage() for r in no_tracebacks.records):
        time.sleep(0.02)
    lines = [r.getMessage() for r in no_tracebacks.records if "disconnected" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0]


def test_drain_finishes_in_flight_requests_and_closes_idle_connections(make_server) -> None:
    server = make_server()
    idle = connect(server)
    busy = connect(server)
    busy.sendall(b"GET /loop HTTP/1.1\r\nHost: x\r\n\r\n")  # runs until the 1 s deadline -> 504
    time.sleep(0.2)
    done = threading.Thread(target=server.shutdown)
    done.start()
    answer = b""
    while chunk := busy.recv(65536):
        answer += chunk
    done.join(10)
    assert not done.is_alive()
    assert statuses(answer) == [504] and b"connection: close" in answer.lower()
    assert idle.recv(1) == b""  # closed by the drain without a response
    with pytest.raises(OSError):
        connect(server)
    idle.close()
    busy.close()


def test_connections_over_the_cap_get_503(make_server) -> None:
    server = make_server(replace(LIMITS, max_connections=2))
    held = [connect(server) for _ in range(2)]
    time.sleep(0.2)  # both accepted and counted
    with connect(server) as extra:  # answered at once, before it sends anything
        raw = b""
        while chunk := extra.recv(65536):
            raw += chunk
    assert statuses(raw) == [503]
    for s in held:
        s.close()
    time.sleep(0.2)
    assert statuses(exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == [200]


def test_a_request_trickling_in_is_cut_off(make_server) -> None:
    server = make_server(replace(LIMITS, request_read_seconds=0.5))
    with connect(server) as s:
        raw = b""
        try:
            for byte in b"GET / HTTP/1.1\r\nHost: x\r\n":
                s.sendall(bytes([byte]))
                time.sleep(0.03)  # each byte within the idle timeout, the whole beyond 0.5 s
            while chunk := s.recv(65536):
                raw += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass
        while True:  # what the server sent before closing
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
    assert statuses(raw) == [408]
