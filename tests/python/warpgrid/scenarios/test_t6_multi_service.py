"""T6 end to end: the four-language deployment of test-apps/t6-multi-service against a real
PostgreSQL and Redis, in one host (warpgrid.deployment).

The gateway (Rust) creates a user through the user service (Go, Postgres), queues a
notification in Redis, has the notification service (TypeScript) acknowledge it (which looks
the user up with `fetch`), posts an analytics event to the Bun service (Postgres; it checks the
event's user with `fetch`), and answers with all three. The Go service reports a rejected signup
to the Bun service with net/http's client. A fifth service, the C test guest, traps and hangs on demand: the gateway gets a
500 and a 504 for those calls and keeps serving."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from warpgrid.deployment import Deployment, load_manifest
from warpgrid_testing import localservers
from warpgrid_testing.t6 import PG_PASSWORD, PG_USER, REDIS_PASSWORD, write_deployment


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[localservers.LocalServer, localservers.LocalServer]]:
    pg = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    redis = localservers.redis(REDIS_PASSWORD)
    yield pg, redis
    pg.destroy()
    redis.destroy()


@pytest.fixture(scope="module")
def gateway(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pg, redis = servers
    root = tmp_path_factory.mktemp("t6")
    mp = pytest.MonkeyPatch()
    mp.setenv("WG_T6_PG_PW", PG_PASSWORD)
    mp.setenv("WG_T6_REDIS_PW", REDIS_PASSWORD)
    with Deployment(load_manifest(write_deployment(root, pg.port, redis.port)), cache_dir=root / "cache") as running:
        url = running.services["gateway"].url
        assert url is not None
        yield url
    mp.undo()


def call(base: str, method: str, path: str, body: object = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"content-type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def test_signup_goes_through_all_three_services(gateway: str) -> None:
    status, body = call(gateway, "POST", "/signup", {"name": "Ada", "email": "ada@example.org"})
    assert status == 201, body
    user = body["user"]
    assert user["name"] == "Ada" and user["email"] == "ada@example.org" and user["id"] > 0
    assert body["queued"] == 1
    assert body["notification"]["acknowledged"] == {"user_id": user["id"], "kind": "welcome", "to": "ada@example.org"}
    assert body["notification"]["acked_total"] == 1
    assert body["analytics"]["type"] == "user_created" and body["analytics"]["total"] == 1

    status, body = call(gateway, "POST", "/signup", {"name": "Grace", "email": "grace@example.org"})
    assert status == 201, body
    # a duplicate email: the Go service answers 409 (and reports a signup_rejected event to the
    # Bun service with net/http's client), and the gateway says so
    status, body = call(gateway, "POST", "/signup", {"name": "Ada again", "email": "ada@example.org"})
    assert status == 502 and body["error"].startswith("users answered 409"), body

    status, summary = call(gateway, "GET", "/summary")
    assert status == 200, summary
    assert summary == {
        "users": {"count": 2},
        "notifications": {"pending": 0, "acked": 2},
        "analytics": {"total": 3, "by_type": {"signup_rejected": 1, "user_created": 2}},
    }


def test_the_gateway_routes_by_service_name(gateway: str) -> None:
    status, user = call(gateway, "GET", "/api/users/users/1")
    assert (status, user["name"]) == (200, "Ada")
    status, body = call(gateway, "GET", "/api/users/users/999")
    assert status == 404 and "not found" in body["error"]
    status, body = call(gateway, "GET", "/api/notifications/stats")
    assert status == 200 and set(body) == {"pending", "acked"}
    # the Bun service asks the Go service (fetch) whether an event's user exists
    status, body = call(gateway, "POST", "/api/analytics/events", {"type": "login", "user_id": 999})
    assert (status, body) == (422, {"error": "user 999 does not exist"})
    status, body = call(gateway, "POST", "/api/analytics/events", {"type": "login", "user_id": 1})
    assert status == 201 and body["type"] == "login", body


def test_names_outside_the_allow_list_fail_at_once(gateway: str) -> None:
    status, body = call(gateway, "GET", "/api/cache/x")
    assert status == 502
    assert body["error"].startswith("http-client: not-allowed: cache.t6.warp.local is not in [http_client] allow of ")


def test_a_trapping_then_a_hanging_service_cost_one_call_each(gateway: str) -> None:
    status, body = call(gateway, "GET", "/api/faults/trap")
    assert status == 500 and body["kind"] == "trap", body
    status, body = call(gateway, "GET", "/api/faults/loop")
    assert status == 504 and body["kind"] == "timeout", body
    status, stats = call(gateway, "GET", "/api/analytics/events/stats")
    assert status == 200 and set(stats) == {"total", "by_type"}

