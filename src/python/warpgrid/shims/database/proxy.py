"""The wasmtime-free core of the database-proxy shim: connect / send / recv / close.

The shim's host functions delegate here; tests and benchmarks drive it directly.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from typing import Callable

from .config import DatabaseConfig, EndpointConfig, SecretError
from .errors import Closed, ConnectionRefused, DbError, DeadlinePassed, ProtocolError
from .handles import HandleTable, Lease, new_handle
from . import mysql, postgres, redis
from .pool import Pool, PoolKey, PoolMetrics
from .session import WireProtocol
from .states import CL_BROKEN
from .upstream import Resolver, Upstream, open_tcp, resolve_addresses, use_kernel_timeouts

log = logging.getLogger("warpgrid.database")

MAX_RECV = 1 << 20


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False

PROTOCOLS: dict[str, WireProtocol] = {p.name: p for p in (postgres.PROTOCOL, mysql.PROTOCOL, redis.PROTOCOL)}


class DatabaseProxy:
    """Host-wide: the allow-list, one pool per endpoint, and the session operations."""

    def __init__(
        self,
        config: DatabaseConfig,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.resolver = resolver
        self.clock = clock
        self._pools: dict[str, Pool] = {}
        # (protocol, lowercased host, port, database) as the guest names it -> endpoint and pool,
        # only for names that match an endpoint's host literally (so the table stays as small
        # as the allow-list; the config is fixed for the host's life). Matches through DNS
        # are not remembered: addresses may change.
        self._routes: dict[tuple[str, str, int, str | None], tuple[EndpointConfig, Pool]] = {}
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    # -- the four WIT operations -------------------------------------------------------------

    def connect(self, handles: HandleTable, protocol: str, host: str, port: int,
                database: str | None = None, pool_size: int | None = None) -> int:
        """Check out a connection for an allowed endpoint; returns a handle for this instance.

        `pool_size` from the guest sets the endpoint pool's size, bounded by the host's
        (warp.toml) limit; None or 0 keeps the size in force.
        """
        route = self._routes.get((protocol, host.lower(), port, database))
        if route is None:
            route = self._route(protocol, host, port, database)
        ep, pool = route
        if pool_size and min(pool_size, pool.limit) != pool.size:
            pool.request_size(pool_size)
        up = pool.checkout()
        try:
            session = PROTOCOLS[ep.protocol].session(up, ep)
        except BaseException:
            pool.checkin(up, reusable=False)
            raise
        handle = new_handle()
        handles.leases[handle] = Lease(session, pool)
        return handle

    def send(self, handles: HandleTable, handle: int, data: bytes, deadline: float | None = None) -> int:
        lease = self._lease(handles, handle)
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlinePassed("the request deadline passed before the query was sent")
        try:
            lease.session.from_guest(data)
        except DbError as exc:
            self._fail(handles, handle, lease, exc)
            raise
        return len(data)

    def recv(self, handles: HandleTable, handle: int, max_bytes: int, deadline: float | None = None) -> bytes:
        lease = self._lease(handles, handle)
        try:
            # recv(n) allocates n bytes up front: a guest asking for 4 GiB must not get that.
            return lease.session.to_guest(min(max_bytes, MAX_RECV), deadline)
        except DbError as exc:
            session = lease.session
            orderly_end = isinstance(exc, Closed) and session.ended and not session.up.broken
            # A slow query may still answer (the guest can recv again after a timeout), and
            # after an orderly goodbye the connection stays leased until close() resets it.
            if exc.code != "timeout" and not orderly_end:
                self._fail(handles, handle, lease, exc)
            raise

    def close(self, handles: HandleTable, handle: int) -> None:
        """Return the connection to the pool after resetting it; unknown handles are ignored."""
        lease = handles.leases.pop(handle, None)
        if lease is None:
            return
        try:
            reusable = lease.session.finish()
        except Exception:  # a reset that blows up must not take the host down
            log.exception("database reset failed; discarding the connection")
            reusable = False
        lease.pool.checkin(lease.session.up, reusable)

    # -- host side -------------------------------------------------------------------------------

    def metrics(self) -> list[PoolMetrics]:
        with self._lock:
            pools = list(self._pools.values())
        return [p.metrics() for p in pools]

    def format_metrics(self) -> str:
        """One line per pool, for the CLI and the log."""
        lines = [m.line() for m in self.metrics()]
        return "\n".join(lines) if lines else "no database pools in use"

    def reap_idle(self) -> int:
        with self._lock:
            pools = list(self._pools.values())
        return sum(p.reap_idle() for p in pools)

    def start_reaper(self, interval: float = 5.0) -> None:
        """Background idle expiry (daemon thread; stopped by shutdown)."""
        if self._reaper is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.reap_idle()
                except Exception:
                    log.exception("database idle reaper failed")

        self._reaper = threading.Thread(target=loop, name="warpgrid-db-reaper", daemon=True)
        self._reaper.start()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Drain: refuse new checkouts, close idle connections, wait for in-use ones."""
        self._stop.set()
        with self._lock:
            pools = list(self._pools.values())
        deadline = time.monotonic() + timeout
        for p in pools:  # one shared deadline, not `timeout` per pool
            p.drain(max(0.0, deadline - time.monotonic()))
        if pools:
            log.info("database proxy drained:\n%s", self.format_metrics())

    # -- internals -------------------------------------------------------------------------------

    def _route(self, protocol: str, host: str, port: int, database: str | None) -> tuple[EndpointConfig, Pool]:
        name, ep, by_name = self._endpoint(protocol, host, port, database)
        route = (ep, self._pool(name, ep))
        if by_name:
            self._routes[(protocol, host.lower(), port, database)] = route
        return route

    def _endpoint(self, protocol: str, host: str, port: int,
                  database: str | None) -> tuple[str, EndpointConfig, bool]:
        """The allow-list lookup: the guest names an endpoint's host literally, or the two
        names meet through DNS (the same resolver the guest's own lookups use): the guest
        passes an address of the endpoint's name (the patched libc passes the address text
        when the program connected to a bare IP), or a name (e.g. a registry name such as
        db.production.warp.local) that resolves to the endpoint's address, or both are names
        sharing an address. The flag says whether the match was literal (no DNS involved)."""
        candidates = [
            (name, ep) for name, ep in self.config.endpoints.items()
            if ep.protocol == protocol and ep.port == port
            and (database is None or database == (ep.database or ("0" if protocol == "redis" else None)))
        ]
        for name, ep in candidates:
            if ep.host.lower() == host.lower():
                return name, ep, True
        through_dns = [(name, ep) for name, ep in candidates if not (_is_ip(ep.host) and _is_ip(host))]
        if through_dns:
            guest_addrs = self._addresses(host)
            for name, ep in through_dns:
                if guest_addrs & self._addresses(ep.host):
                    return name, ep, False
        log.warning(
            "database-proxy: guest asked for %s://%s:%s/%s, which warp.toml does not allow; "
            "add it under [database.endpoints.<name>]", protocol, host, port, database or "")
        raise ConnectionRefused(f"{protocol}://{host}:{port}/{database or ''} is not an allowed endpoint")

    def _addresses(self, name: str) -> set[str]:
        try:
            return {str(ipaddress.ip_address(a)) for a in resolve_addresses(name, self.resolver)}
        except (DbError, ValueError):
            return set()

    def _pool(self, name: str, ep: EndpointConfig) -> Pool:
        key: PoolKey = (ep.protocol, ep.host.lower(), ep.port, ep.database or "", ep.user or "")
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                cfg = self.config
                pool = Pool(
                    key,
                    size=cfg.pool_size_for(ep),
                    idle_timeout=cfg.idle_timeout_for(ep),
                    checkout_timeout=cfg.checkout_timeout_for(ep),
                    opener=lambda: self._open(name, ep),
                    ping=PROTOCOLS[ep.protocol].ping,
                    health_check_after=cfg.health_check_after,
                    clock=self.clock,
                )
                self._pools[name] = pool
            return pool

    def _open(self, name: str, ep: EndpointConfig) -> Upstream:
        try:
            password = ep.password(name)
        except SecretError as exc:
            log.error("%s", exc)
            raise ConnectionRefused(str(exc)) from exc
        sock = open_tcp(ep.host, ep.port, self.config.connect_timeout, self.resolver)
        try:
            sock, state = PROTOCOLS[ep.protocol].handshake(sock, ep, password)
        except DbError as exc:
            sock.close()
            log.error("database-proxy: endpoint %r: %s", name, exc)
            raise
        except OSError as exc:
            sock.close()
            log.error("database-proxy: endpoint %r: handshake failed: %s", name, exc)
            raise ConnectionRefused(f"handshake with {ep.host}:{ep.port} failed: {exc}") from exc
        use_kernel_timeouts(sock, self.config.recv_timeout)
        now = self.clock()
        return Upstream(sock=sock, endpoint=name, created_at=now, last_used=now, replay=state)

    def _lease(self, handles: HandleTable, handle: int) -> Lease:
        lease = handles.leases.get(handle)
        if lease is None:
            raise Closed(f"connection handle {handle} is not open in this instance")
        return lease

    def _fail(self, handles: HandleTable, handle: int, lease: Lease, exc: DbError) -> None:
        """A broken session ends: its connection is discarded, never pooled."""
        handles.leases.pop(handle, None)
        lease.session.to(CL_BROKEN)
        lease.pool.note_error()
        if isinstance(exc, ProtocolError):
            log.warning("database-proxy: %s; discarding the connection", exc)
        lease.pool.checkin(lease.session.up, reusable=False)
