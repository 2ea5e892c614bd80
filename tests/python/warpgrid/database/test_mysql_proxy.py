"""PyMySQL, unchanged, through the proxy against a real MariaDB."""

from __future__ import annotations

import pymysql
import pytest

from warpgrid.shims.database.errors import Closed, PoolExhausted, ProtocolError
from warpgrid.shims.database.handles import HandleTable


def _one(conn: pymysql.Connection, sql: str, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_greeting_login_and_queries(my_proxy, mariadb_server, db):
    conn = db.my_connect(my_proxy, HandleTable(), mariadb_server.port)
    assert _one(conn, "SELECT CURRENT_USER(), DATABASE(), 6 * 7") == (("appuser@%", "app", 42),)
    assert "MariaDB" in conn.get_server_info()
    assert _one(conn, "SELECT 1 UNION SELECT 2") == ((1,), (2,))
    with pytest.raises(pymysql.err.ProgrammingError):
        _one(conn, "SELECT * FROM no_such_table")
    assert _one(conn, "SELECT %s", ("after error",)) == (("after error",),)
    big = _one(conn, "SELECT REPEAT('y', 300000)")[0][0]
    assert big == "y" * 300000
    conn.close()


def test_com_quit_intercepted_and_connection_reused(my_proxy, mariadb_server, db):
    handles = HandleTable()
    a = db.my_connect(my_proxy, handles, mariadb_server.port)
    cid = _one(a, "SELECT CONNECTION_ID()")[0][0]
    a.close()  # COM_QUIT stays on the host
    b = db.my_connect(my_proxy, handles, mariadb_server.port)
    assert _one(b, "SELECT CONNECTION_ID()")[0][0] == cid
    b.close()
    m = my_proxy.metrics()[0]
    assert (m.created, m.idle, m.discarded) == (1, 1, 0)


def test_no_session_state_leaks_to_next_guest(my_proxy, mariadb_server, db):
    handles = HandleTable()
    a = db.my_connect(my_proxy, handles, mariadb_server.port)
    cid = _one(a, "SELECT CONNECTION_ID()")[0][0]
    _one(a, "SET @leaked = 42")
    _one(a, "SET SESSION sql_mode = 'ANSI_QUOTES'")
    _one(a, "CREATE TEMPORARY TABLE scratch (x INT)")
    _one(a, "PREPARE leaked_stmt FROM 'SELECT 1'")
    a.close()
    b = db.my_connect(my_proxy, handles, mariadb_server.port)
    assert _one(b, "SELECT CONNECTION_ID()")[0][0] == cid
    assert _one(b, "SELECT @leaked") == ((None,),)
    assert "ANSI_QUOTES" not in _one(b, "SELECT @@SESSION.sql_mode")[0][0]
    with pytest.raises(pymysql.err.ProgrammingError):
        _one(b, "SELECT * FROM scratch")
    with pytest.raises(pymysql.err.OperationalError):
        _one(b, "EXECUTE leaked_stmt")
    b.close()


def test_guest_leaving_mid_transaction_is_rolled_back(my_proxy, mariadb_server, db):
    handles = HandleTable()
    setup = db.my_connect(my_proxy, handles, mariadb_server.port)
    _one(setup, "CREATE TABLE IF NOT EXISTS dying (v INT) ENGINE=InnoDB")
    _one(setup, "TRUNCATE dying")
    setup.close()

    victim_handles = HandleTable()
    victim = db.my_connect(my_proxy, victim_handles, mariadb_server.port)
    _one(victim, "BEGIN")
    _one(victim, "INSERT INTO dying VALUES (1)")
    victim.close()  # quits with the transaction open; reset rolls it back

    nxt = db.my_connect(my_proxy, handles, mariadb_server.port)
    assert _one(nxt, "SELECT COUNT(*) FROM dying") == ((0,),)
    assert _one(nxt, "SELECT @@in_transaction") == ((0,),)
    nxt.close()


def test_instance_dying_discards_connection(my_proxy, mariadb_server, db):
    victim_handles = HandleTable()
    victim = db.my_connect(my_proxy, victim_handles, mariadb_server.port)
    _one(victim, "BEGIN")
    victim_handles.release_all()
    m = my_proxy.metrics()[0]
    assert (m.discarded, m.in_use, m.idle) == (1, 0, 0)


def test_reply_in_flight_discards_connection(my_proxy, mariadb_server, db):
    handles = HandleTable()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    handle = conn._sock.handle
    payload = b"\x03SELECT SLEEP(0.2)"
    my_proxy.send(handles, handle, len(payload).to_bytes(3, "little") + b"\0" + payload)
    my_proxy.close(handles, handle)
    m = my_proxy.metrics()[0]
    assert (m.discarded, m.idle) == (1, 0)


def test_wrong_database_refused_by_host(my_proxy, mariadb_server, db):
    with pytest.raises(pymysql.err.OperationalError, match="not reachable through this connection"):
        db.my_connect(my_proxy, HandleTable(), mariadb_server.port, database="mysql")


def test_malformed_bytes_are_protocol_error(my_proxy, mariadb_server, db):
    handles = HandleTable()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    handle = conn._sock.handle
    with pytest.raises(ProtocolError):
        my_proxy.send(handles, handle, b"\x00\x00\x00\x00")  # empty command packet
    with pytest.raises(Closed):
        my_proxy.recv(handles, handle, 10)
    m = my_proxy.metrics()[0]
    assert (m.discarded, m.errors) == (1, 1)


def test_malformed_handshake_is_protocol_error(my_proxy, mariadb_server):
    handles = HandleTable()
    handle = my_proxy.connect(handles, "mysql", "127.0.0.1", mariadb_server.port)
    greeting = my_proxy.recv(handles, handle, 65536)
    assert greeting[4] == 10 and b"mysql_native_password" in greeting
    with pytest.raises(ProtocolError, match="handshake"):
        my_proxy.send(handles, handle, b"\x05\x00\x00\x01\x00\x02\x00\x00\x00")


def test_change_user_is_refused(my_proxy, mariadb_server, db):
    handles = HandleTable()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    # PyMySQL has no change-user API: send COM_CHANGE_USER by hand.
    with pytest.raises(pymysql.err.NotSupportedError, match="not supported by the WarpGrid proxy"):
        conn._execute_command(0x11, b"root\0")
        conn._read_ok_packet()
    assert _one(conn, "SELECT CURRENT_USER()") == (("appuser@%",),)
    conn.close()


def test_pool_exhaustion(my_proxy, mariadb_server, db):
    handles = HandleTable()
    held = [db.my_connect(my_proxy, handles, mariadb_server.port) for _ in range(2)]
    with pytest.raises(PoolExhausted):
        my_proxy.connect(handles, "mysql", "127.0.0.1", mariadb_server.port)
    for c in held:
        c.close()


def test_tls_to_the_server_with_ca_verification(mariadb_server, secrets, db):
    proxy = db.make_proxy({"my": {"protocol": "mysql", "host": "localhost", "port": mariadb_server.port,
                                  "database": "app", "user": db.MY_USER, "password_env": "WG_MY_PW",
                                  "tls": True, "tls_ca_file": str(mariadb_server.extra["ca_file"])}})
    try:
        from warpgrid_testing.proxysocket import ProxySocket

        sock = ProxySocket.connect(proxy, HandleTable(), "mysql", "localhost", mariadb_server.port)
        conn = pymysql.connect(host="proxied", user="guest", password="", database="app", defer_connect=True)
        conn.connect(sock=sock)
        cipher = _one(conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")[0][1]
        assert cipher  # the host -> server leg is TLS; the guest spoke plaintext to the host
        conn.close()
    finally:
        proxy.shutdown(timeout=1)


def test_server_restart_while_pooled_reconnects(my_proxy, mariadb_server, db):
    handles = HandleTable()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    _one(conn, "SELECT 1")
    conn.close()
    mariadb_server.stop()
    mariadb_server.start()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    assert _one(conn, "SELECT 1") == ((1,),)
    conn.close()
    m = my_proxy.metrics()[0]
    assert (m.created, m.discarded) == (2, 1)


def test_unoffered_client_flags_are_ignored_like_a_server_does(my_proxy, mariadb_server, db):
    # The mariadb CLI sets CLIENT_SESSION_TRACK (1 << 23) although the greeting lacks it.
    conn = db.my_connect(my_proxy, HandleTable(), mariadb_server.port, client_flag=1 << 23, charset="utf8mb3")
    assert _one(conn, "SELECT @@character_set_client, 'ok'") == (("utf8mb3", "ok"),)
    conn.close()


def test_multi_result_sets_are_tracked_to_the_end(my_proxy, mariadb_server, db):
    handles = HandleTable()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    _one(conn, "CREATE PROCEDURE IF NOT EXISTS two_sets() BEGIN SELECT 1; SELECT 2, 3; END")
    with conn.cursor() as cur:
        cur.execute("CALL two_sets()")
        assert cur.fetchall() == ((1,),)
        assert cur.nextset()
        assert cur.fetchall() == ((2, 3),)
        while cur.nextset():
            pass
    conn.close()
    m = my_proxy.metrics()[0]
    assert (m.idle, m.discarded) == (1, 0)  # the tracker saw the whole response: reset and reused


def _packet(seq: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "little") + bytes([seq]) + payload


def _read_packets(proxy, handles, handle, count: int) -> list[bytes]:
    buf, out = b"", []
    while len(out) < count:
        buf += proxy.recv(handles, handle, 65536)
        while len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:3], "little"):
            n = int.from_bytes(buf[:3], "little")
            out.append(buf[4:4 + n])
            buf = buf[4 + n:]
    return out


def test_server_side_prepared_statement_binary_protocol(my_proxy, mariadb_server, db):
    handles = HandleTable()
    conn = db.my_connect(my_proxy, handles, mariadb_server.port)
    handle = conn._sock.handle
    # COM_STMT_PREPARE: OK(stmt id, 2 columns, 0 params) + 2 column definitions + EOF.
    my_proxy.send(handles, handle, _packet(0, b"\x16SELECT 41 + 1, 'x'"))
    prep = _read_packets(my_proxy, handles, handle, 4)
    assert prep[0][0] == 0 and int.from_bytes(prep[0][5:7], "little") == 2
    stmt_id = prep[0][1:5]
    # COM_STMT_EXECUTE: column count, 2 definitions, EOF, 1 binary row, EOF.
    my_proxy.send(handles, handle, _packet(0, b"\x17" + stmt_id + b"\x00" + (1).to_bytes(4, "little")))
    rows = _read_packets(my_proxy, handles, handle, 6)
    assert rows[4][0] == 0 and b"x" in rows[4]  # binary row header 0x00
    my_proxy.send(handles, handle, _packet(0, b"\x19" + stmt_id))  # COM_STMT_CLOSE: no reply
    conn.close()
    m = my_proxy.metrics()[0]
    assert (m.idle, m.discarded) == (1, 0)
