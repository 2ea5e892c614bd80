"""Scenario T3 and the Go HTTP app, end to end: `warpgrid serve` serves Go components built by
`tinygo_component` (test-apps/go-http-server, test-apps/go-http-postgres) over real HTTP on
loopback; T3's service keeps items in a real PostgreSQL, reached as db.production.warp.local (the
guest's `net` resolves it through the DNS shim and dials through the database proxy, which holds
the password). The two components share one TinyGo toolchain build.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import http_request, serve_component, stop_served

from warpgrid_testing import localservers

HTTP_APP = Path("test-apps.go-http-server/wasm.wasm")
T3 = Path("test-apps.go-http-postgres/wasm.wasm")
PG_USER, PG_PASSWORD = "gopher", "go-Secret-3"


@pytest.fixture(scope="module")
def pg_server() -> Iterator[localservers.LocalServer]:
    server = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


def _serve(component: Path, config: Path, cache: Path) -> tuple[subprocess.Popen, str]:
    return serve_component(component, config, cache, {"WG_GO_PG_PW": PG_PASSWORD})


def test_go_http_server_routes(tmp_path: Path) -> None:
    config = tmp_path / "warp.toml"
    config.write_text('[http]\nlisten = "127.0.0.1:0"\n\n[env]\nGREETING = "Hi from the test"\n')
    proc, url = _serve(HTTP_APP, config, tmp_path / "cache")
    try:
        assert http_request(url, "GET", "/")[::2] == (200, b"Hi from the test (Go tinygo)\n")
        status, _, body = http_request(url, "GET", "/health")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, _, body = http_request(url, "GET", "/items/2")
        assert (status, json.loads(body)) == (200, {"id": 2, "name": "rocket skates"})
        status, _, body = http_request(url, "GET", "/items/9")
        assert (status, json.loads(body)) == (404, {"error": "no such item"})
        status, _, body = http_request(url, "POST", "/items", b'{"name": "magnet"}', {"content-type": "application/json"})
        assert (status, json.loads(body)) == (201, {"id": 3, "name": "magnet"})
        status, headers, body = http_request(url, "POST", "/echo", b"x" * 5000, {"content-type": "text/plain"})
        assert (status, headers.get("X-Echo-Length"), body) == (200, "5000", b"x" * 5000)
        # Above 1 MiB the body crosses in pieces (warpgrid:shim/http-body), both ways.
        big = bytes(range(256)) * (3 << 12) + b"!"
        status, headers, body = http_request(url, "POST", "/echo", big, {"content-type": "application/octet-stream"})
        assert (status, headers.get("X-Echo-Length"), body == big) == (200, str(len(big)), True)
        status, _, body = http_request(url, "GET", "/hello/gopher?lang=go")
        assert (status, json.loads(body)) == (200, {"hello": "gopher", "lang": "go"})
        assert http_request(url, "GET", "/files/a/b.txt")[::2] == (200, b'file "a/b.txt" via GET\n')
        assert http_request(url, "GET", "/no-such-route")[0] == 404
        status, headers, _ = http_request(url, "DELETE", "/health")
        assert status == 405 and "GET" in headers.get("Allow", "")
    finally:
        stop_served(proc)


def _t3_config(path: Path, pg_port: int) -> Path:
    path.write_text(f"""
[shims]
filesystem = true
dns = true
database_proxy = true

[http]
listen = "127.0.0.1:0"

[limits]
memory_mb = 128
request_timeout_ms = 30000

[env]
PG_HOST = "db.production.warp.local"
PG_PORT = "{pg_port}"
PG_DATABASE = "app"
PG_USER = "{PG_USER}"
WARPGRID_DB_PORTS = "{pg_port}=postgres"

[dns.registry]
"db.production.warp.local" = ["127.0.0.1"]

[database.endpoints.app]
protocol = "postgres"
host = "db.production.warp.local"
port = {pg_port}
database = "app"
user = "{PG_USER}"
password_env = "WG_GO_PG_PW"
""")
    return path


def test_t3_go_service_over_postgres(pg_server, tmp_path: Path) -> None:
    proc, url = _serve(T3, _t3_config(tmp_path / "warp.toml", pg_server.port), tmp_path / "cache")
    try:
        assert http_request(url, "GET", "/health")[::2] == (200, b"ok")
        status, _, body = http_request(url, "GET", "/version")
        assert status == 200, body
        assert json.loads(body)["version"].startswith("PostgreSQL ")
        assert http_request(url, "POST", "/setup")[0] == 204
        status, _, body = http_request(url, "POST", "/items", b"anvil")
        assert status == 201, body
        anvil = json.loads(body)
        assert anvil["name"] == "anvil"
        assert http_request(url, "POST", "/items", 'Grüße "quoted"'.encode())[0] == 201
        status, _, body = http_request(url, "GET", "/items")
        assert status == 200 and [i["name"] for i in json.loads(body)] == ["anvil", 'Grüße "quoted"']
        status, _, body = http_request(url, "GET", f"/items/{anvil['id']}")
        assert (status, json.loads(body)) == (200, anvil)
        assert http_request(url, "GET", "/items/999999")[0] == 404
        status, _, body = http_request(url, "GET", "/sum/40/2")
        assert (status, json.loads(body)) == (200, {"sum": 42})
        status, _, body = http_request(url, "GET", "/sum/x/2")  # PostgreSQL's own error, passed on
        assert status == 500 and "invalid input syntax" in json.loads(body)["error"], body
    finally:
        log = stop_served(proc)
    # Every request's connection went through the proxy's pool and was handed back.
    assert re.search(r"postgres://gopher@db\.production\.warp\.local:\d+/app in_use=0 ", log), log
