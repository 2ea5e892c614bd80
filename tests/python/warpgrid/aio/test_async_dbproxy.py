"""The async host end to end: the db_http C guest, the database-proxy shim and a real Postgres.

While one guest waits in `recv` for its query, the worker's event loop runs other requests'
guests: N requests of `pg_sleep(t)` finish in about ceil(N / pool_size) * t on one thread.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest

from warpgrid.guest import HttpRequest

from warpgrid.aio.engine import AsyncWarpGridEngine


@pytest.fixture
def engine(make_config, tmp_path):
    eng = AsyncWarpGridEngine(make_config(), cache_dir=tmp_path / "cache")
    yield eng
    eng.close()


def run(coro):
    return asyncio.run(coro)


def get(uri: str) -> HttpRequest:
    return HttpRequest("GET", uri, [], b"")


def sql(text: str, uri: str = "/sql") -> HttpRequest:
    return HttpRequest("POST", uri, [], text.encode())


def test_query_through_the_async_proxy(engine, db_http_guest):
    loaded = engine.load_component(db_http_guest)
    response = run(engine.handle(loaded, sql("SELECT 40 + 2")))
    assert (response.status, response.body) == (200, b"42\n")
    metrics = engine.database.proxy.metrics()[0]
    assert (metrics.created, metrics.idle, metrics.in_use) == (1, 1, 0)


def test_waiting_guests_overlap_on_one_thread(engine, db_http_guest):
    loaded = engine.load_component(db_http_guest)
    run(engine.handle(loaded, get("/sleep/0")))  # warm: one pooled connection exists
    threads_before = threading.active_count()

    async def many():
        started = time.monotonic()
        responses = await asyncio.gather(*(engine.handle(loaded, get("/sleep/300")) for _ in range(16)))
        return responses, time.monotonic() - started

    responses, _elapsed = run(many())
    assert [r.body for r in responses] == [b"slept 300"] * 16
    # All 16 were in flight at once on this one thread, each parked in a recv.
    assert engine.peak_in_flight == 16
    assert engine.database.suspended_recvs >= 16
    # Guests do not get threads: only the pool's connect/close helpers (4 + 4 at most) appear.
    assert threading.active_count() <= threads_before + 8
    metrics = engine.database.proxy.metrics()[0]
    # The guest's db-config asks for pool-size 4 (within the host's 8): 4 connections, each
    # reset and reused by the 16 requests.
    assert metrics.created == 4 and metrics.discarded == 0


def test_session_reset_still_applies(engine, db_http_guest):
    loaded = engine.load_component(db_http_guest)
    assert run(engine.handle(loaded, sql("SET search_path TO pg_catalog"))).status == 200
    response = run(engine.handle(loaded, sql("SHOW search_path")))
    assert response.body == b'"$user", public\n'


def test_deadline_holds_while_the_guest_waits_on_the_database(make_config, db_http_guest, tmp_path):
    eng = AsyncWarpGridEngine(make_config(limits={"request_timeout_ms": 400}), cache_dir=tmp_path / "c")
    try:
        loaded = eng.load_component(db_http_guest)

        async def both():
            started = time.monotonic()
            slow, fast = await asyncio.gather(eng.handle(loaded, get("/sleep/5000")),
                                              eng.handle(loaded, get("/sleep/10")))
            return slow, fast, time.monotonic() - started

        slow, fast, elapsed = run(both())
        assert slow.status == 504 and b'"kind": "timeout"' in slow.body
        assert fast.status == 200
        assert elapsed < 4, elapsed  # at the 400 ms deadline, long before the 5 s query ends
        gc.collect()
        metrics = eng.database.proxy.metrics()[0]
        assert metrics.in_use == 0  # the abandoned session's connection was discarded, not leaked
        assert run(eng.handle(loaded, sql("SELECT 1"))).body == b"1\n"
    finally:
        eng.close()


def test_a_trapping_guest_never_takes_the_worker_down(engine, db_http_guest):
    loaded = engine.load_component(db_http_guest)

    async def mixed():
        return await asyncio.gather(engine.handle(loaded, get("/trap")),
                                    engine.handle(loaded, sql("BEGIN; SELECT 1", "/sql-then-trap")),
                                    engine.handle(loaded, get("/sleep/50")))

    trap, trap_mid_session, ok = run(mixed())
    assert trap.status == 500 and b'"kind": "trap"' in trap.body
    assert trap_mid_session.status == 500
    assert (ok.status, ok.body) == (200, b"slept 50")
    metrics = engine.database.proxy.metrics()[0]
    assert metrics.in_use == 0 and metrics.discarded == 1  # mid-transaction: never pooled
    assert run(engine.handle(loaded, sql("SELECT now() = statement_timestamp()"))).body == b"t\n"


def test_recv_timeout_answers_the_wit_timeout_error(make_config, db_http_guest, tmp_path):
    eng = AsyncWarpGridEngine(make_config(database={"recv_timeout": 0.3}), cache_dir=tmp_path / "c")
    try:
        loaded = eng.load_component(db_http_guest)
        response = run(eng.handle(loaded, get("/sleep/2000")))
        assert (response.status, response.body) == (502, b"recv error timeout")
    finally:
        eng.close()


def test_pool_exhaustion_waits_without_blocking_other_guests(make_config, db_http_guest, tmp_path):
    eng = AsyncWarpGridEngine(make_config(database={"pool_size": 2, "checkout_timeout": 0.2}),
                              cache_dir=tmp_path / "c")
    try:
        loaded = eng.load_component(db_http_guest)

        async def crowd():
            return await asyncio.gather(*(eng.handle(loaded, get("/sleep/600")) for _ in range(4)))

        bodies = sorted(r.body for r in run(crowd()))
        assert bodies == [b"connect error pool-exhausted"] * 2 + [b"slept 600"] * 2
    finally:
        eng.close()
