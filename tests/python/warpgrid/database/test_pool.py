"""Pool mechanics with in-process socket pairs standing in for database connections.

The real-server tests cover the same paths end to end; here the timing-sensitive parts
(waiting for a slot, idle expiry, liveness) are driven deterministically.
"""

from __future__ import annotations

import socket
import threading

import pytest

from warpgrid.shims.database.errors import Closed, ConnectionRefused, PoolExhausted
from warpgrid.shims.database.pool import Pool
from warpgrid.shims.database.upstream import Upstream


class Opener:
    """Creates socketpair-backed connections; keeps the far ends to simulate the server."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.server_ends: list[socket.socket] = []
        self.fail = False

    def __call__(self) -> Upstream:
        if self.fail:
            raise ConnectionRefused("server down")
        ours, theirs = socket.socketpair()
        self.server_ends.append(theirs)
        now = self.clock()
        return Upstream(sock=ours, endpoint="t", created_at=now, last_used=now)


@pytest.fixture
def setup(clock):
    opener = Opener(clock)
    pings: list[Upstream] = []

    def ping(up: Upstream) -> bool:
        pings.append(up)
        return True

    pool = Pool(("postgres", "h", 1, "db", "u"), size=2, idle_timeout=60, checkout_timeout=0.2,
                opener=opener, ping=ping, health_check_after=30, clock=clock)
    yield pool, opener, pings
    pool.drain(timeout=0.1)
    for s in opener.server_ends:
        s.close()


def test_lifo_reuse_and_metrics(setup):
    pool, opener, _ = setup
    a = pool.checkout()
    b = pool.checkout()
    pool.checkin(a, reusable=True)
    pool.checkin(b, reusable=True)
    assert pool.checkout() is b  # most recently used first
    m = pool.metrics()
    assert (m.in_use, m.idle, m.created) == (1, 1, 2)


def test_exhaustion_then_wakeup_when_released(setup):
    pool, _, _ = setup
    a, b = pool.checkout(), pool.checkout()
    with pytest.raises(PoolExhausted):
        pool.checkout()
    got: list[Upstream] = []
    waiter = threading.Thread(target=lambda: got.append(pool.checkout()))
    pool.checkout_timeout = 10
    waiter.start()
    for _ in range(500):  # until the waiter is blocked in checkout (it counts a wait first)
        if pool.metrics().waits == 2:
            break
        threading.Event().wait(0.01)
    pool.checkin(a, reusable=True)
    waiter.join(5)
    assert got == [a]
    m = pool.metrics()
    assert (m.waits, m.exhausted) == (2, 1)
    pool.checkin(b, reusable=False)
    assert pool.metrics().discarded == 1


def test_dead_idle_connection_is_replaced(setup):
    pool, opener, _ = setup
    a = pool.checkout()
    pool.checkin(a, reusable=True)
    opener.server_ends[0].close()  # server went away while pooled
    b = pool.checkout()
    assert b is not a
    m = pool.metrics()
    assert (m.discarded, m.created, m.in_use) == (1, 2, 1)


def test_unsolicited_bytes_make_idle_connection_unusable(setup):
    pool, opener, _ = setup
    a = pool.checkout()
    pool.checkin(a, reusable=True)
    opener.server_ends[0].sendall(b"E...FATAL admin shutdown")
    assert pool.checkout() is not a


def test_ping_only_after_long_idle(setup, clock):
    pool, _, pings = setup
    a = pool.checkout()
    pool.checkin(a, reusable=True)
    clock.now += 10
    pool.checkin(pool.checkout(), reusable=True)
    assert pings == []
    clock.now += 31
    pool.checkout()
    assert pings == [a]


def test_idle_expiry_uses_injected_clock(setup, clock):
    pool, _, _ = setup
    pool.checkin(pool.checkout(), reusable=True)
    clock.now += 59.9
    assert pool.reap_idle() == 0
    clock.now += 0.1
    assert pool.reap_idle() == 1
    assert pool.metrics().idle == 0


def test_open_failure_frees_the_slot(setup):
    pool, opener, _ = setup
    opener.fail = True
    for _ in range(3):
        with pytest.raises(ConnectionRefused):
            pool.checkout()
    opener.fail = False
    pool.checkout()
    m = pool.metrics()
    assert (m.errors, m.in_use) == (3, 1)


def test_drain_refuses_new_checkouts_and_closes_returns(setup):
    pool, _, _ = setup
    a = pool.checkout()
    pool.drain(timeout=0.05)
    with pytest.raises(Closed):
        pool.checkout()
    pool.checkin(a, reusable=True)  # returned after shutdown: closed, not pooled
    assert pool.metrics().idle == 0
    assert a.sock.fileno() == -1


def test_orphaned_connection_is_closed_and_its_slot_freed(setup):
    pool, _, _ = setup
    a = pool.checkout()
    pool.orphan(a)  # what a dropped instance's finalizer does: no lock taken
    assert a.sock.fileno() == -1
    m = pool.metrics()
    assert (m.in_use, m.discarded) == (0, 1)


def test_guest_pool_size_is_honoured_up_to_the_host_limit(setup):
    pool, _, _ = setup  # host limit 2
    assert pool.request_size(1) == 1
    a = pool.checkout()
    with pytest.raises(PoolExhausted):
        pool.checkout()  # the guest asked for one connection
    assert pool.request_size(50) == 2  # never above warp.toml's pool_size
    b = pool.checkout()
    assert pool.request_size(1) == 1  # shrinking: the surplus connection closes on checkin
    pool.checkin(b, reusable=True)
    pool.checkin(a, reusable=True)
    m = pool.metrics()
    assert (m.size, m.idle, m.in_use) == (1, 1, 0)
