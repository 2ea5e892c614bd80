"""Bodies up to [http] max_body_bytes cross the host/guest boundary (warpgrid:shim/http-body).

wasmtime's C API cannot lift one `list<u8>` above ~2.6 MiB (hostcall fuel) and lifts it byte by
byte, so the records carry at most 4 KiB and the rest crosses as base64 pieces of up to 1 MiB. These tests send real requests over loopback
to the HTTP server, echoed by the C SDK's glue (test-apps/c-http-hello), the TS SDK's `serve` (test-apps/ts-http-handler,
hono) and the Rust SDK's `serve` (test-apps/rust-http-postgres, axum), at the sizes where the
pieces begin and at the limit. The Go SDK's case is in test_go_t3.py (the Go target).
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from warpgrid.config import parse_config
from warpgrid.engine import WarpGridEngine
from warpgrid.http import HttpTrigger, RequestDispatcher
from warpgrid.http.messages import HttpRequest

MiB = 1 << 20
LIMIT = 8 * MiB
C_HELLO = Path("test-apps.c-http-hello/wasm.wasm")
TS_HONO = Path("test-apps.ts-http-handler/wasm.wasm")
RUST_AXUM = Path("test-apps.rust-http-postgres/wasm.wasm")
CONFIG = f"""
[shims]
database_proxy = true
[limits]
memory_mb = 256
request_timeout_ms = 60000
[http]
max_body_bytes = {LIMIT}
"""


@pytest.fixture(params=[C_HELLO, TS_HONO, RUST_AXUM], ids=["c", "ts", "rust"])
def served(request, tmp_path) -> Iterator[tuple[HttpTrigger, RequestDispatcher]]:
    engine = WarpGridEngine(parse_config(CONFIG), cache_dir=tmp_path / "cache")
    dispatcher = RequestDispatcher(engine, engine.load_component(request.param))
    trigger = HttpTrigger(dispatcher, "127.0.0.1:0", max_body=LIMIT).start()
    try:
        yield trigger, dispatcher
    finally:
        trigger.shutdown()
        engine.close()


def post(trigger: HttpTrigger, path: str, body: bytes) -> tuple[int, bytes]:
    host, port = trigger.sock.getsockname()[:2]
    conn = http.client.HTTPConnection(host, port, timeout=120)
    try:
        conn.request("POST", path, body=body, headers={"content-type": "application/octet-stream"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def ascii_body(size: int) -> bytes:
    """Printable bytes: the hono echo answers `text()`, which must not rewrite them."""
    return bytes(33 + b % 94 for b in os.urandom(size))


@pytest.mark.parametrize("size", [4095, 4096, 4097, MiB + 4096 + 1, 3 * MiB, LIMIT], ids=lambda s: f"{s}B")
def test_echo_round_trips_bodies_up_to_max_body_bytes(served, size) -> None:
    trigger, _ = served
    body = ascii_body(size)
    status, echoed = post(trigger, "/echo", body)
    assert status == 200, echoed[:300]
    assert len(echoed) == size and echoed == body


def test_a_response_over_max_body_bytes_is_a_502_naming_the_limit(served, caplog) -> None:
    """Called through the dispatcher: the server itself answers 413 to a request body over the
    limit before any guest runs, so only a direct call makes the echo write too much."""
    _, dispatcher = served
    response = dispatcher.handle(HttpRequest("POST", "/echo", [], b"x" * (LIMIT + 1)))
    assert response.status == 502
    assert json.loads(response.body)["kind"] == "too-large"
    assert f"max_body_bytes = {LIMIT}" in caplog.text
