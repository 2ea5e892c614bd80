"""Scenario T4: a hono handler in TypeScript (test-apps/ts-http-handler, built by
componentize_js_component) serves HTTP and keeps notes in a real PostgreSQL through the
database proxy: the SDK's pg client speaks the extended protocol over the proxy, the host holds
the credentials and pools the connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from warpgrid.config import WarpConfig
from warpgrid.engine import LoadedComponent, WarpGridEngine
from warpgrid.guest import HttpRequest, HttpResponse
from warpgrid.shims.database import localservers

COMPONENT = Path("test-apps.ts-http-handler/wasm.wasm")
PG_USER, PG_PASSWORD = "notes", "t4-Secret-7"


@pytest.fixture(scope="module")
def pg_server() -> Iterator[localservers.LocalServer]:
    server = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def app(pg_server: localservers.LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WarpGridEngine, LoadedComponent]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("WG_T4_PG_PW", PG_PASSWORD)
    port = pg_server.port
    config = WarpConfig.model_validate({
        "shims": {"filesystem": True, "dns": True, "signals": True, "threading": True, "database_proxy": True},
        "env": {"DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": str(port), "DATABASE_NAME": "app",
                "DATABASE_USER": PG_USER, "GREETING": "hello T4"},
        "limits": {"memory_mb": 256, "request_timeout_ms": 20_000},
        "database": {"endpoints": {"notes": {
            "protocol": "postgres", "host": "127.0.0.1", "port": port, "database": "app",
            "user": PG_USER, "password_env": "WG_T4_PG_PW"}}},
    })
    engine = WarpGridEngine(config, cache_dir=tmp_path_factory.mktemp("cache"))
    yield engine, engine.load_component(COMPONENT.resolve())
    engine.close()
    mp.undo()


def _request(app: tuple[WarpGridEngine, LoadedComponent], method: str, uri: str, body: object = None) -> HttpResponse:
    engine, loaded = app
    payload = b"" if body is None else json.dumps(body).encode()
    headers = [("content-type", "application/json")] if body is not None else []
    with engine.instantiate(loaded) as guest:  # a fresh instance per request, as the trigger does
        return guest.call_handler(HttpRequest(method, uri, headers, payload))


def test_hono_routes_without_a_database(app) -> None:
    home = _request(app, "GET", "/")
    assert home.status == 200
    info = json.loads(_request(app, "GET", "/api/info").body)
    assert info["greeting"] == "hello T4"  # process.env from the WASI environment


def test_notes_round_trip_through_the_proxy(app) -> None:
    created = _request(app, "POST", "/notes", {"title": "first", "tags": ["a", "b"], "meta": {"k": 1}})
    assert created.status == 201, created.body
    note = json.loads(created.body)
    assert (note["title"], note["tags"], note["meta"]) == ("first", ["a", "b"], {"k": 1})

    listed = _request(app, "GET", "/notes")
    assert listed.status == 200, listed.body
    assert [n["title"] for n in json.loads(listed.body)["notes"]] == ["first"]

    one = _request(app, "GET", f"/notes/{note['id']}")
    assert one.status == 200 and json.loads(one.body)["id"] == note["id"]
    assert _request(app, "GET", "/notes/999999").status == 404


def test_connections_are_pooled_and_returned(app) -> None:
    engine, _ = app
    for i in range(3):
        assert _request(app, "POST", "/notes", {"title": f"n{i}"}).status == 201
    metrics = engine.shim("database_proxy").metrics_text()
    # Every request's connection went back to the pool (none in use) and was reused, not reopened.
    assert "in_use=0" in metrics and "created=1" in metrics, metrics
