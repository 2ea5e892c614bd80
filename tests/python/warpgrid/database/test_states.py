"""The pooler's state machines: the transition tables, illegal transitions, and the states
the pool and the protocol sessions move a connection through (socket pairs stand in for
the database; the real-server tests cover the same paths end to end)."""

from __future__ import annotations

import socket
from collections import deque

import pytest

from warpgrid.shims.database.config import EndpointConfig
from warpgrid.shims.database.pool import Pool
from warpgrid.shims.database.postgres import PgSession, PgState, message
from warpgrid.shims.database.redis import RedisSession, RedisState, encode
from warpgrid.shims.database import states
from warpgrid.shims.database.states import ClientState, IllegalTransition, ServerState
from warpgrid.shims.database.upstream import Upstream

S, C = ServerState, ClientState


def _reachable(start, nxt):
    seen, todo = {start}, deque([start])
    while todo:
        for n in nxt(todo.popleft()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def _server_next(state: ServerState) -> list[ServerState]:
    out = []
    for new in ServerState:
        try:
            state.check(new)
        except IllegalTransition:
            continue
        out.append(new)
    return out


def test_every_server_state_is_reachable_and_can_be_closed():
    assert _reachable(S.LOGIN, _server_next) == set(ServerState)
    for state in ServerState:  # no state may strand a socket
        assert S.CLOSED in _reachable(state, _server_next)
    assert _server_next(S.CLOSED) == []


@pytest.mark.parametrize("old,new", [
    (S.IDLE, S.IDLE),  # a double check-in
    (S.IDLE, S.LENT),  # lent without the liveness check
    (S.READY, S.IDLE),  # a used connection back in the pool without a reset
    (S.BUSY, S.RESETTING),  # a reset with replies still on the wire
    (S.AWAITING_SYNC, S.READY),  # an open extended-protocol sequence taken for settled
    (S.TAINTED, S.RESETTING),
    (S.BROKEN, S.IDLE),
    (S.CLOSED, S.LENT),
    (S.LOGIN, S.IDLE),
])
def test_illegal_server_transitions_raise_naming_both_states(old, new):
    with pytest.raises(IllegalTransition, match=f"{old.value} -> {new.value}"):
        old.check(new)


@pytest.mark.parametrize("old,new", [(C.ENDED, C.OPEN), (C.OPEN, C.STARTUP), (C.BROKEN, C.ENDED),
                                     (C.OPEN, C.OPEN)])
def test_illegal_client_transitions_raise(old, new):
    with pytest.raises(IllegalTransition, match=f"guest database session: {old.value} -> {new.value}"):
        old.check(new)


def test_pgbouncer_style_names_are_the_members():
    for prefix, machine in (("SV_", ServerState), ("CL_", ClientState)):
        for member in machine:
            assert getattr(states, prefix + member.name) is member


def test_client_lifecycle():
    assert C.STARTUP.check(C.OPEN) is C.OPEN
    assert C.OPEN.check(C.ENDED) is C.ENDED
    assert C.STARTUP.check(C.ENDED) is C.ENDED  # refused login
    assert C.ENDED.check(C.BROKEN) is C.BROKEN


# -- the pool's books ------------------------------------------------------------------------------


@pytest.fixture
def pool():
    far: list[socket.socket] = []

    def opener() -> Upstream:
        ours, theirs = socket.socketpair()
        far.append(theirs)
        return Upstream(sock=ours, endpoint="t", created_at=0, last_used=0)

    p = Pool(("postgres", "h", 1, "db", "u"), size=2, idle_timeout=60, checkout_timeout=0.1,
             opener=opener, ping=lambda up: True, health_check_after=30, clock=lambda: 0.0)
    p.far = far
    yield p
    p.drain(timeout=0.1)
    for s in far:
        s.close()


def test_pool_moves_connections_through_the_server_states(pool):
    up = pool.checkout()
    assert up.state is S.LENT
    pool.checkin(up, reusable=True)
    assert up.state is S.IDLE
    assert pool.checkout() is up and up.state is S.LENT  # via TESTING
    pool.checkin(up, reusable=False)
    assert up.state is S.CLOSED
    assert pool.metrics().in_use == 0


def test_double_checkin_raises_and_leaves_the_books_intact(pool):
    up = pool.checkout()
    pool.checkin(up, reusable=True)
    with pytest.raises(IllegalTransition, match="idle -> idle"):
        pool.checkin(up, reusable=True)
    m = pool.metrics()
    assert (m.idle, m.in_use) == (1, 0)


def test_a_dirty_connection_cannot_go_back_idle(pool):
    up = pool.checkout()
    up.to(S.READY)  # the guest used it; no reset ran
    with pytest.raises(IllegalTransition, match="ready -> idle"):
        pool.checkin(up, reusable=True)


def test_a_broken_connection_is_closed_on_checkin(pool):
    up = pool.checkout()
    up.fail()
    up.fail()  # idempotent
    pool.checkin(up, reusable=True)
    assert up.state is S.CLOSED and pool.metrics().discarded == 1


# -- Postgres: the server side follows the replies ---------------------------------------------


def _pg(pool):
    up = pool.checkout()
    up.replay = PgState()
    session = PgSession(up, EndpointConfig(protocol="postgres", host="h", port=1, database="db", user="u"))
    session.to(C.OPEN)
    return session, pool.far[-1]


PARSE_BIND_EXECUTE = message(b"P", b"\0SELECT 1\0\0\0") + message(b"B", bytes(10)) + message(b"E", bytes(5))


def test_pg_extended_sequence_awaits_its_sync(pool):
    s, far = _pg(pool)
    s.from_guest(message(b"Q", b"SELECT 1\0") + PARSE_BIND_EXECUTE)
    assert s.up.state is S.AWAITING_SYNC and s.server.pending == 1
    s.track_upstream(message(b"C", b"SELECT 1\0") + message(b"Z", b"I"))  # the Query's answer
    assert s.up.state is S.AWAITING_SYNC  # still mid-sequence: not settled
    assert s.finish() is False  # never reset (or reused) mid-sequence
    s.from_guest(message(b"S"))
    assert s.up.state is S.BUSY
    s.track_upstream(message(b"2") + message(b"Z", b"I"))
    assert s.up.state is S.READY and s.server.settled()


def test_pg_transaction_status_and_reset(pool):
    s, far = _pg(pool)
    s.from_guest(message(b"Q", b"BEGIN\0"))
    s.track_upstream(message(b"C", b"BEGIN\0") + message(b"Z", b"T"))
    assert s.up.state is S.IN_TRANSACTION
    far.sendall(message(b"C", b"ROLLBACK\0") + message(b"Z", b"I")
                + message(b"C", b"DISCARD ALL\0") + message(b"Z", b"I"))
    assert s.finish() is True
    assert s.up.state is S.RESETTING
    sent = far.recv(4096)
    assert b"ROLLBACK" in sent and b"DISCARD ALL" in sent
    pool.checkin(s.up, reusable=True)
    assert s.up.state is S.IDLE


def test_pg_untouched_session_needs_no_reset(pool):
    s, far = _pg(pool)
    assert s.finish() is True and s.up.state is S.LENT
    far.setblocking(False)
    with pytest.raises(BlockingIOError):
        far.recv(1)  # nothing was sent to the database


def test_pg_extra_ready_for_query_taints(pool):
    s, _ = _pg(pool)
    s.from_guest(message(b"Q", b"SELECT 1\0"))
    s.track_upstream(message(b"Z", b"I") + message(b"Z", b"I"))
    assert s.up.state is S.TAINTED and s.finish() is False


def test_pg_terminate_ends_the_client_and_later_bytes_are_dropped(pool):
    s, far = _pg(pool)
    s.from_guest(message(b"X"))
    assert s.state is C.ENDED
    s.from_guest(message(b"Q", b"SELECT 1\0"))
    assert s.up.state is S.LENT  # nothing reached the database


# -- Redis ---------------------------------------------------------------------------------------


def test_redis_pubsub_taints_and_is_not_reused(pool):
    up = pool.checkout()
    up.replay = RedisState([])
    s = RedisSession(up, EndpointConfig(protocol="redis", host="h", port=1))
    assert s.state is C.OPEN
    s.from_guest(encode(b"GET", b"k"))
    assert up.state is S.BUSY and s.server.pending == 1
    s.track_upstream(b"$-1\r\n")
    assert up.state is S.READY
    s.from_guest(encode(b"SUBSCRIBE", b"ch"))
    assert up.state is S.TAINTED
    s.track_upstream(b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
    assert up.state is S.TAINTED and s.finish() is False
    s.from_guest(encode(b"QUIT"))
    assert s.state is C.ENDED
