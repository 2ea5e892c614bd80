"""Scenario T4, end to end: `warpgrid serve` (the process `warpgrid_run` starts) serves the hono
handler of test-apps/ts-http-handler (built by componentize_js_component) over real HTTP on
loopback, and the handler keeps notes in a real PostgreSQL through the database proxy: the SDK's
pg client speaks the extended protocol, the host holds the credentials and pools the connection.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import warpgrid_cmd

from warpgrid_testing import localservers

COMPONENT = Path("test-apps.ts-http-handler/wasm.wasm")
PG_USER, PG_PASSWORD = "notes", "t4-Secret-7"


@pytest.fixture(scope="module")
def pg_server() -> Iterator[localservers.LocalServer]:
    server = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


def _warp_toml(port: int) -> str:
    """The app's own warp.toml shape (test-apps/ts-http-handler/warp.toml), pointed at the test's
    Postgres; the password reaches only the host, through the environment."""
    return f"""
[shims]
filesystem = true
dns = true
signals = true
threading = true
database_proxy = true

[http]
listen = "127.0.0.1:0"

[limits]
memory_mb = 256
request_timeout_ms = 20000

[env]
GREETING = "hello T4"
DATABASE_HOST = "127.0.0.1"
DATABASE_PORT = "{port}"
DATABASE_NAME = "app"
DATABASE_USER = "{PG_USER}"

[database.endpoints.notes]
protocol = "postgres"
host = "127.0.0.1"
port = {port}
database = "app"
user = "{PG_USER}"
password_env = "WG_T4_PG_PW"
"""


@pytest.fixture(scope="module")
def base_url(pg_server: localservers.LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("t4")
    config = work / "warp.toml"
    config.write_text(_warp_toml(pg_server.port))
    proc = warpgrid_cmd(
        "serve", str(COMPONENT.resolve()), "--config", str(config), "--cache-dir", str(work / "cache"),
        env_extra={"WG_T4_PG_PW": PG_PASSWORD},
    )
    try:
        line = proc.stdout.readline().strip()  # printed once the component is compiled and served
        match = re.fullmatch(r"Serving (http://127\.0\.0\.1:\d+)", line)
        assert match, f"{line!r}\n{proc.stderr.read() if proc.poll() is not None else ''}"
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _request(base_url: str, method: str, path: str, body: object = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base_url + path, data=data, method=method,
                                 headers={"content-type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_hono_routes_without_a_database(base_url: str) -> None:
    assert _request(base_url, "GET", "/")[0] == 200
    status, body = _request(base_url, "GET", "/api/info")
    assert status == 200 and json.loads(body)["greeting"] == "hello T4"  # process.env from WASI


def test_notes_round_trip_through_the_proxy(base_url: str) -> None:
    status, body = _request(base_url, "POST", "/notes", {"title": "first", "tags": ["a", "b"], "meta": {"k": 1}})
    assert status == 201, body
    note = json.loads(body)
    assert (note["title"], note["tags"], note["meta"]) == ("first", ["a", "b"], {"k": 1})

    status, body = _request(base_url, "GET", "/notes")
    assert status == 200, body
    assert [n["title"] for n in json.loads(body)["notes"]] == ["first"]

    status, body = _request(base_url, "GET", f"/notes/{note['id']}")
    assert status == 200 and json.loads(body)["id"] == note["id"]
    assert _request(base_url, "GET", "/notes/999999")[0] == 404


def test_pooled_connections_serve_many_requests(base_url: str) -> None:
    for i in range(5):
        assert _request(base_url, "POST", "/notes", {"title": f"n{i}"})[0] == 201
    status, body = _request(base_url, "GET", "/notes")
    assert status == 200 and json.loads(body)["count"] >= 5
