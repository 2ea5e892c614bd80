"""redis-py, unchanged, through the proxy against a real redis-server."""

from __future__ import annotations

import pytest
import redis

from warpgrid.shims.database.errors import Closed, ConnectionRefused, ProtocolError
from warpgrid.shims.database.handles import HandleTable
from warpgrid.shims.database.redis import encode


def test_commands_pass_through_on_the_endpoint_db(redis_proxy, redis_server, db):
    r = db.redis_connect(redis_proxy, HandleTable(), redis_server.port)
    assert r.set("greeting", "hi") is True
    assert r.get("greeting") == b"hi"
    assert r.incr("counter") >= 1
    with pytest.raises(redis.ResponseError):
        r.lpush("greeting", "x")  # WRONGTYPE error passes through
    pipe = r.pipeline(transaction=True)
    pipe.set("a", 1).incr("a").get("a")
    assert pipe.execute() == [True, 2, b"2"]
    r.close()
    direct = redis.Redis(port=redis_server.port, password=db.REDIS_PASSWORD, db=3)
    assert direct.get("greeting") == b"hi"  # the endpoint's db 3, SELECTed by the host
    assert redis.Redis(port=redis_server.port, password=db.REDIS_PASSWORD, db=0).get("greeting") is None


def test_auth_select_and_quit_answered_by_host(redis_proxy, redis_server):
    handles = HandleTable()
    h = redis_proxy.connect(handles, "redis", "127.0.0.1", redis_server.port)
    redis_proxy.send(handles, h, encode(b"AUTH", b"guest-does-not-know") + encode(b"SELECT", b"3"))
    assert redis_proxy.recv(handles, h, 100) == b"+OK\r\n+OK\r\n"
    redis_proxy.send(handles, h, encode(b"SELECT", b"0"))
    assert redis_proxy.recv(handles, h, 200).startswith(b"-ERR this connection is bound to db 3")
    # Pipelined after a real command: the host keeps reply order.
    redis_proxy.send(handles, h, encode(b"PING") + encode(b"AUTH", b"x") + encode(b"QUIT"))
    got = b""
    while got.count(b"\r\n") < 3:
        got += redis_proxy.recv(handles, h, 100)
    assert got == b"+PONG\r\n+OK\r\n+OK\r\n"
    redis_proxy.close(handles, h)
    m = redis_proxy.metrics()[0]
    assert (m.idle, m.discarded) == (1, 0)


def test_no_session_state_leaks_to_next_guest(redis_proxy, redis_server, db):
    handles = HandleTable()
    a = db.redis_connect(redis_proxy, handles, redis_server.port, protocol=3)
    cid = a.client_id()
    a.client_setname("guest-a")
    a.execute_command("MULTI")  # left open on purpose
    a.execute_command("SET", "queued", "1")
    a.connection_pool.disconnect()

    b = db.redis_connect(redis_proxy, handles, redis_server.port, protocol=2)
    assert b.client_id() == cid  # same server connection, RESET in between
    assert b.client_getname() is None
    assert b.get("queued") is None  # the MULTI was discarded, not executed
    info = b.client_info()
    assert (int(info["db"]), int(info["resp"]), int(info["multi"])) == (3, 2, -1)
    b.close()


def test_subscribe_mode_connection_is_not_reused(redis_proxy, redis_server, db):
    handles = HandleTable()
    r = db.redis_connect(redis_proxy, handles, redis_server.port)
    ps = r.pubsub()
    ps.subscribe("news")
    assert next(ps.listen())["type"] == "subscribe"
    ps.close()
    r.close()
    assert redis_proxy.metrics()[0].discarded == 1


def test_malformed_bytes_are_protocol_error(redis_proxy, redis_server):
    handles = HandleTable()
    h = redis_proxy.connect(handles, "redis", "127.0.0.1", redis_server.port)
    with pytest.raises(ProtocolError):
        redis_proxy.send(handles, h, b"PING\r\n")  # inline commands are not RESP arrays
    with pytest.raises(Closed):
        redis_proxy.send(handles, h, encode(b"PING"))
    h2 = redis_proxy.connect(handles, "redis", "127.0.0.1", redis_server.port)
    with pytest.raises(ProtocolError):
        redis_proxy.send(handles, h2, b"*1\r\n:5\r\n")  # an integer is not a command word
    assert redis_proxy.metrics()[0].discarded == 2


def test_other_db_is_not_an_allowed_endpoint(redis_proxy, redis_server):
    with pytest.raises(ConnectionRefused):
        redis_proxy.connect(HandleTable(), "redis", "127.0.0.1", redis_server.port, "0")
    h = redis_proxy.connect(HandleTable(), "redis", "127.0.0.1", redis_server.port, "3")
    assert h > 0


def test_restart_while_pooled_reconnects(redis_proxy, redis_server, db):
    handles = HandleTable()
    r = db.redis_connect(redis_proxy, handles, redis_server.port)
    r.ping()
    r.connection_pool.disconnect()
    redis_server.stop()
    redis_server.start()
    r = db.redis_connect(redis_proxy, handles, redis_server.port)
    assert r.ping() is True
    r.connection_pool.disconnect()
    m = redis_proxy.metrics()[0]
    assert (m.created, m.discarded) == (2, 1)


def test_tls_to_the_server_with_ca_verification(redis_server, secrets, db):
    port = redis_server.extra["tls_port"]
    proxy = db.make_proxy({"tls": {"protocol": "redis", "host": "localhost", "port": port, "database": "3",
                                   "password_env": "WG_REDIS_PW", "tls": True,
                                   "tls_ca_file": str(redis_server.extra["ca_file"])}})
    try:
        handles = HandleTable()
        h = proxy.connect(handles, "redis", "localhost", port)
        proxy.send(handles, h, encode(b"CLIENT", b"INFO"))
        info = proxy.recv(handles, h, 4096)
        assert b"db=3" in info
        proxy.close(handles, h)
        assert proxy.metrics()[0].idle == 1
    finally:
        proxy.shutdown(timeout=1)


def test_scripts_are_refused_unless_the_endpoint_allows_them(redis_proxy, redis_server, db):
    """EVAL could SELECT another db and write there: refused by default, db 0 untouched."""
    r = db.redis_connect(redis_proxy, HandleTable(), redis_server.port)
    escape = "redis.call('SELECT', 0); return redis.call('SET', 'escaped', '1')"
    for call in (lambda: r.eval(escape, 0), lambda: r.fcall("f", 0), lambda: r.script_load("return 1")):
        with pytest.raises(redis.ResponseError, match="refused.*allow_scripts"):
            call()
    assert r.ping() is True  # the session goes on
    r.close()
    assert redis.Redis(port=redis_server.port, password=db.REDIS_PASSWORD, db=0).get("escaped") is None


def test_allow_scripts_lets_eval_through(redis_server, secrets, db):
    proxy = db.make_proxy({"cache": {"protocol": "redis", "host": "127.0.0.1", "port": redis_server.port,
                                     "database": "3", "password_env": "WG_REDIS_PW", "allow_scripts": True}})
    try:
        r = db.redis_connect(proxy, HandleTable(), redis_server.port)
        assert r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "scripted", "yes") == b"OK"
        assert r.get("scripted") == b"yes"
        r.close()
    finally:
        proxy.shutdown(timeout=1)
