"""The async host's HTTP/1.1 trigger: one asyncio event loop serves every connection.

The threaded trigger (warpgrid.http.server) gives each connection an OS thread that is held
for the whole request, including while its guest waits on the database. Here a connection is
a coroutine and its guest a fiber, so in-flight requests cost memory, not threads. The framing
is the threaded trigger's, to the byte: h11 parses, `warpgrid.http.framing` decides what is
refused (400/408/413/431/501, then the connection closes) and encodes the guest's response.
Listening is loopback only.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from typing import Optional, TextIO

import h11

from warpgrid.config import parse_listen
from warpgrid.http import framing
from warpgrid.http.framing import ServerLimits
from warpgrid.http.messages import HttpRequest
from warpgrid.loaded import LoadedComponent

from .engine import AsyncWarpGridEngine

log = logging.getLogger(__name__)


class AsyncHttpTrigger:
    """Owns the listening socket; `start()` accepts on the running event loop."""

    def __init__(self, engine: AsyncWarpGridEngine, component: LoadedComponent, listen: str,
                 limits: ServerLimits | None = None, reuse_port: bool = False) -> None:
        self.reuse_port = reuse_port
        self.engine = engine
        self.component = component
        self.host, self.port = parse_listen(listen)
        self.limits = limits or ServerLimits()
        self.server: Optional[asyncio.base_events.Server] = None
        self.stopping = False
        self._connections: set[_Connection] = set()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> "AsyncHttpTrigger":
        self.server = await asyncio.start_server(self._accept, self.host, self.port, backlog=1024,
                                                 reuse_address=True, reuse_port=self.reuse_port or None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def shutdown(self, drain_seconds: float | None = None) -> None:
        """Stops accepting, closes idle keep-alive connections and lets in-flight requests
        finish (answered with `Connection: close`) for up to the drain time."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for conn in list(self._connections):
            if conn.idle:
                conn.writer.close()
        tasks = [conn.task for conn in self._connections]
        if tasks:
            await asyncio.wait(tasks, timeout=self.limits.drain_seconds if drain_seconds is None else drain_seconds)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(self, reader, writer)
        if len(self._connections) >= self.limits.max_connections:
            await conn.refuse(503, f"{self.limits.max_connections} connections already open", linger=False)
            writer.close()
            return
        self._connections.add(conn)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)


class _Connection:
    """One client connection: h11 reads its requests, the engine answers each in turn."""

    def __init__(self, trigger: AsyncHttpTrigger, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.trigger = trigger
        self.limits = trigger.limits
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.idle = True  # waiting for the next request's first byte (the drain may close it)
        self.served = 0
        self.read_by: float | None = None  # time.monotonic() by which the request must be read
        self.h11 = framing.new_connection(trigger.limits)

    async def run(self) -> None:
        try:
            await self._serve()
        except framing.Refused as refused:
            await self.refuse(refused.status, str(refused))
        except asyncio.TimeoutError:
            if not self.idle:
                log.info("client %s: timed out mid-request after %d request(s); closing", self.peer, self.served)
        except OSError as e:  # reset, broken pipe: the client went away
            log.info("client %s disconnected: %s (after %d request(s))", self.peer, e.strerror or e, self.served)
        finally:
            self.writer.close()

    async def _serve(self) -> None:
        h = self.h11
        while not self.trigger.stopping:
            self.idle = True
            self.read_by = None
            event = await self._next_event()
            if isinstance(event, h11.ConnectionClosed):
                return
            self.idle = False
            assert isinstance(event, h11.Request), event
            request = await self._read_request(event)
            response = await self.trigger.engine.handle(self.trigger.component, request)
            head, body = framing.encode_response(h, request, response, closing=self.trigger.stopping)
            if len(body) <= framing.COALESCE_BYTES:
                self.writer.write(head + body)
            else:
                self.writer.write(head)
                self.writer.write(body)
            await self.writer.drain()
            self.served += 1
            if h.our_state is h11.MUST_CLOSE:
                return
            h.start_next_cycle()

    async def _next_event(self) -> h11.Event | type[h11.PAUSED]:
        h = self.h11
        while True:
            event = framing.next_event(h, self.idle)
            if event is not h11.NEED_DATA:
                return event
            h.receive_data(await self._read())

    async def _read(self) -> bytes:
        """The next bytes: within the idle timeout of the last ones, and, once a request has
        begun, within the time the whole request may take to arrive (else 408)."""
        timeout = self.limits.idle_timeout_seconds
        if self.read_by is not None:
            timeout = min(timeout, self.read_by - time.monotonic())
            if timeout <= 0:
                raise framing.Refused(408, "the request took too long to arrive")
        try:
            data = await asyncio.wait_for(self.reader.read(framing.RECV_BYTES), timeout)
        except asyncio.TimeoutError:
            if self.read_by is not None and time.monotonic() >= self.read_by:
                raise framing.Refused(408, "the request took too long to arrive") from None
            raise
        if self.read_by is None:
            self.read_by = time.monotonic() + self.limits.request_read_seconds
        if not data and not self.idle:
            raise ConnectionResetError("closed mid-request")
        return data

    async def _read_request(self, head: h11.Request) -> HttpRequest:
        headers = framing.accept_head(head, self.limits)
        if interim := framing.continue_response(self.h11):
            self.writer.write(interim)
        body = framing.RequestBody(self.limits.max_body_bytes)
        while not body.add(await self._next_event()):
            pass
        return framing.to_request(head, headers, body.bytes())

    async def refuse(self, status: int, reason: str, linger: bool = True) -> None:
        """Answers a framing or limit problem; the caller closes the connection."""
        log.info("client %s: %d %s; closing the connection", self.peer, status, reason)
        answer = framing.refusal(self.h11, status, reason)
        if answer is None:
            return
        try:
            self.writer.write(answer)
            await self.writer.drain()
            if linger:
                await self._linger()
        except OSError:
            pass

    async def _linger(self) -> None:
        """Half-closes and discards what the client is still sending, briefly (framing.LINGER_*)."""
        self.writer.write_eof()
        deadline, seen = time.monotonic() + framing.LINGER_SECONDS, 0
        while seen < framing.LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            try:
                chunk = await asyncio.wait_for(self.reader.read(framing.RECV_BYTES), left)
            except asyncio.TimeoutError:
                return
            if not chunk:
                return
            seen += len(chunk)


async def serve_async(engine: AsyncWarpGridEngine, component: LoadedComponent, listen: str,
                      max_body: int = 8 << 20, out: TextIO = sys.stdout, reuse_port: bool = False) -> int:
    """Serves until SIGTERM/SIGINT, then drains in-flight requests. Returns the exit code."""
    limits = ServerLimits.for_serving(max_body, engine.config.limits.request_timeout_ms)
    trigger = await AsyncHttpTrigger(engine, component, listen, limits, reuse_port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    print(f"Serving {trigger.url} (async host)", file=out, flush=True)
    try:
        await stop.wait()
    finally:
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(s)
        await trigger.shutdown()
        log.info("stopped; served %d requests, %d faults, peak %d in flight",
                 engine.served, engine.faults, engine.peak_in_flight)
    return 0
