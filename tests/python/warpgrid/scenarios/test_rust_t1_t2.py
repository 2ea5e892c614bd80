"""Scenarios T1 and T2, end to end: `warpgrid serve` serves the Rust components of
test-apps/rust-http-postgres and test-apps/rust-http-redis-postgres (built by rust_component)
over real HTTP on loopback, against a real PostgreSQL and a real Redis.

T1: axum routes with JSON; PostgreSQL is reached as db.production.warp.local (the guest resolves
it through the DNS shim and hands the address to the database proxy, which matches it against
the endpoint's name). T2: a cache-aside route reads Redis, falls back to PostgreSQL and fills
Redis; both proxied connections live in one instance. The host holds both passwords.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
import redis

from support import http_request, serve_component, stop_served

from warpgrid_testing import localservers

T1 = Path("test-apps.rust-http-postgres/wasm.wasm")
T2 = Path("test-apps.rust-http-redis-postgres/wasm.wasm")
PG_USER, PG_PASSWORD = "shop", "rust-Secret-8"
REDIS_PASSWORD = "rust-Redis-9"


@pytest.fixture(scope="module")
def pg_server() -> Iterator[localservers.LocalServer]:
    server = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[localservers.LocalServer]:
    server = localservers.redis(REDIS_PASSWORD)
    yield server
    server.destroy()


def _warp_toml(pg_port: int, redis_port: int) -> str:
    """The apps' own warp.toml shape, pointed at the test's servers."""
    return f"""
[shims]
filesystem = true
dns = true
database_proxy = true

[http]
listen = "127.0.0.1:0"

[limits]
memory_mb = 128
request_timeout_ms = 20000

[env]
PG_HOST = "db.production.warp.local"
PG_PORT = "{pg_port}"
PG_DATABASE = "app"
PG_USER = "{PG_USER}"
REDIS_HOST = "cache.production.warp.local"
REDIS_PORT = "{redis_port}"

[dns.registry]
"db.production.warp.local" = ["127.0.0.1"]
"cache.production.warp.local" = ["127.0.0.1"]

[database.endpoints.app]
protocol = "postgres"
host = "db.production.warp.local"
port = {pg_port}
database = "app"
user = "{PG_USER}"
password_env = "WG_RUST_PG_PW"

[database.endpoints.cache]
protocol = "redis"
host = "cache.production.warp.local"
port = {redis_port}
password_env = "WG_RUST_REDIS_PW"
"""


def _serve(component: Path, config: Path, cache: Path) -> tuple[subprocess.Popen, str]:
    return serve_component(
        component, config, cache, {"WG_RUST_PG_PW": PG_PASSWORD, "WG_RUST_REDIS_PW": REDIS_PASSWORD}
    )


@pytest.fixture(scope="module")
def config(pg_server, redis_server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rust") / "warp.toml"
    path.write_text(_warp_toml(pg_server.port, redis_server.port))
    return path


def _request(base_url: str, method: str, path: str, body: object = None) -> tuple[int, Message, bytes]:
    data = None if body is None else json.dumps(body).encode()
    return http_request(base_url, method, path, data, {"content-type": "application/json"} if data else None)


def test_t1_axum_routes_over_postgres(config: Path, tmp_path: Path) -> None:
    proc, url = _serve(T1, config, tmp_path / "cache")
    try:
        assert _request(url, "GET", "/health")[::2] == (200, b"ok")
        status, _, body = _request(url, "GET", "/resolve")
        assert status == 200 and json.loads(body) == ["127.0.0.1"]  # through the DNS shim
        assert _request(url, "POST", "/setup")[0] == 204
        status, _, body = _request(url, "POST", "/users", {"name": "Ada", "email": "ada@example.org"})
        assert status == 201, body
        ada = json.loads(body)
        assert (ada["name"], ada["email"]) == ("Ada", "ada@example.org")
        status, _, body = _request(url, "POST", "/users", {"name": "Ada 2", "email": "ada@example.org"})
        assert status == 409, body  # the unique constraint, reported by PostgreSQL
        assert _request(url, "POST", "/users", {"name": "Grace", "email": "grace@example.org"})[0] == 201
        status, _, body = _request(url, "GET", "/users")
        assert status == 200 and [u["name"] for u in json.loads(body)] == ["Ada", "Grace"]
        status, _, body = _request(url, "GET", f"/users/{ada['id']}")
        assert status == 200 and json.loads(body) == ada
        status, _, body = _request(url, "GET", "/users/999999")
        assert status == 404 and "no user" in json.loads(body)["error"]
    finally:
        log = stop_served(proc)
    # One pooled upstream connection served every request (the guest closed each handle).
    assert re.search(r"postgres://shop@db\.production\.warp\.local:\d+/app in_use=0 .* created=1 ", log), log


def test_t2_cache_aside_over_redis_and_postgres(config: Path, redis_server, tmp_path: Path) -> None:
    proc, url = _serve(T2, config, tmp_path / "cache")
    direct = redis.Redis(host="127.0.0.1", port=redis_server.port, password=REDIS_PASSWORD)
    try:
        assert _request(url, "POST", "/setup")[0] == 204
        status, _, body = _request(url, "POST", "/products", {"name": "Widget", "price_cents": 1299})
        assert status == 201, body
        widget = json.loads(body)
        key = f"product:{widget['id']}"
        assert direct.get(key) is None

        status, headers, body = _request(url, "GET", f"/products/{widget['id']}")
        assert (status, headers.get("x-cache"), json.loads(body)) == (200, "miss", widget)
        assert json.loads(direct.get(key)) == widget  # filled by the guest, seen by a real client
        assert 0 < direct.ttl(key) <= 60

        status, headers, body = _request(url, "GET", f"/products/{widget['id']}")
        assert (status, headers.get("x-cache"), json.loads(body)) == (200, "hit", widget)

        # The cache answers even when PostgreSQL no longer has the row: proof the hit path is Redis.
        direct.set(key, json.dumps({**widget, "name": "from cache"}), ex=60)
        status, headers, body = _request(url, "GET", f"/products/{widget['id']}")
        assert (headers.get("x-cache"), json.loads(body)["name"]) == ("hit", "from cache")

        assert _request(url, "DELETE", f"/cache/{widget['id']}")[0] == 204
        assert direct.get(key) is None
        status, headers, _ = _request(url, "GET", f"/products/{widget['id']}")
        assert (status, headers.get("x-cache")) == (200, "miss")
        assert _request(url, "GET", "/products/999999")[0] == 404
    finally:
        direct.close()
        log = stop_served(proc)
    for pool in (r"postgres://shop@db\.production\.warp\.local:\d+/app", r"redis://@cache\.production\.warp\.local:\d+/"):
        assert re.search(pool + r" in_use=0 .* errors=0 ", log), log
