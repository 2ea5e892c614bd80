"""The database-proxy shim with non-blocking waits: the guest's `recv` suspends its fiber.

It wraps the threaded host's `DatabaseProxyShim` and its `DatabaseProxy` unchanged (the
wire-protocol sessions, the session reset and the pool are the same objects and code):
- `recv`: when the session has nothing buffered, the guest is suspended until the upstream
  socket is readable (the event loop's reader), then the ordinary `DatabaseProxy.recv` runs,
  whose single `sock.recv` now returns at once. The wait is bounded by `recv_timeout`, and a
  timeout answers the WIT `timeout` error exactly like the blocking path (connection kept).
- `connect` and `close` can block inside the pool (waiting for a free connection, opening
  and authenticating one, resetting a dirty session): they run on a small executor, so the
  loop keeps running the other guests. `send` runs inline: a request is far smaller than the
  kernel's socket buffer, and the socket keeps its kernel send timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import ssl
from typing import Any, Callable

from warpgrid.context import context_of
from warpgrid.shims import BY_NAME
from warpgrid.shims.database import DatabaseProxyShim
from warpgrid.shims.database.errors import DbError, Timeout
from warpgrid.shims.database.handles import HandleTable

from . import capi
from .driver import FutureContinuation, Immediate

log = logging.getLogger("warpgrid.aio.database")


class AsyncDatabaseProxy:
    """Defines warpgrid:shim/database-proxy@0.1.0 as async host functions over `shim`."""

    interface = BY_NAME["database_proxy"].interface

    def __init__(self, shim: DatabaseProxyShim, blocking_workers: int = 4) -> None:
        self.shim = shim
        self.proxy = shim.proxy
        self.recv_timeout = float(self.proxy.config.recv_timeout)
        # Two executors: a checkout waiting for a free connection must never sit in front of the
        # close (check-in) that would free one, or the worker deadlocks until checkout_timeout.
        self.connects = concurrent.futures.ThreadPoolExecutor(
            max_workers=blocking_workers, thread_name_prefix="warpgrid-aio-db-connect")
        self.closes = concurrent.futures.ThreadPoolExecutor(
            max_workers=blocking_workers, thread_name_prefix="warpgrid-aio-db-close")
        self.host_errors: list[BaseException] = []
        self.suspended_recvs = 0  # how often a guest's recv parked instead of blocking

    def define(self, instance: Any) -> None:
        capi.add_func_async(instance, "connect", self._connect, self._host_error)
        capi.add_func_async(instance, "recv", self._recv, self._host_error)
        capi.add_func_async(instance, "close", self._close, self._host_error)
        # `send` never suspends (see the module docstring), but going through the same
        # trampoline reuses its cached types instead of wasmtime-py's per-call type reads.
        capi.add_func_async(instance, "send", self._send, self._host_error)

    def close(self) -> None:
        self.connects.shutdown(wait=True)
        self.closes.shutdown(wait=True)

    # -- host functions -------------------------------------------------------------------------

    def _handles(self, store: Any) -> HandleTable:
        return context_of(store).state_for(self.shim.name)

    def _connect(self, store: Any, config: Any) -> capi.Continuation:
        handles = self._handles(store)
        args = (handles, str(config.protocol), config.host, int(config.port), config.database,
                getattr(config, "pool-size", None))
        return self._blocking(self.connects, self._coded(self.proxy.connect), *args)

    def _close(self, store: Any, conn: int) -> capi.Continuation:
        handles = self._handles(store)
        lease = handles.leases.get(conn)
        if lease is None:
            return Immediate(None)
        return self._blocking(self.closes, self.proxy.close, handles, conn)

    def _send(self, store: Any, conn: int, data: bytes) -> capi.Continuation:
        return Immediate(self._coded(self.proxy.send)(self._handles(store), conn, bytes(data)))

    def _recv(self, store: Any, conn: int, max_bytes: int) -> capi.Continuation:
        handles = self._handles(store)
        lease = handles.leases.get(conn)
        if lease is None or lease.session.out or lease.session.ended or self._tls_buffered(lease):
            return Immediate(self._coded(self.proxy.recv)(handles, conn, max_bytes))
        loop = asyncio.get_running_loop()
        result: asyncio.Future[Any] = loop.create_future()
        fd = lease.session.up.sock.fileno()

        def readable() -> None:
            finish()
            if not result.done():
                result.set_result(self._coded(self.proxy.recv)(handles, conn, max_bytes))

        def expired() -> None:
            finish()
            if not result.done():  # the blocking path's SO_RCVTIMEO answer, connection kept
                result.set_result(Timeout("the database sent nothing before recv_timeout").code)

        timer = loop.call_later(self.recv_timeout, expired)

        def finish() -> None:
            timer.cancel()
            loop.remove_reader(fd)

        loop.add_reader(fd, readable)
        result.add_done_callback(lambda _f: finish())  # also on cancellation (request deadline)
        self.suspended_recvs += 1
        return FutureContinuation(result)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _blocking(executor: concurrent.futures.Executor, fn: Callable[..., Any], *args: Any) -> capi.Continuation:
        loop = asyncio.get_running_loop()
        return FutureContinuation(loop.run_in_executor(executor, fn, *args))

    @staticmethod
    def _coded(fn: Callable[..., Any]) -> Callable[..., Any]:
        """WIT results are untagged: the value, or the db-error string (as the threaded shim)."""
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except DbError as exc:
                return exc.code
        return call

    @staticmethod
    def _tls_buffered(lease: Any) -> bool:
        sock = lease.session.up.sock
        return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0

    def _host_error(self, exc: BaseException) -> None:
        log.error("database-proxy host function failed: %r", exc)
        self.host_errors.append(exc)
