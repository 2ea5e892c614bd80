"""The async host's HTTP/1.1 trigger: one asyncio event loop serves every connection.

The threaded trigger (warpgrid.http.server) gives each connection an OS thread that is held
for the whole request, including while its guest waits on the database. Here a connection is
a coroutine and its guest a fiber, so in-flight requests cost memory, not threads. Framing is
the small subset the threaded trigger accepts: Content-Length bodies, keep-alive, no chunked
request bodies (answered 411), loopback listening only.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Optional, TextIO

from warpgrid.config import parse_listen
from warpgrid.loaded import LoadedComponent
from warpgrid.http.messages import HttpRequest, HttpResponse

from .engine import AsyncWarpGridEngine

log = logging.getLogger(__name__)

HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}
IDLE_TIMEOUT_SECONDS = 5
MAX_HEAD = 64 << 10
REASON = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required", 413: "Payload Too Large",
          500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Timeout"}


class AsyncHttpTrigger:
    def __init__(self, engine: AsyncWarpGridEngine, component: LoadedComponent, listen: str,
                 max_body: int = 8 << 20, reuse_port: bool = False) -> None:
        self.reuse_port = reuse_port
        self.engine = engine
        self.component = component
        self.host, self.port = parse_listen(listen)
        self.max_body = max_body
        self.server: Optional[asyncio.base_events.Server] = None
        self.stopping = False
        self._connections: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> "AsyncHttpTrigger":
        self.server = await asyncio.start_server(self._connection, self.host, self.port, limit=MAX_HEAD,
                                                 backlog=1024, reuse_address=True,
                                                 reuse_port=self.reuse_port or None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def shutdown(self) -> None:
        """Stops accepting and lets in-flight requests finish (each bounded by its deadline)."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        if self._connections:
            await asyncio.wait(self._connections, timeout=self.engine.config.limits.request_timeout_ms / 1000 + 1)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while not self.stopping:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT_SECONDS)
                except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    return
                keep_alive = await self._exchange(head, reader, writer)
                await writer.drain()
                if not keep_alive:
                    return
        finally:
            self._connections.discard(task)
            writer.close()

    async def _exchange(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = []
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers.append((name.strip().lower(), value.strip()))
        except ValueError:
            self._write(writer, HttpResponse(400, [], b"malformed request\n"), False, "GET")
            return False
        fields = dict(headers)
        keep_alive = (fields.get("connection", "").lower() != "close"
                      and (version == "HTTP/1.1" or fields.get("connection", "").lower() == "keep-alive"))
        if "chunked" in fields.get("transfer-encoding", "").lower():
            self._write(writer, HttpResponse(411, [], b"chunked request bodies are not supported\n"), False, method)
            return False
        length = int(fields.get("content-length") or 0)
        if length > self.max_body:
            self._write(writer, HttpResponse(413, [], f"request body over {self.max_body} bytes\n".encode()), False, method)
            return False
        body = await reader.readexactly(length) if length else b""
        response = await self.engine.handle(self.component, HttpRequest(method, target, headers, body))
        keep_alive = keep_alive and not self.stopping
        self._write(writer, response, keep_alive, method)
        return keep_alive

    @staticmethod
    def _write(writer: asyncio.StreamWriter, response: HttpResponse, keep_alive: bool, method: str) -> None:
        out = [f"HTTP/1.1 {response.status} {REASON.get(response.status, 'Status')}\r\n", "server: warpgrid-aio\r\n"]
        for name, value in response.headers:
            if name.lower() not in HOP_BY_HOP:
                out.append(f"{name}: {value}\r\n")
        out.append(f"content-length: {len(response.body)}\r\n")
        out.append("connection: keep-alive\r\n\r\n" if keep_alive else "connection: close\r\n\r\n")
        writer.write("".join(out).encode("latin-1") + (b"" if method == "HEAD" else response.body))


async def serve_async(engine: AsyncWarpGridEngine, component: LoadedComponent, listen: str,
                      max_body: int = 8 << 20, out: TextIO = sys.stdout, reuse_port: bool = False) -> int:
    """Serves until SIGTERM/SIGINT, then drains in-flight requests. Returns the exit code."""
    trigger = await AsyncHttpTrigger(engine, component, listen, max_body, reuse_port).start()
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
