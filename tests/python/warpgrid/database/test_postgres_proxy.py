"""pg8000, unchanged, through the proxy against a real PostgreSQL 15."""

from __future__ import annotations

import struct

import pg8000.native
import pytest

from warpgrid.shims.database.errors import Closed, ConnectionRefused, PoolExhausted, ProtocolError, Timeout
from warpgrid.shims.database.handles import HandleTable
from warpgrid.shims.database.postgres import PROTOCOL_3_0, SSL_REQUEST



def _backend_pid(conn: pg8000.native.Connection) -> int:
    return conn.run("SELECT pg_backend_pid()")[0][0]


def _open_sessions(db, pg_server, user: str = "appuser") -> int:
    direct = db.pg_direct(pg_server, "postgres")
    try:
        return direct.run("SELECT count(*) FROM pg_stat_activity WHERE usename = :u AND datname = 'app'", u=user)[0][0]
    finally:
        direct.close()


def test_scram_login_and_query(pg_proxy, pg_server, db):
    conn = db.pg_connect(pg_proxy, HandleTable(), pg_server.port)
    assert conn.run("SELECT current_user, 40 + 2") == [["appuser", 42]]
    # ParameterStatus replayed to the guest on the host-answered startup.
    assert conn.parameter_statuses["server_version"].startswith("15")
    assert conn.parameter_statuses["client_encoding"] == "UTF8"
    conn.close()


def test_md5_login_over_verified_tls(pg_server, secrets, db):
    proxy = db.make_proxy({"md5": db.pg_endpoint(pg_server, user="md5user", password_env="WG_PG_MD5_PW", host="localhost",
                                           tls=True, tls_ca_file=str(pg_server.extra["ca_file"]))})
    try:
        conn = pg_connect_host(proxy, "localhost", pg_server.port)
        assert conn.run("SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [["md5user", True]]
        conn.close()
    finally:
        proxy.shutdown(timeout=1)


def pg_connect_host(proxy, host, port):
    from warpgrid_testing.proxysocket import ProxySocket

    sock = ProxySocket.connect(proxy, HandleTable(), "postgres", host, port, "app")
    return pg8000.native.Connection("guest", sock=sock)


def test_tls_verification_failure_is_connection_refused(pg_server, secrets, db):
    # No CA file: the self-signed server certificate must not verify.
    proxy = db.make_proxy({"app": db.pg_endpoint(pg_server, tls=True)})
    try:
        with pytest.raises(ConnectionRefused, match="TLS"):
            proxy.connect(HandleTable(), "postgres", "127.0.0.1", pg_server.port, "app")
        assert proxy.metrics()[0].errors == 1
    finally:
        proxy.shutdown(timeout=1)


def test_tls_without_verification(pg_server, secrets, db):
    proxy = db.make_proxy({"app": db.pg_endpoint(pg_server, tls=True, tls_verify=False)})
    try:
        conn = db.pg_connect(proxy, HandleTable(), pg_server.port)
        assert conn.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [[True]]
        conn.close()
    finally:
        proxy.shutdown(timeout=1)


def test_wrong_host_password_is_refused_and_logged(pg_server, monkeypatch, caplog, db):
    monkeypatch.setenv("WG_PG_PW", "not-the-password")
    proxy = db.make_proxy({"app": db.pg_endpoint(pg_server)})
    try:
        with pytest.raises(ConnectionRefused, match="password authentication failed"):
            proxy.connect(HandleTable(), "postgres", "127.0.0.1", pg_server.port)
        assert "endpoint 'app'" in caplog.text
    finally:
        proxy.shutdown(timeout=1)


def test_missing_password_env_names_the_variable(pg_server, monkeypatch, db):
    monkeypatch.delenv("WG_PG_PW", raising=False)
    proxy = db.make_proxy({"app": db.pg_endpoint(pg_server)})
    try:
        with pytest.raises(ConnectionRefused, match=r"endpoints\.app\] password_env: .*WG_PG_PW"):
            proxy.connect(HandleTable(), "postgres", "127.0.0.1", pg_server.port)
    finally:
        proxy.shutdown(timeout=1)


def test_ssl_request_answered_n_and_password_never_reaches_guest(pg_proxy, pg_server, db):
    handles = HandleTable()
    h = pg_proxy.connect(handles, "postgres", "127.0.0.1", pg_server.port, "app")
    pg_proxy.send(handles, h, struct.pack("!II", 8, SSL_REQUEST))
    assert pg_proxy.recv(handles, h, 100) == b"N"
    params = b"user\0someone\0database\0app\0\0"
    pg_proxy.send(handles, h, struct.pack("!II", len(params) + 8, PROTOCOL_3_0) + params)
    seen = pg_proxy.recv(handles, h, 65536)
    assert seen[:9] == b"R\0\0\0\x08\0\0\0\0"  # AuthenticationOk, no password exchange
    assert seen.endswith(b"Z\0\0\0\x05I")
    assert db.PG_USERS["appuser"].encode() not in seen
    assert b"SCRAM" not in seen
    pg_proxy.close(handles, h)


def test_connection_is_reused_and_terminate_intercepted(pg_proxy, pg_server, db):
    handles = HandleTable()
    first = db.pg_connect(pg_proxy, handles, pg_server.port)
    pid = _backend_pid(first)
    first.close()  # sends Terminate: the host keeps the TCP connection
    second = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert _backend_pid(second) == pid
    second.close()
    m = pg_proxy.metrics()[0]
    assert (m.created, m.idle, m.in_use, m.discarded) == (1, 1, 0, 0)


def test_no_session_state_leaks_to_next_guest(pg_proxy, pg_server, db):
    handles = HandleTable()
    a = db.pg_connect(pg_proxy, handles, pg_server.port, application_name="guest-a")
    pid = _backend_pid(a)
    assert a.run("SHOW application_name") == [["guest-a"]]
    a.run("SET search_path = leaked")
    a.run("SET statement_timeout = '1234s'")
    a.run("CREATE TEMP TABLE scratch (x int)")
    a.run("PREPARE leaked_stmt AS SELECT 1")
    a.run("LISTEN leaked_channel")
    a.close()

    b = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert _backend_pid(b) == pid  # same server session, reset in between
    assert b.run("SHOW search_path") == [['"$user", public']]
    assert b.run("SHOW statement_timeout") == [["0"]]
    assert b.run("SHOW application_name") == [["warpgrid-proxy"]]
    assert b.run("SELECT count(*) FROM pg_class WHERE relname = 'scratch' AND relpersistence = 't'") == [[0]]
    assert b.run("SELECT count(*) FROM pg_prepared_statements") == [[0]]
    assert b.run("SELECT count(*) FROM pg_listening_channels()") == [[0]]
    assert b.parameter_statuses["application_name"] == "warpgrid-proxy"
    b.close()


def test_guest_dying_mid_transaction_leaves_nothing_open(pg_proxy, pg_server, db):
    handles = HandleTable()
    setup = db.pg_connect(pg_proxy, handles, pg_server.port)
    setup.run("CREATE TABLE IF NOT EXISTS dying (v text)")
    setup.run("TRUNCATE dying")
    setup.close()

    victim_handles = HandleTable()
    victim = db.pg_connect(pg_proxy, victim_handles, pg_server.port)
    victim.run("BEGIN")
    victim.run("INSERT INTO dying VALUES ('uncommitted')")
    victim_handles.release_all()  # the instance is gone without closing anything

    nxt = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert nxt.run("SELECT count(*) FROM dying") == [[0]]
    assert nxt.run("SELECT now() = statement_timestamp()") == [[True]]  # not inside a transaction
    nxt.close()


def test_close_inside_transaction_rolls_back_before_reuse(pg_proxy, pg_server, db):
    handles = HandleTable()
    a = db.pg_connect(pg_proxy, handles, pg_server.port)
    pid = _backend_pid(a)
    a.run("CREATE TABLE IF NOT EXISTS half (v int)")
    a.run("BEGIN")
    a.run("INSERT INTO half VALUES (1)")
    with pytest.raises(pg8000.native.DatabaseError):
        a.run("SELECT 1/0")  # transaction now in failed state ('E')
    a.close()
    b = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert _backend_pid(b) == pid
    assert b.run("SELECT count(*) FROM half") == [[0]]
    b.close()


def test_close_with_reply_in_flight_discards_connection(pg_proxy, pg_server, db):
    handles = HandleTable()
    h = pg_proxy.connect(handles, "postgres", "127.0.0.1", pg_server.port)
    params = b"user\0x\0\0"
    pg_proxy.send(handles, h, struct.pack("!II", len(params) + 8, PROTOCOL_3_0) + params)
    pg_proxy.recv(handles, h, 65536)
    pg_proxy.send(handles, h, db.simple_query("SELECT 1; BEGIN"))
    pg_proxy.close(handles, h)  # never read the reply
    m = pg_proxy.metrics()[0]
    assert (m.discarded, m.idle) == (1, 0)
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert conn.run("SELECT 1") == [[1]]
    conn.close()


def test_malformed_guest_bytes_are_protocol_error_and_discard(pg_proxy, pg_server, db):
    handles = HandleTable()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    pid = _backend_pid(conn)
    handle = conn._usock.handle
    with pytest.raises(ProtocolError):
        pg_proxy.send(handles, handle, b"\x99\x00\x00\x00\x02garbage")
    with pytest.raises(Closed):
        pg_proxy.send(handles, handle, b"Q\0\0\0\x0dSELECT 1\0")
    m = pg_proxy.metrics()[0]
    assert (m.discarded, m.errors, m.idle, m.in_use) == (1, 1, 0, 0)
    fresh = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert _backend_pid(fresh) != pid
    fresh.close()


def test_malformed_startup_is_protocol_error(pg_proxy, pg_server):
    handles = HandleTable()
    h = pg_proxy.connect(handles, "postgres", "127.0.0.1", pg_server.port)
    with pytest.raises(ProtocolError):
        pg_proxy.send(handles, h, struct.pack("!II", 12, 12345678) + b"abcd")


def test_other_database_in_startup_gets_fatal_error(pg_proxy, pg_server):
    sock_handles = HandleTable()
    from warpgrid_testing.proxysocket import ProxySocket

    sock = ProxySocket.connect(pg_proxy, sock_handles, "postgres", "127.0.0.1", pg_server.port)
    with pytest.raises(pg8000.native.DatabaseError, match="not reachable through this connection"):
        pg8000.native.Connection("guest", sock=sock, database="postgres")
    sock.close()
    assert pg_proxy.metrics()[0].idle == 1  # untouched connection goes back to the pool


def test_endpoint_not_in_warp_toml_is_refused(pg_proxy, pg_server):
    with pytest.raises(ConnectionRefused, match="not an allowed endpoint"):
        pg_proxy.connect(HandleTable(), "postgres", "127.0.0.1", pg_server.port + 1)
    with pytest.raises(ConnectionRefused):
        pg_proxy.connect(HandleTable(), "postgres", "127.0.0.1", pg_server.port, "postgres")
    with pytest.raises(ConnectionRefused):
        pg_proxy.connect(HandleTable(), "mysql", "127.0.0.1", pg_server.port)


def test_handles_belong_to_one_instance(pg_proxy, pg_server, db):
    mine, theirs = HandleTable(), HandleTable()
    conn = db.pg_connect(pg_proxy, mine, pg_server.port)
    handle = conn._usock.handle
    with pytest.raises(Closed):
        pg_proxy.send(theirs, handle, b"Q\0\0\0\x0dSELECT 1\0")
    with pytest.raises(Closed):
        pg_proxy.recv(theirs, handle, 10)
    pg_proxy.close(theirs, handle)  # ignored: not theirs
    assert conn.run("SELECT 1") == [[1]]
    conn.close()


def test_pool_exhaustion(pg_proxy, pg_server, db):
    handles = HandleTable()
    held = [db.pg_connect(pg_proxy, handles, pg_server.port) for _ in range(3)]
    with pytest.raises(PoolExhausted, match="raise pool_size"):
        pg_proxy.connect(handles, "postgres", "127.0.0.1", pg_server.port)
    m = pg_proxy.metrics()[0]
    assert (m.in_use, m.waits, m.exhausted) == (3, 1, 1)
    held[0].close()
    again = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert again.run("SELECT 1") == [[1]]
    for c in [again] + held[1:]:
        c.close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_slow_server_times_out_and_connection_is_not_reused(pg_server, secrets, db, tls):
    extra = {"tls": True, "tls_ca_file": str(pg_server.extra["ca_file"])} if tls else {}
    proxy = db.make_proxy({"app": db.pg_endpoint(pg_server, **extra)}, recv_timeout=0.3)
    try:
        handles = HandleTable()
        conn = db.pg_connect(proxy, handles, pg_server.port)
        handle = conn._usock.handle
        proxy.send(handles, handle, db.simple_query("SELECT pg_sleep(2)"))
        with pytest.raises(Timeout):
            proxy.recv(handles, handle, 65536)
        proxy.close(handles, handle)
        m = proxy.metrics()[0]
        assert (m.discarded, m.idle) == (1, 0)
    finally:
        proxy.shutdown(timeout=1)


def test_database_restart_while_pooled_reconnects(pg_proxy, pg_server, db):
    handles = HandleTable()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    old_pid = _backend_pid(conn)
    conn.close()
    assert pg_proxy.metrics()[0].idle == 1
    pg_server.stop()
    pg_server.start()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert _backend_pid(conn) != old_pid
    conn.close()
    m = pg_proxy.metrics()[0]
    assert (m.created, m.discarded) == (2, 1)


def test_idle_connections_close_after_idle_timeout(pg_proxy, pg_server, clock, db):
    handles = HandleTable()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    conn.close()
    assert _open_sessions(db, pg_server) == 1
    clock.now += 59
    assert pg_proxy.reap_idle() == 0
    clock.now += 1
    assert pg_proxy.reap_idle() == 1
    m = pg_proxy.metrics()[0]
    assert (m.idle, m.reaped) == (0, 1)


def test_health_check_pings_long_idle_connection(pg_proxy, pg_server, clock, db):
    handles = HandleTable()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    pid = _backend_pid(conn)
    conn.close()
    clock.now += 45  # past health_check_after (30 s), before idle_timeout (60 s)
    direct = db.pg_direct(pg_server, "postgres")
    direct.run("SELECT pg_terminate_backend(:p)", p=pid)
    direct.close()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert _backend_pid(conn) != pid
    conn.close()


def test_drain_on_shutdown(pg_proxy, pg_server, db):
    handles = HandleTable()
    a = db.pg_connect(pg_proxy, handles, pg_server.port)
    b = db.pg_connect(pg_proxy, handles, pg_server.port)
    a.close()
    b.close()
    assert _open_sessions(db, pg_server) == 2
    pg_proxy.shutdown(timeout=1)
    with pytest.raises(Closed, match="draining"):
        pg_proxy.connect(handles, "postgres", "127.0.0.1", pg_server.port)
    assert pg_proxy.metrics()[0].idle == 0
    import time

    for _ in range(50):  # the server notices the closed sockets asynchronously
        if _open_sessions(db, pg_server) == 0:
            break
        time.sleep(0.05)
    assert _open_sessions(db, pg_server) == 0


def test_extended_protocol_and_errors_pass_through(pg_proxy, pg_server, db):
    handles = HandleTable()
    conn = db.pg_connect(pg_proxy, handles, pg_server.port)
    assert conn.run("SELECT :a::int + :b::int", a=2, b=3) == [[5]]
    with pytest.raises(pg8000.native.DatabaseError, match="division by zero"):
        conn.run("SELECT 1/0")
    assert conn.run("SELECT repeat('x', 200000)")[0][0] == "x" * 200000
    conn.close()
    assert pg_proxy.metrics()[0].idle == 1


def test_md5_password_file(pg_server, tmp_path, db):
    secret = tmp_path / "pw"
    secret.write_text(db.PG_MD5_USERS["md5user"] + "\n")
    proxy = db.make_proxy({"md5": db.pg_endpoint(pg_server, user="md5user", password_env=None, password_file=str(secret))})
    try:
        conn = db.pg_connect(proxy, HandleTable(), pg_server.port)
        assert conn.run("SELECT current_user") == [["md5user"]]
        conn.close()
    finally:
        proxy.shutdown(timeout=1)


def test_endpoint_host_names_resolve_through_the_dns_shim(pg_server, secrets, db):
    from warpgrid.shims.database.config import DatabaseConfig
    from warpgrid.shims.database.proxy import DatabaseProxy

    asked: list[str] = []

    def resolver(name: str) -> list[str]:  # stands in for the DNS shim's registry lookup
        asked.append(name)
        return ["127.0.0.1"] if name == "pg.prod.warp.local" else []

    cfg = DatabaseConfig.model_validate({"endpoints": {"app": db.pg_endpoint(pg_server, host="pg.prod.warp.local")}})
    proxy = DatabaseProxy(cfg, resolver=resolver)
    try:
        from warpgrid_testing.proxysocket import ProxySocket

        sock = ProxySocket.connect(proxy, HandleTable(), "postgres", "PG.prod.warp.local", pg_server.port)
        conn = pg8000.native.Connection("guest", sock=sock)
        assert conn.run("SELECT inet_server_addr()::text") == [["127.0.0.1/32"]]
        conn.close()
        assert asked == ["pg.prod.warp.local"]
    finally:
        proxy.shutdown(timeout=1)



def test_bad_startup_parameter_is_a_fatal_error_for_the_guest(pg_proxy, pg_server):
    from warpgrid_testing.proxysocket import ProxySocket

    sock = ProxySocket.connect(pg_proxy, HandleTable(), "postgres", "127.0.0.1", pg_server.port)
    with pytest.raises(pg8000.native.DatabaseError, match="invalid startup parameter"):
        pg8000.native.Connection("guest", sock=sock, startup_params={"no_such_setting": "1"})
    sock.close()
    m = pg_proxy.metrics()[0]
    assert m.in_use == 0


def test_guest_may_name_an_allowed_endpoint_by_its_address(pg_server, secrets, db):
    # The patched libc passes the address text when a program connected to a bare IP.
    proxy = db.make_proxy({"app": db.pg_endpoint(pg_server, host="localhost")})
    try:
        handles = HandleTable()
        proxy.close(handles, proxy.connect(handles, "postgres", "127.0.0.1", pg_server.port))
        with pytest.raises(ConnectionRefused, match="not an allowed endpoint"):
            proxy.connect(handles, "postgres", "127.0.0.2", pg_server.port)
    finally:
        proxy.shutdown(timeout=1)


def test_guest_may_name_an_endpoint_configured_by_address_by_its_registry_name(pg_server, secrets, db):
    """test-apps/c-postgres-client as shipped: the endpoint is 127.0.0.1, the guest's PGHOST is
    db.production.warp.local, a registry name for 127.0.0.1."""
    from warpgrid.shims.dns import Resolver

    resolver = Resolver({"db.production.warp.local": ["127.0.0.1"], "other.production.warp.local": ["10.9.9.9"]}, {}, 30)
    cfg_proxy = db.make_proxy({"app": db.pg_endpoint(pg_server, host="127.0.0.1")})
    proxy = type(cfg_proxy)(cfg_proxy.config, resolver=resolver.resolve)
    cfg_proxy.shutdown(timeout=1)
    try:
        handles = HandleTable()
        proxy.close(handles, proxy.connect(handles, "postgres", "db.production.warp.local", pg_server.port))
        with pytest.raises(ConnectionRefused, match="not an allowed endpoint"):
            proxy.connect(handles, "postgres", "other.production.warp.local", pg_server.port)
        with pytest.raises(ConnectionRefused, match="not an allowed endpoint"):
            proxy.connect(handles, "postgres", "no-such-name.invalid", pg_server.port)
    finally:
        proxy.shutdown(timeout=1)
        resolver.close()
