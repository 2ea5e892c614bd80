"""Real PostgreSQL 15, MariaDB and Redis servers on 127.0.0.1 for the database-proxy tests.

Servers are session-scoped (started once, stopped at the end, and killed with the test
process via PR_SET_PDEATHSIG). Each test gets a fresh DatabaseProxy, so pools and
metrics never carry over between tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pg8000.native
import pymysql
import pytest
import redis

from warpgrid_testing import localservers
from warpgrid_testing.proxysocket import ProxySocket
from warpgrid.shims.database.config import DatabaseConfig
from warpgrid.shims.database.handles import HandleTable
from warpgrid.shims.database.proxy import DatabaseProxy

PG_USERS = {"appuser": "app-Secret-1"}
PG_MD5_USERS = {"md5user": "md5-Secret-2"}
MY_USER, MY_PASSWORD = "appuser", "my-Secret-3"
REDIS_PASSWORD = "redis-Secret-4"


def _need(binary: str) -> None:
    if not (localservers.find(binary) or Path(binary).exists()):
        pytest.fail(f"{binary} is not installed; the database tests need the Debian packages "
                    "postgresql-15, mariadb-server and redis-server")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[localservers.LocalServer]:
    _need(str(localservers.PG_BIN / "postgres"))
    server = localservers.postgres(PG_USERS, PG_MD5_USERS, tls=True)
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[localservers.LocalServer]:
    _need("mariadbd")
    server = localservers.mariadb(MY_USER, MY_PASSWORD)
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[localservers.LocalServer]:
    _need("redis-server")
    server = localservers.redis(REDIS_PASSWORD)
    yield server
    server.destroy()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WG_PG_PW", PG_USERS["appuser"])
    monkeypatch.setenv("WG_PG_MD5_PW", PG_MD5_USERS["md5user"])
    monkeypatch.setenv("WG_MY_PW", MY_PASSWORD)
    monkeypatch.setenv("WG_REDIS_PW", REDIS_PASSWORD)


class FakeClock:
    """Idle expiry without sleeping: tests move time forward explicitly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pg_endpoint(server, **over) -> dict:
    ep = {"protocol": "postgres", "host": "127.0.0.1", "port": server.port, "database": "app",
          "user": "appuser", "password_env": "WG_PG_PW"}
    ep.update(over)
    return ep


def make_proxy(endpoints: dict, clock=None, **settings) -> DatabaseProxy:
    cfg = DatabaseConfig.model_validate({"endpoints": endpoints, **settings})
    return DatabaseProxy(cfg, clock=clock) if clock else DatabaseProxy(cfg)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pg_proxy(pg_server, secrets, clock) -> Iterator[DatabaseProxy]:
    proxy = make_proxy({"app": pg_endpoint(pg_server)}, clock=clock, checkout_timeout=0.3, pool_size=3)
    yield proxy
    proxy.shutdown(timeout=1)


@pytest.fixture
def my_proxy(mariadb_server, secrets) -> Iterator[DatabaseProxy]:
    proxy = make_proxy({"my": {"protocol": "mysql", "host": "127.0.0.1", "port": mariadb_server.port,
                               "database": "app", "user": MY_USER, "password_env": "WG_MY_PW"}},
                       checkout_timeout=0.3, pool_size=2)
    yield proxy
    proxy.shutdown(timeout=1)


@pytest.fixture
def redis_proxy(redis_server, secrets) -> Iterator[DatabaseProxy]:
    proxy = make_proxy({"cache": {"protocol": "redis", "host": "127.0.0.1", "port": redis_server.port,
                                  "database": "3", "password_env": "WG_REDIS_PW"}},
                       checkout_timeout=0.3, pool_size=2)
    yield proxy
    proxy.shutdown(timeout=1)


# -- drivers over the proxy -----------------------------------------------------------------------


def pg_connect(proxy: DatabaseProxy, handles: HandleTable, port: int, **kw) -> pg8000.native.Connection:
    sock = ProxySocket.connect(proxy, handles, "postgres", "127.0.0.1", port, "app")
    return pg8000.native.Connection("guest-user-ignored", sock=sock, **kw)


def pg_direct(server, database: str = "app") -> pg8000.native.Connection:
    return pg8000.native.Connection("appuser", password=PG_USERS["appuser"], host="127.0.0.1",
                                    port=server.port, database=database)


def my_connect(proxy: DatabaseProxy, handles: HandleTable, port: int, database: str | None = "app",
               **kw) -> pymysql.Connection:
    sock = ProxySocket.connect(proxy, handles, "mysql", "127.0.0.1", port)
    conn = pymysql.connect(host="proxied", user="guest", password="", database=database,
                           defer_connect=True, autocommit=True, **kw)
    conn.connect(sock=sock)
    return conn


def redis_connect(proxy: DatabaseProxy, handles: HandleTable, port: int, **kw) -> redis.Redis:
    class ProxiedConnection(redis.Connection):
        def _connect(self):
            return ProxySocket.connect(proxy, handles, "redis", "127.0.0.1", port)

    pool = redis.ConnectionPool(connection_class=ProxiedConnection, **kw)
    return redis.Redis(connection_pool=pool)


def simple_query(sql: str) -> bytes:
    """A raw Postgres simple-query message, for tests that speak the wire protocol by hand."""
    body = sql.encode() + b"\0"
    return b"Q" + len(body).__add__(4).to_bytes(4, "big") + body


class Helpers:
    """What the test modules need from here, as one fixture (no imports between test files)."""

    PG_USERS = PG_USERS
    PG_MD5_USERS = PG_MD5_USERS
    MY_USER, MY_PASSWORD, REDIS_PASSWORD = MY_USER, MY_PASSWORD, REDIS_PASSWORD
    pg_endpoint = staticmethod(pg_endpoint)
    make_proxy = staticmethod(make_proxy)
    pg_connect = staticmethod(pg_connect)
    pg_direct = staticmethod(pg_direct)
    my_connect = staticmethod(my_connect)
    redis_connect = staticmethod(redis_connect)
    simple_query = staticmethod(simple_query)


@pytest.fixture
def db() -> type[Helpers]:
    return Helpers


@pytest.fixture(autouse=True)
def _no_proxy_env_leak() -> None:
    # Drivers must not pick up a real server from the environment.
    for var in ("PGHOST", "PGPORT", "PGPASSWORD"):
        os.environ.pop(var, None)
