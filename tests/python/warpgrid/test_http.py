"""HTTP trigger with real requests to 127.0.0.1: faults map to 500/504 and never stop the server."""

import http.client
import json
import logging
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from support import warpgrid_cmd

from warpgrid.guest import HttpRequest
from warpgrid.http import HttpTrigger, RequestDispatcher

CONFIG = "[limits]\nmemory_mb = 16\nrequest_timeout_ms = 300\n"


@pytest.fixture
def server(make_engine, http_guest):
    engine = make_engine(CONFIG)
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest))
    trigger = HttpTrigger(dispatcher, "127.0.0.1:0").start()
    yield trigger
    trigger.shutdown()


def request(url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_serves_on_loopback_with_a_free_port(server) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert not server.url.endswith(":0")


def test_echo_request(server) -> None:
    status, headers, body = request(server.url, "POST", "/hello?q=1", b"ping", {"X-Trace": "abc"})
    assert status == 200
    assert body == b"POST /hello?q=1\nping"
    assert headers["x-echo-x-trace"] == "abc"
    assert headers["content-type"] == "text/plain"


@pytest.mark.parametrize(("path", "status", "kind"), [("/trap", 500, "trap"), ("/loop", 504, "timeout"), ("/alloc", 500, "trap")])
def test_faults_return_5xx_with_error_id_and_server_keeps_serving(server, caplog, path, status, kind) -> None:
    with caplog.at_level(logging.ERROR, logger="warpgrid"):
        got, headers, body = request(server.url, "GET", path)
    assert got == status
    payload = json.loads(body)
    assert payload["kind"] == kind
    error_id = payload["error_id"]
    assert headers["x-warpgrid-error-id"] == error_id
    assert any(f"error_id={error_id}" in r.getMessage() for r in caplog.records)
    assert request(server.url, "GET", "/after")[0:3:2] == (200, b"GET /after\n")


def test_concurrent_requests_mixed_with_faults(server) -> None:
    paths = [f"/item/{i}" for i in range(24)] + ["/trap", "/loop", "/alloc"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda p: (p, request(server.url, "POST", p, p.encode())), paths))
    for path, (status, _, body) in results:
        if path.startswith("/item/"):
            assert (status, body) == (200, f"POST {path}\n{path}".encode())
        else:
            assert status in (500, 504)
    stats = server.dispatcher.stats
    assert (stats.served, stats.faults) == (24, 3)


def test_serve_cli_prints_url_and_shuts_down_on_sigterm(http_guest, tmp_path) -> None:
    proc = warpgrid_cmd("serve", str(http_guest), "--listen", "127.0.0.1:0", "--cache-dir", str(tmp_path))
    try:
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"Serving (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        assert request(match.group(1), "GET", "/up")[0] == 200
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "received SIGTERM: shutting down" in err


def test_each_request_gets_a_fresh_instance(make_engine, http_guest) -> None:
    engine = make_engine()
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest))
    assert dispatcher.handle(HttpRequest("GET", "/signals/register")).body == b"registered"
    assert engine.live_instances() == []  # the request's instance is gone
    assert engine.deliver_signal("terminate") == 0
    assert dispatcher.handle(HttpRequest("GET", "/signals/poll")).body == b""


def test_component_needing_a_disabled_shim_gets_502(make_engine, http_guest) -> None:
    engine = make_engine("[shims]\nsignals = false\n")
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest))
    response = dispatcher.handle(HttpRequest("GET", "/"))
    assert response.status == 502
    assert json.loads(response.body)["kind"] == "instantiate"


def test_serve_with_two_workers_answers_and_drains_both(http_guest, tmp_path) -> None:
    proc = warpgrid_cmd("serve", str(http_guest), "--workers", "2", "--listen", "127.0.0.1:0", "--cache-dir", str(tmp_path))
    try:
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"Serving (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: request(match.group(1), "GET", f"/w{i}"), range(32)))
        assert all(r[0] == 200 and r[2] == f"GET /w{i}\n".encode() for i, r in enumerate(results))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "received SIGTERM: shutting down (2 workers)" in err
    served = [int(n) for n in re.findall(r"stopped; served (\d+) requests", err)]
    assert len(served) == 2 and sum(served) == 32, err


def test_serve_with_workers_reports_a_worker_that_cannot_start(tmp_path) -> None:
    proc = warpgrid_cmd("serve", str(tmp_path / "missing.wasm"), "--workers", "2", "--listen", "127.0.0.1:0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "does not exist" in err


def test_body_over_the_wasmtime_copy_budget_is_a_clear_502(make_engine, http_guest) -> None:
    """wasmtime 50's C API cannot lift a list<u8> over ~2.6 MiB (hostcall fuel): the request
    gets a 502 that says so, not a generic trap; a body under the budget round-trips. This test
    guest does not import warpgrid:shim/http-body, so its bodies cross whole, as they did for
    every component before the interface (scenarios/test_large_bodies.py: the SDKs' pieces)."""
    from warpgrid.faults import MAX_LIFTED_BYTES

    engine = make_engine("[limits]\nmemory_mb = 64\n")
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest))
    ok = dispatcher.handle(HttpRequest("POST", "/b", [], b"a" * (2 << 20)))
    assert ok.status == 200 and len(ok.body) == (2 << 20) + len("POST /b\n")
    too_big = dispatcher.handle(HttpRequest("POST", "/b", [], b"a" * (MAX_LIFTED_BYTES + (256 << 10))))
    assert too_big.status == 502
    payload = json.loads(too_big.body)
    assert payload["kind"] == "too-large" and "boundary" in payload["error"]


def test_ready_instances_are_made_ahead_and_each_serves_one_request(make_engine, http_guest) -> None:
    import time

    engine = make_engine()
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest), ready_instances=2)
    try:
        deadline = time.monotonic() + 10
        while len(engine.live_instances()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        ahead = {g.context.instance_id for g in engine.live_instances()}
        assert len(ahead) == 2  # made before any request
        assert dispatcher.handle(HttpRequest("GET", "/signals/register")).body == b"registered"
        # The next request gets another never-used instance: the registration did not leak.
        assert engine.deliver_signal("terminate") == 0
        assert dispatcher.handle(HttpRequest("GET", "/signals/poll")).body == b""
        used = ahead - {g.context.instance_id for g in engine.live_instances()}
        assert len(used) == 2  # both requests took a ready instance, and it is gone
    finally:
        dispatcher.close()
    assert engine.live_instances() == []


def test_a_used_instance_is_deleted_after_its_response_leaves(make_engine, http_guest, monkeypatch) -> None:
    """Deleting a Store (unmapping its memory) happens on a background thread, after `handle`
    returned (inline, each deletion would wait 5 s here and record False)."""
    import threading

    from warpgrid.guest import GuestInstance

    engine = make_engine()
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest), ready_instances=1)
    returned, deleted_after_return = threading.Event(), []
    delete = GuestInstance.close

    def close(guest: GuestInstance) -> None:
        deleted_after_return.append(returned.wait(5))
        delete(guest)

    monkeypatch.setattr(GuestInstance, "close", close)
    try:
        assert dispatcher.handle(HttpRequest("GET", "/x")).status == 200
        returned.set()
    finally:
        dispatcher.close()
    assert deleted_after_return and all(deleted_after_return)


def test_the_background_deletion_backlog_is_bounded(make_engine, http_guest, monkeypatch) -> None:
    """When the deleting thread falls behind (here: it is held), requests delete their own used
    instances past SPENT_BACKLOG, so memory stays bounded under load."""
    import threading

    from warpgrid.guest import GuestInstance
    from warpgrid.http.ready import SPENT_BACKLOG

    engine = make_engine()
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest), ready_instances=1)
    held, inline = threading.Event(), []
    delete = GuestInstance.close

    def close(guest: GuestInstance) -> None:
        if threading.current_thread().name == "warpgrid-spent":
            held.wait(10)
        else:
            inline.append(guest)
        delete(guest)

    monkeypatch.setattr(GuestInstance, "close", close)
    try:
        for _ in range(SPENT_BACKLOG + 4):
            assert dispatcher.handle(HttpRequest("GET", "/x")).status == 200
        assert len(inline) >= 3  # one may be held by the thread, SPENT_BACKLOG wait, the rest inline
    finally:
        held.set()
        dispatcher.close()


def test_ready_instances_get_the_warmup_request_first(make_engine, http_guest) -> None:
    import time

    engine = make_engine()
    warmup = HttpRequest("GET", "/signals/register")
    dispatcher = RequestDispatcher(engine, engine.load_component(http_guest), ready_instances=1, warmup=warmup)
    try:
        deadline = time.monotonic() + 10
        while engine.deliver_signal("hangup") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # the ready instance registered its signals: the warm-up ran
        assert dispatcher.handle(HttpRequest("GET", "/signals/poll")).body.startswith(b"hangup")
    finally:
        dispatcher.close()
