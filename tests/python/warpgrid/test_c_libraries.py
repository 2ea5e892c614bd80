"""Real C client libraries, unmodified, through the patched wasi-libc and the database proxy.

test-apps/c-libpq-client links libpq (PostgreSQL 15, pin `postgresql`) and
test-apps/c-hiredis-client links hiredis (pin `hiredis`), both built for wasm32-wasi by
build_c_library.sh against the patched sysroot. Each runs under the real host against a real
server started on 127.0.0.1; the checks read what reached the server, not only what the guest
printed.

The components arrive like every other guest: under `./pants test` through
runtime_package_dependencies at `test-apps.<app>/wasm.wasm`; by hand, from dist/ after
`./pants package test-apps/c-libpq-client:wasm test-apps/c-hiredis-client:wasm`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from guests import GuestMissing

from warpgrid.config import WarpConfig
from warpgrid.engine import WarpGridEngine
from warpgrid_testing import localservers

PG_USER, PG_PASSWORD = "app", "libpq-Secret-7"
REDIS_PASSWORD = "hiredis-Secret-5"


def _app_component(app: str) -> Path:
    candidates = [Path(root) / f"test-apps.{app}" / "wasm.wasm" for root in (".", "dist")]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    raise GuestMissing(f"{app} component not found (looked in {', '.join(map(str, candidates))}): "
                       f"run `./pants package test-apps/{app}:wasm` first")


def _run(config: dict, tmp_path: Path, component: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    engine = WarpGridEngine(WarpConfig.model_validate(config), cache_dir=tmp_path / "cache")
    try:
        out = bytearray()
        guest = engine.instantiate(engine.load_component(component), argv=[component.stem], env=env,
                                   stdout=out.extend)
        code = guest.run(timeout_ms=60_000)
    finally:
        engine.close()
    return code, out.decode().splitlines()


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


def test_libpq_client_queries_postgres_through_the_proxy(
    pg_server: localservers.LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WG_LIBPQ_PW", PG_PASSWORD)
    port = pg_server.port
    config = {
        "shims": {"filesystem": True, "dns": True, "database_proxy": True},
        "dns": {"registry": {"db.production.warp.local": ["127.0.0.1"]}},
        "database": {"endpoints": {"app": {
            "protocol": "postgres", "host": "db.production.warp.local", "port": port,
            "database": "app", "user": PG_USER, "password_env": "WG_LIBPQ_PW",
        }}},
    }
    code, lines = _run(config, tmp_path, _app_component("c-libpq-client"),
                       {"PGPORT": str(port), "WARPGRID_DB_PORTS": f"{port}=postgres"})
    text = "\n".join(lines)
    assert code == 0, text
    assert lines[0].startswith("ok connect: server 15"), text  # PostgreSQL 15.x, e.g. 150018
    for expected in ("ok parameterised select: owner bob; DROP TABLE accounts balance 50",
                     "ok transaction committed: alice=70,bob=80",
                     "ok error inside transaction: 22012",
                     "ok transaction rolled back: alice=70,bob=80",
                     "ok large result: 5000 rows"):
        assert expected in lines, text
    assert lines[-1] == "PASSED", text


def test_libpq_client_is_refused_an_endpoint_warp_toml_does_not_allow(
    pg_server: localservers.LocalServer, tmp_path: Path
) -> None:
    """No endpoint for the name: libpq reports the proxy's refusal as a connection error."""
    port = pg_server.port
    config = {
        "shims": {"filesystem": True, "dns": True, "database_proxy": True},
        "dns": {"registry": {"db.production.warp.local": ["127.0.0.1"]}},
    }
    code, lines = _run(config, tmp_path, _app_component("c-libpq-client"),
                       {"PGPORT": str(port), "WARPGRID_DB_PORTS": f"{port}=postgres"})
    assert code != 0
    assert lines and lines[0].startswith("FAIL connect:") and "refused" in lines[0].lower(), "\n".join(lines)


def test_hiredis_client_talks_to_redis_through_the_proxy(
    redis_server: localservers.LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WG_HIREDIS_PW", REDIS_PASSWORD)
    port = redis_server.port
    direct = redis.Redis(host="127.0.0.1", port=port, password=REDIS_PASSWORD)
    direct.delete("greeting", "visits", "queue", "blob")
    config = {
        "shims": {"filesystem": True, "dns": True, "database_proxy": True},
        "dns": {"registry": {"cache.production.warp.local": ["127.0.0.1"]}},
        "database": {"endpoints": {"cache": {
            "protocol": "redis", "host": "cache.production.warp.local", "port": port,
            "password_env": "WG_HIREDIS_PW",
        }}},
    }
    code, lines = _run(config, tmp_path, _app_component("c-hiredis-client"),
                       {"REDIS_PORT": str(port), "WARPGRID_DB_PORTS": f"{port}=redis"})
    text = "\n".join(lines)
    assert code == 0, text
    for expected in ("ok GET: hello from hiredis in wasm", "ok INCR: 3", "ok binary value: 5 bytes",
                     "ok pipeline: 100 RPUSH + LRANGE of 100 items"):
        assert expected in lines, text
    assert lines[-1] == "PASSED", text
    # What the guest wrote is in the real server.
    assert direct.get("greeting") == b"hello from hiredis in wasm"
    assert direct.get("visits") == b"3"
    assert direct.get("blob") == b"a\0b\nc"
    assert direct.lrange("queue", 0, -1) == [f"item-{i}".encode() for i in range(100)]
    direct.close()
