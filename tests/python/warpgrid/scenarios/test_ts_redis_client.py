"""test-apps/ts-redis-client (componentize_js_component): a hono handler queues notifications in a
real Redis through the database proxy; the SDK's RESP client speaks to the host, which holds
the Redis password (AUTH is the host's job) and pools the connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from warpgrid.config import WarpConfig
from warpgrid.engine import LoadedComponent, WarpGridEngine
from warpgrid.guest import HttpRequest, HttpResponse
from warpgrid_testing import localservers

COMPONENT = Path("test-apps.ts-redis-client/wasm.wasm")
REDIS_PASSWORD = "queue-Secret-5"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[localservers.LocalServer]:
    server = localservers.redis(REDIS_PASSWORD)
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def app(redis_server: localservers.LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WarpGridEngine, LoadedComponent]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("WG_QUEUE_PW", REDIS_PASSWORD)
    config = WarpConfig.model_validate({
        "shims": {"filesystem": True, "dns": True, "signals": True, "threading": True, "database_proxy": True},
        "env": {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_server.port)},
        "limits": {"memory_mb": 256, "request_timeout_ms": 20_000},
        "database": {"endpoints": {"queue": {
            "protocol": "redis", "host": "127.0.0.1", "port": redis_server.port,
            "password_env": "WG_QUEUE_PW"}}},
    })
    engine = WarpGridEngine(config, cache_dir=tmp_path_factory.mktemp("cache"))
    yield engine, engine.load_component(COMPONENT.resolve())
    engine.close()
    mp.undo()


def _request(app: tuple[WarpGridEngine, LoadedComponent], method: str, uri: str, body: bytes = b"") -> HttpResponse:
    engine, loaded = app
    with engine.instantiate(loaded) as guest:  # a fresh instance per request, as the trigger does
        return guest.call_handler(HttpRequest(method, uri, [], body))


def test_queue_round_trip_through_the_proxy(app) -> None:
    assert json.loads(_request(app, "GET", "/health").body) == {"redis": "PONG"}
    for text in (b"first", b"second"):
        assert _request(app, "POST", "/notifications", text).status == 201
    listed = json.loads(_request(app, "GET", "/notifications").body)
    assert listed == {"queue": ["first", "second"], "total": 2}
    popped = _request(app, "POST", "/notifications/pop")
    assert json.loads(popped.body) == {"notification": "first"}
    assert _request(app, "POST", "/notifications", b"").status == 400
