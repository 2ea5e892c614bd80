"""Scenario T5, end to end: Bun + hono + Postgres. `warpgrid serve` serves the Bun handler of
test-apps/bun-http-handler (bun_component: bun build + the WarpGrid plugin + ComponentizeJS),
which keeps notes in a real PostgreSQL through @warpgrid/bun-sdk's createPool (the database
proxy). Its answers must equal T4's (test-apps/ts-http-handler, the same routes written for
componentize_js_component) for the same requests: both components are served in turn against
the same Postgres (the notes table dropped in between, so ids match) and the two transcripts
are compared, timestamps masked (they are checked to be ISO-8601 first).

Components: the Pants-built packages (runtime_package_dependencies), or the paths in
WARPGRID_T4_COMPONENT / WARPGRID_T5_COMPONENT when run by hand.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pg8000.native
import pytest

from support import warpgrid_cmd

from warpgrid_testing import localservers

T4 = Path(os.environ.get("WARPGRID_T4_COMPONENT", "test-apps.ts-http-handler/wasm.wasm"))
T5 = Path(os.environ.get("WARPGRID_T5_COMPONENT", "test-apps.bun-http-handler/wasm.wasm"))
PG_USER, PG_PASSWORD = "notes", "t5-Secret-9"
ISO = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"')

# (method, path, JSON body or text body or None, content-type)
REQUESTS: list[tuple[str, str, object, str | None]] = [
    ("GET", "/", None, None),
    ("GET", "/users/7?full=1", None, None),
    ("GET", "/users/abc", None, None),
    ("POST", "/echo", {"a": [1, 2], "s": "héllo"}, "application/json"),
    ("POST", "/echo", "plain text body", "text/plain"),
    ("POST", "/echo", "{not json", "application/json"),
    ("GET", "/no-such-route", None, None),
    ("GET", "/dns/localhost", None, None),
    ("GET", "/files/etc/hosts", None, None),
    ("GET", "/notes", None, None),
    ("POST", "/notes", {"title": "first", "tags": ["a", "b"], "meta": {"k": 1}}, "application/json"),
    ("POST", "/notes", {"title": "second"}, "application/json"),
    ("POST", "/notes", {"tags": ["no title"]}, "application/json"),
    ("GET", "/notes", None, None),
    ("GET", "/notes/1", None, None),
    ("GET", "/notes/2", None, None),
    ("GET", "/notes/999", None, None),
    ("GET", "/notes/abc", None, None),
]


@pytest.fixture(scope="module")
def pg_server() -> Iterator[localservers.LocalServer]:
    server = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


def _warp_toml(port: int) -> str:
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
GREETING = "hello T5"
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
password_env = "WG_T5_PG_PW"
"""


def _request(base_url: str, method: str, path: str, body: object, ctype: str | None) -> dict:
    data = None
    if body is not None:
        data = (json.dumps(body) if ctype == "application/json" and not isinstance(body, str) else str(body)).encode()
    req = urllib.request.Request(base_url + path, data=data, method=method, headers={"content-type": ctype} if ctype else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    return {"request": f"{method} {path}", "status": status, "content-type": headers.get("content-type"), "body": raw.decode()}


def _transcript(component: Path, pg: localservers.LocalServer, work: Path) -> list[dict]:
    """Serves `component`, replays REQUESTS on an empty notes table, returns the answers."""
    conn = pg8000.native.Connection(PG_USER, host="127.0.0.1", port=pg.port, database="app", password=PG_PASSWORD)
    conn.run("DROP TABLE IF EXISTS notes")
    conn.close()
    config = work / "warp.toml"
    config.write_text(_warp_toml(pg.port))
    proc = warpgrid_cmd("serve", str(component.resolve()), "--config", str(config), "--cache-dir", str(work / "cache"),
                        env_extra={"WG_T5_PG_PW": PG_PASSWORD})
    try:
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"Serving (http://127\.0\.0\.1:\d+)", line)
        assert match, f"{component}: {line!r}\n{proc.stderr.read() if proc.poll() is not None else ''}"
        return [_request(match.group(1), *r) for r in REQUESTS]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _masked(transcript: list[dict]) -> list[dict]:
    return [{**t, "body": ISO.sub('"<timestamp>"', t["body"])} for t in transcript]


@pytest.fixture(scope="module")
def transcripts(pg_server: localservers.LocalServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[dict]]:
    t4 = _transcript(T4, pg_server, tmp_path_factory.mktemp("t4"))
    t5 = _transcript(T5, pg_server, tmp_path_factory.mktemp("t5"))
    return t4, t5


def test_t5_answers_the_notes_routes_through_the_proxy(transcripts: tuple[list[dict], list[dict]]) -> None:
    _, t5 = transcripts
    by = {t["request"]: t for t in t5}
    created = json.loads(t5[10]["body"])
    assert t5[10]["status"] == 201, t5[10]
    assert (created["id"], created["title"], created["tags"], created["meta"]) == (1, "first", ["a", "b"], {"k": 1})
    listing = json.loads(by["GET /notes/2"]["body"])
    assert listing["title"] == "second" and listing["tags"] == [] and listing["meta"] is None
    assert by["GET /notes/999"]["status"] == 404
    assert [json.loads(t5[i]["body"])["count"] for i in (9, 13)] == [0, 2]


def test_t5_timestamps_are_iso_8601(transcripts: tuple[list[dict], list[dict]]) -> None:
    for transcript in transcripts:
        stamps = [m for t in transcript for m in ISO.findall(t["body"])]
        assert len(stamps) >= 5, stamps  # created_at of each note answer


def test_t5_transcript_equals_t4(transcripts: tuple[list[dict], list[dict]]) -> None:
    t4, t5 = (_masked(t) for t in transcripts)
    differences = [(a, b) for a, b in zip(t4, t5) if a != b]
    assert len(t4) == len(t5) == len(REQUESTS)
    assert not differences, "T5 differs from T4:\n" + "\n".join(f"T4 {a}\nT5 {b}" for a, b in differences)
