"""A bounded pool of authenticated connections for one (protocol, host, port, database, user).

Connections are checked out by a guest session and checked in when it ends; the
session decides whether the connection is clean enough to reuse (see the protocol
modules). Waiting, idle expiry and draining follow PgBouncer's session pooling.

The books are PgBouncer's lists: the idle connections (state IDLE), the lent ones
(TESTING, LENT and the states a session moves them through) and the number of logins
under way; every count is read from them. Each connection's state changes only through
`Upstream.to` (states.py), so a double check-in or a dirty connection put back idle
raises IllegalTransition instead of corrupting the pool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from .errors import Closed, DbError, PoolExhausted
from .states import SV_IDLE, SV_LENT, SV_TESTING
from .upstream import Upstream

log = logging.getLogger("warpgrid.database")

PoolKey = tuple[str, str, int, str, str]  # protocol, host, port, database, user


@dataclass(frozen=True)
class PoolMetrics:
    """A snapshot for the CLI/log: counters are totals since start."""

    key: PoolKey
    size: int
    in_use: int
    idle: int
    waits: int
    exhausted: int
    errors: int
    created: int
    discarded: int
    reaped: int

    def line(self) -> str:
        proto, host, port, db, user = self.key
        return (
            f"{proto}://{user}@{host}:{port}/{db} in_use={self.in_use} idle={self.idle} "
            f"size={self.size} waits={self.waits} exhausted={self.exhausted} errors={self.errors} "
            f"created={self.created} discarded={self.discarded} reaped={self.reaped}"
        )


@dataclass(eq=False)
class Pool:
    """Thread-safe; `opener` makes a new authenticated Upstream, `ping` probes an old idle one.

    `size` starts at the host's cap (warp.toml), kept as `limit`; the guest may ask for less.
    `clock` is injectable so idle expiry is testable without sleeping; waiting for a free
    slot always uses real time (threading.Condition).
    """

    key: PoolKey
    size: int
    idle_timeout: float
    checkout_timeout: float
    opener: Callable[[], Upstream]
    ping: Callable[[Upstream], bool]
    health_check_after: float = 30.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.limit = self.size
        self._cond = threading.Condition()
        self._idle: deque[Upstream] = deque()  # IDLE, most recently used last
        self._lent: set[Upstream] = set()  # checked out (TESTING, LENT, ... RESETTING)
        self._logins = 0  # slots reserved for connections being opened (PgBouncer's SV_LOGIN)
        # Connections of instances garbage-collected without closing: the finalizer may run at
        # any allocation, even inside this pool's critical section, so it only closes the socket
        # and queues it here (deque appends need no lock); `_settle` does the bookkeeping.
        self._orphans: deque[Upstream] = deque()
        self._closed = False
        self._waits = self._exhausted = self._errors = 0
        self._created = self._discarded = self._reaped = 0

    # -- checkout / checkin -------------------------------------------------------------

    def checkout(self) -> Upstream:
        deadline = time.monotonic() + self.checkout_timeout
        waited = False
        while True:
            candidate: Upstream | None = None
            with self._cond:
                if self._orphans:
                    self._settle()
                while True:
                    if self._closed:
                        raise Closed("the database pool is draining (host shutting down)")
                    if self._idle:
                        candidate = self._idle.pop()  # LIFO: warm connections first
                        candidate.to(SV_TESTING)
                        self._lent.add(candidate)
                        break
                    if self._count() < self.size:
                        self._logins += 1
                        break
                    if not waited:
                        waited = True
                        self._waits += 1
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._exhausted += 1
                        log.warning("database pool %s exhausted after %.1fs: %d in use",
                                    self._name(), self.checkout_timeout, self._in_use())
                        raise PoolExhausted(
                            f"all {self.size} connections to {self._name()} are in use "
                            f"(waited {self.checkout_timeout}s); raise pool_size in warp.toml"
                        )
                    self._cond.wait(remaining)
            if candidate is not None:
                if self._healthy(candidate):
                    candidate.to(SV_LENT)
                    candidate.uses += 1
                    return candidate
                log.info("database pool %s: dropping dead idle connection", self._name())
                self._forget(candidate, discarded=True)
                continue
            return self._create()

    def request_size(self, wanted: int) -> int:
        """The guest's `pool-size`: honoured up to the host's limit; returns the size in force.
        Shrinking closes surplus connections as they come back (see `checkin`)."""
        with self._cond:
            size = max(1, min(wanted, self.limit))
            if size != self.size:
                grew, self.size = size > self.size, size
                if grew:
                    self._cond.notify_all()
            return self.size

    def orphan(self, up: Upstream) -> None:
        """Lock-free discard for finalizers (see `_orphans`)."""
        up.close()
        self._orphans.append(up)

    def checkin(self, up: Upstream, reusable: bool) -> None:
        """`reusable` is the session's verdict (LENT untouched, or RESETTING after a reset)."""
        with self._cond:
            if reusable and not up.broken and not self._closed and self._count() <= self.size:
                up.to(SV_IDLE)
                self._lent.discard(up)
                up.last_used = self.clock()
                self._idle.append(up)
                self._cond.notify()
                return
        self._forget(up, discarded=not self._closed)

    # -- maintenance ----------------------------------------------------------------------

    def reap_idle(self) -> int:
        """Close connections idle for idle_timeout or longer; returns how many."""
        now = self.clock()
        with self._cond:
            self._settle()
            old = [u for u in self._idle if now - u.last_used >= self.idle_timeout]
            for u in old:
                self._idle.remove(u)
            self._reaped += len(old)
            if old:
                self._cond.notify_all()
        for u in old:
            u.close()
        return len(old)

    def drain(self, timeout: float = 5.0) -> None:
        """Refuse new checkouts, close idle connections, wait (bounded) for the rest."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._settle()
            self._closed = True
            idle = list(self._idle)
            self._idle.clear()
            self._cond.notify_all()
        for u in idle:
            u.close()
        with self._cond:
            while self._in_use() > 0:
                self._settle()
                if self._in_use() <= 0:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning("database pool %s: %d connection(s) still in use at shutdown",
                                self._name(), self._in_use())
                    break
                self._cond.wait(min(remaining, 0.05))

    def metrics(self) -> PoolMetrics:
        with self._cond:
            self._settle()
            return PoolMetrics(
                key=self.key, size=self.size, in_use=self._in_use(), idle=len(self._idle),
                waits=self._waits, exhausted=self._exhausted, errors=self._errors,
                created=self._created, discarded=self._discarded, reaped=self._reaped,
            )

    def note_error(self) -> None:
        with self._cond:
            self._errors += 1

    # -- internals ---------------------------------------------------------------------------

    def _create(self) -> Upstream:
        try:
            up = self.opener()
        except BaseException as exc:
            with self._cond:
                self._logins -= 1
                self._errors += 1
                self._cond.notify()
            raise exc
        up.uses = 1
        with self._cond:
            self._logins -= 1
            up.to(SV_LENT)
            self._lent.add(up)
            self._created += 1
        return up

    def _count(self) -> int:
        """Connections open or opening (call with the lock held)."""
        return len(self._idle) + len(self._lent) + self._logins

    def _in_use(self) -> int:
        """Connections lent or opening (call with the lock held)."""
        return len(self._lent) + self._logins

    def _settle(self) -> None:
        """Account for orphaned connections (call with the lock held)."""
        while self._orphans:
            self._lent.discard(self._orphans.popleft())
            self._discarded += 1
            self._cond.notify()

    def _healthy(self, up: Upstream) -> bool:
        if not up.looks_alive():
            return False
        if self.clock() - up.last_used >= self.health_check_after:
            try:
                return self.ping(up)
            except DbError:
                return False
        return True

    def _forget(self, up: Upstream, discarded: bool) -> None:
        up.close()
        with self._cond:
            self._lent.discard(up)
            if discarded:
                self._discarded += 1
            self._cond.notify()

    def _name(self) -> str:
        proto, host, port, db, user = self.key
        return f"{proto}://{user}@{host}:{port}/{db}"
