"""warpgrid:shim/database-proxy: pooled Postgres, MySQL/MariaDB and Redis connections on the host.

The wasmtime-facing shim is thin: every host function looks up the instance's handle
table and delegates to :class:`DatabaseProxy` (wasmtime-free, tested directly). WIT
results are returned untagged: the int/bytes on success, the `db-error` string on failure.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from .config import DatabaseConfig, EndpointConfig
from .errors import DbError
from .handles import HandleTable
from .proxy import DatabaseProxy

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

__all__ = ["DatabaseProxyShim", "DatabaseProxy", "DatabaseConfig", "EndpointConfig", "HandleTable"]

log = logging.getLogger("warpgrid.database")


def _dns_shim(config: Any) -> Any | None:
    """The DNS shim's resolution chain (registry, hosts overrides, system DNS) when [shims] dns
    is on, so endpoint host names resolve exactly as the guests' names do."""
    shims = getattr(config, "shims", None)
    if not getattr(shims, "dns", False):
        return None
    from warpgrid.shims.dns import DnsShim  # only when enabled

    return DnsShim.from_config(config)


class DatabaseProxyShim:
    name: ClassVar[str] = "database_proxy"
    interface: ClassVar[str] = "warpgrid:shim/database-proxy@0.1.0"

    def __init__(self, proxy: DatabaseProxy, dns: Any | None = None) -> None:
        self.proxy = proxy
        self._dns = dns  # owned here (closed with the shim) when the DNS shim is enabled

    @classmethod
    def from_config(cls, config: "WarpConfig", resolver: Callable[[str], list[str]] | None = None) -> "DatabaseProxyShim":
        db = getattr(config, "database", None) or DatabaseConfig()
        dns = None if resolver else _dns_shim(config)
        proxy = DatabaseProxy(db, resolver=resolver or (dns.resolver.resolve if dns else None))
        proxy.start_reaper()
        return cls(proxy, dns)

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

    def close(self) -> None:
        self.proxy.shutdown()
        if self._dns is not None:
            self._dns.close()

    def metrics_text(self) -> str:
        """Pool metrics (in use, idle, waits, errors...) for the CLI and the log."""
        return self.proxy.format_metrics()

    # -- host functions: (store, *params) ------------------------------------------------------

    def _handles(self, store: Any) -> HandleTable:
        from warpgrid.context import context_of

        return context_of(store).state_for(self.name)

    def _connect(self, store: Any, config: Any) -> int | str:
        try:
            return self.proxy.connect(
                self._handles(store), str(config.protocol), config.host, int(config.port),
                config.database, getattr(config, "pool-size", None))
        except DbError as exc:
            log.info("database-proxy connect: %s", exc)
            return exc.code

    def _send(self, store: Any, conn: int, data: bytes) -> int | str:
        try:
            return self.proxy.send(self._handles(store), conn, bytes(data))
        except DbError as exc:
            return exc.code

    def _recv(self, store: Any, conn: int, max_bytes: int) -> bytes | str:
        try:
            return self.proxy.recv(self._handles(store), conn, max_bytes)
        except DbError as exc:
            return exc.code

    def _close(self, store: Any, conn: int) -> None:
        self.proxy.close(self._handles(store), conn)
