"""warpgrid:shim/database-proxy: pooled Postgres, MySQL/MariaDB and Redis connections on the host.

The wasmtime-facing shim is thin: every host function looks up the instance's handle
table and delegates to :class:`DatabaseProxy` (wasmtime-free, tested directly). WIT
results are returned untagged: the int/bytes on success, the `db-error` string on failure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from warpgrid.context import context_of, expire_deadline
from warpgrid.shims.base import Shim

from .config import DatabaseConfig, EndpointConfig
from .errors import DbError, DeadlinePassed
from .handles import HandleTable
from .proxy import DatabaseProxy
from .upstream import Resolver

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

__all__ = ["DatabaseProxyShim", "DatabaseProxy", "DatabaseConfig", "EndpointConfig", "HandleTable"]

log = logging.getLogger("warpgrid.database")


class DatabaseProxyShim(Shim):
    def __init__(self, proxy: DatabaseProxy) -> None:
        self.proxy = proxy

    @classmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, Shim]) -> "DatabaseProxyShim":
        """Endpoint host names resolve through the engine's DNS shim when it is enabled (the
        same registry, hosts overrides, TTL cache and rotation the guests' own names get),
        else through the system resolver."""
        dns = built.get("dns")
        resolver: Resolver | None = dns.resolver.resolve if dns is not None else None  # type: ignore[attr-defined]
        proxy = DatabaseProxy(config.database, resolver=resolver)
        proxy.start_reaper()
        return cls(proxy)

    def describe(self) -> str:
        eps = self.proxy.config.endpoints
        if not eps:
            return "database proxy: no endpoints allowed ([database.endpoints] is empty)"
        names = ", ".join(f"{n}={e.protocol}://{e.host}:{e.port}/{e.database or ''}" for n, e in eps.items())
        return f"database proxy: pooled connections to {names}"

    def new_instance_state(self) -> HandleTable:
        return HandleTable()

    def define(self, instance: Any) -> None:
        instance.add_func("connect", self._connect)
        instance.add_func("send", self._send)
        instance.add_func("recv", self._recv)
        instance.add_func("close", self._close)

    def release_instance_state(self, state: HandleTable) -> None:
        state.release_all()

    def close(self) -> None:
        self.proxy.shutdown()

    def metrics_text(self) -> str:
        """Pool metrics (in use, idle, waits, errors...) for the CLI and the log."""
        return self.proxy.format_metrics()

    # -- host functions: (store, *params) ------------------------------------------------------

    def _handles(self, store: Any) -> HandleTable:
        return context_of(store).state_for(self.name)

    def _connect(self, store: Any, config: Any) -> int | str:
        try:
            return self.proxy.connect(
                self._handles(store), str(config.protocol), config.host, int(config.port),
                config.database, getattr(config, "pool-size", None) or None)
        except DbError as exc:
            log.info("database-proxy connect: %s", exc)
            return exc.code

    def _send(self, store: Any, conn: int, data: bytes) -> int | str:
        ctx = context_of(store)
        try:
            return self.proxy.send(ctx.state_for(self.name), conn, bytes(data), ctx.deadline)
        except DeadlinePassed as exc:
            expire_deadline(store)
            return exc.code
        except DbError as exc:
            return exc.code

    def _recv(self, store: Any, conn: int, max_bytes: int) -> bytes | str:
        ctx = context_of(store)
        try:
            return self.proxy.recv(ctx.state_for(self.name), conn, max_bytes, ctx.deadline)
        except DeadlinePassed as exc:
            expire_deadline(store)
            return exc.code
        except DbError as exc:
            return exc.code

    def _close(self, store: Any, conn: int) -> None:
        self.proxy.close(self._handles(store), conn)
