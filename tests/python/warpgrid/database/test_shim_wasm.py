"""The shim through wasmtime: a C guest speaks Postgres via database-proxy (canonical ABI).

The guest is tests/guests/c/dbproxy_guest.c, built by the plugin's `c_component` rule
(tests/guests/c:dbproxy_guest) and located by guests.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guests import guest_component as _built_guest


@pytest.fixture(scope="module")
def guest_component() -> Path:
    return _built_guest("dbproxy_guest")


@pytest.fixture
def engine(pg_server, secrets, db, tmp_path):
    from warpgrid.config import WarpConfig
    from warpgrid.engine import WarpGridEngine

    config = WarpConfig.model_validate({
        "shims": {"database_proxy": True},
        "database": {"pool_size": 2, "checkout_timeout": 0.3, "endpoints": {"app": db.pg_endpoint(pg_server)}},
    })
    eng = WarpGridEngine(config, cache_dir=tmp_path / "cache")
    yield eng
    eng.close()


def _run_guest(engine, component: Path, *args: str, keep: list | None = None) -> list[str]:
    """Runs the guest; `keep` holds the instance alive (and with it any connection it holds)."""
    out = bytearray()
    loaded = engine.load_component(component)
    guest = engine.instantiate(loaded, argv=["dbproxy_guest", *args], stdout=out.extend)
    assert guest.run(timeout_ms=20_000) == 0
    if keep is not None:
        keep.append(guest)
    return out.decode().splitlines()


def test_c_guest_queries_postgres_through_the_shim(engine, guest_component, pg_server):
    port = str(pg_server.port)
    first = _run_guest(engine, guest_component, "127.0.0.1", port, "app", "SELECT 40 + 2")
    assert first == ["connect ok", "status I", "row 42", "status I", "closed"]
    proxy = engine.shim("database_proxy").proxy
    m = proxy.metrics()[0]
    assert (m.created, m.idle, m.in_use) == (1, 1, 0)
    # A second instance reuses the pooled connection, reset in between.
    again = _run_guest(engine, guest_component, "127.0.0.1", port, "app", "SHOW search_path")
    assert again[2] == 'row "$user", public'
    assert proxy.metrics()[0].created == 1


def test_c_guest_errors_are_wit_enum_cases(engine, guest_component, pg_server):
    port = str(pg_server.port)
    assert _run_guest(engine, guest_component, "127.0.0.1", str(pg_server.port + 1), "app", "SELECT 1") == [
        "connect error connection-refused"]
    # Two live instances hold both pooled connections mid-transaction: the third gets pool-exhausted.
    alive: list = []
    for _ in range(2):
        assert _run_guest(engine, guest_component, "127.0.0.1", port, "app", "BEGIN", "hold", keep=alive)[-1] == "held"
    assert _run_guest(engine, guest_component, "127.0.0.1", port, "app", "SELECT 1") == ["connect error pool-exhausted"]
    proxy = engine.shim("database_proxy").proxy
    assert proxy.metrics()[0].in_use == 2
    # Dropping the instances discards their connections (state unknown), freeing the pool.
    alive.clear()
    import gc

    gc.collect()
    m = proxy.metrics()[0]
    assert (m.in_use, m.discarded) == (0, 2)
    out = _run_guest(engine, guest_component, "127.0.0.1", port, "app", "SELECT now() = statement_timestamp()")
    assert out == ["connect ok", "status I", "row t", "status I", "closed"]


def test_shim_resolves_endpoint_names_through_dns_registry(pg_server, secrets, db, guest_component, tmp_path):
    from warpgrid.config import WarpConfig
    from warpgrid.engine import WarpGridEngine

    config = WarpConfig.model_validate({
        "shims": {"database_proxy": True, "dns": True},
        "dns": {"registry": {"pg.prod.warp.local": ["127.0.0.1"]}},
        "database": {"endpoints": {"app": db.pg_endpoint(pg_server, host="pg.prod.warp.local")}},
    })
    eng = WarpGridEngine(config, cache_dir=tmp_path / "cache")
    try:
        assert "pg.prod.warp.local" in eng.shim("database_proxy").describe()
        out = _run_guest(eng, guest_component, "pg.prod.warp.local", str(pg_server.port), "app", "SELECT 7")
        assert out == ["connect ok", "status I", "row 7", "status I", "closed"]
        assert "in_use=0 idle=1" in eng.shim("database_proxy").metrics_text()
    finally:
        eng.close()


def test_request_deadline_ends_a_database_wait_on_time(engine, guest_component, pg_server):
    """pg_sleep(10) under a 1 s deadline: the guest's recv returns `timeout` when the deadline
    passes, and the guest stops with a deadline fault then, not after the query."""
    import time

    from warpgrid.faults import GuestFault

    loaded = engine.load_component(guest_component)
    guest = engine.instantiate(loaded, argv=["dbproxy_guest", "127.0.0.1", str(pg_server.port), "app", "SELECT pg_sleep(10)"])
    started = time.monotonic()
    with pytest.raises(GuestFault) as fault:
        guest.run(timeout_ms=1000)
    elapsed = time.monotonic() - started
    assert fault.value.kind == "timeout"
    assert 0.9 < elapsed < 5, elapsed  # at the 1 s deadline, long before the 10 s query ends
    guest.close()
    m = engine.shim("database_proxy").proxy.metrics()[0]
    assert (m.in_use, m.discarded) == (0, 1)  # the connection with the running query is not pooled
