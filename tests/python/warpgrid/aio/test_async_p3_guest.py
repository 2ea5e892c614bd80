"""A WASI 0.3-style guest end to end on the async host: HTTP in, Postgres through the database
proxy, HTTP out.

The guest (tests/guests/aio/rust_p3, built by `rust_component`) is Rust + wit-bindgen 0.61 with
`handle` lifted as an `async func`; the host calls it with `wasmtime_component_func_call_async`
and its proxied `recv` parks it while the database works (docs/domains/05-async.md).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from warpgrid.aio.engine import AsyncWarpGridEngine
from warpgrid.http.messages import HttpRequest


@pytest.fixture(scope="module")
def p3_guest() -> Path:
    for root in (".", "dist"):
        path = Path(root) / "tests.guests.aio.rust_p3" / "rust_p3.wasm"
        if path.is_file():
            return path.resolve()
    pytest.fail("rust_p3.wasm not found: run with `./pants test`, or `./pants package tests/guests/aio/rust_p3`")


@pytest.fixture
def engine(make_config, tmp_path):
    eng = AsyncWarpGridEngine(make_config(), cache_dir=tmp_path / "cache")
    yield eng
    eng.close()


def request(pg_server, method: str, uri: str, body: bytes = b"") -> HttpRequest:
    headers = [("x-db-host", "127.0.0.1"), ("x-db-port", str(pg_server.port)), ("x-db-name", "app")]
    return HttpRequest(method, uri, headers, body)


def test_async_lifted_handler_queries_postgres(engine, p3_guest, pg_server) -> None:
    loaded = engine.load_component(p3_guest)
    answer = asyncio.run(engine.handle(loaded, request(pg_server, "POST", "/sql", b"SELECT 6 * 7")))
    assert answer.status == 200 and b"42" in answer.body
    failed = asyncio.run(engine.handle(loaded, request(pg_server, "POST", "/sql", b"SELECT * FROM no_such_table")))
    assert failed.status == 502 and b"no_such_table" in failed.body


def test_async_lifted_handlers_overlap_on_one_loop(engine, p3_guest, pg_server) -> None:
    loaded = engine.load_component(p3_guest)

    async def many():
        return await asyncio.gather(*(engine.handle(loaded, request(pg_server, "GET", "/sleep/200")) for _ in range(6)))

    answers = asyncio.run(many())
    assert [(a.status, a.body) for a in answers] == [(200, b"slept 200")] * 6
    assert engine.peak_in_flight >= 2  # several guests were parked at once
