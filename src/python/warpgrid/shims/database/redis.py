"""Redis RESP passthrough: AUTH/HELLO/SELECT/QUIT/RESET handled by the host, RESET before reuse.

RESP is parsed with `hiredis` in both directions: guest commands to intercept the
handshake commands, database replies to count what is still outstanding (a connection
with unread replies is never reused).

The client side is `RedisSession` (the guest's commands parsed, the handshake commands
answered by the host, QUIT); the server side is `RedisServer` (the host's login, the
replies counted on the way back, RESET before reuse).
"""

from __future__ import annotations

import socket

import hiredis

from .config import EndpointConfig
from .errors import ConnectionRefused, ProtocolError, Timeout
from .session import ServerSide, Session, WireProtocol
from .states import CL_ENDED, CL_OPEN, SV_TAINTED
from .upstream import OS_TIMEOUTS, Upstream, wrap_tls

_MORE = object()  # hiredis "not enough data" marker (False is a valid RESP3 value)
# Commands after which replies no longer match commands one to one, or that change
# connection modes RESET may not fully undo: such a connection is discarded, not reused.
_MODE_CHANGING = {b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE", b"MONITOR", b"SYNC", b"PSYNC",
                  b"REPLICAOF", b"SLAVEOF", b"WAIT", b"WAITAOF"}
_MODE_CHANGING_CLIENT = {b"REPLY", b"TRACKING", b"NO-EVICT", b"NO-TOUCH"}
OK = b"+OK\r\n"


def encode(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def error_reply(text: str) -> bytes:
    return b"-" + text.encode() + b"\r\n"


def read_replies(up: Upstream, count: int) -> list:
    """Read `count` replies on the host's behalf (handshake, ping, reset)."""
    reader = hiredis.Reader(notEnoughData=_MORE)
    replies: list = []
    while len(replies) < count:
        reply = reader.gets()
        if reply is _MORE:
            try:
                chunk = up.sock.recv(65536)
            except OS_TIMEOUTS as exc:
                raise Timeout("redis did not answer in time") from exc
            if not chunk:
                raise ConnectionRefused("redis closed the connection")
            reader.feed(chunk)
            continue
        replies.append(reply)
    return replies


def _login_commands(ep: EndpointConfig, password: str | None) -> list[bytes]:
    cmds = []
    if password is not None:
        cmds.append(encode(b"AUTH", ep.user.encode(), password.encode()) if ep.user
                    else encode(b"AUTH", password.encode()))
    db = ep.database or "0"
    if db != "0":
        cmds.append(encode(b"SELECT", db.encode()))
    return cmds


class RedisState:
    """The password is kept so RESET (which de-authenticates) can be followed by AUTH."""

    def __init__(self, login: list[bytes]) -> None:
        self.login = login


def reset(up: Upstream) -> bool:
    """RESET (drops MULTI, WATCH, RESP3, name, db, auth), then log in and re-SELECT."""
    cmds = [encode(b"RESET")] + up.replay.login
    try:
        up.sock.sendall(b"".join(cmds))
        replies = read_replies(up, len(cmds))
    except (OSError, ConnectionRefused, Timeout):
        up.fail()
        return False
    return replies[0] == b"RESET" and not any(isinstance(r, hiredis.ReplyError) for r in replies)


# -- server side ------------------------------------------------------------------------------


class RedisServer(ServerSide):
    """The server side of one lent connection: replies counted on the way back.

    `pending` counts the commands forwarded whose reply has not reached the guest: the
    connection is BUSY while it is positive, READY at zero (states.py). Commands after
    which replies no longer match commands one to one make it TAINTED (no longer counted).
    """

    def __init__(self, up: Upstream) -> None:
        super().__init__(up)
        self.replies = hiredis.Reader(notEnoughData=_MORE)
        self.pending = 0

    @staticmethod
    def login(sock: socket.socket, ep: EndpointConfig, password: str | None) -> tuple[socket.socket, RedisState]:
        if ep.tls:
            sock = wrap_tls(sock, ep)
        login = _login_commands(ep, password)
        up = Upstream(sock=sock, endpoint="", created_at=0, last_used=0)
        if login:
            sock.sendall(b"".join(login))
            for reply in read_replies(up, len(login)):
                if isinstance(reply, hiredis.ReplyError):
                    raise ConnectionRefused(f"redis {ep.host}:{ep.port} refused login: {reply}")
        return sock, RedisState(login)

    @staticmethod
    def ping(up: Upstream) -> bool:
        try:
            up.sock.sendall(encode(b"PING"))
            return read_replies(up, 1) == [b"PONG"]
        except (OSError, ConnectionRefused, Timeout):
            up.fail()
            return False

    def sent(self, commands: int) -> None:
        """The client side forwards `commands` commands, each owed one reply."""
        self.pending += commands
        self.owed()

    def track(self, data: bytes) -> None:
        up = self.up
        if up.state is SV_TAINTED:
            return
        self.replies.feed(data)
        try:
            while self.replies.gets() is not _MORE:
                self.pending -= 1
        except hiredis.ProtocolError:
            up.fail()
        if self.pending == 0:
            self.answered()
        elif self.pending < 0:  # more replies than commands: no longer followed
            self.taint()

    def settled(self) -> bool:
        """Whether every reply came back whole."""
        return self.pending == 0 and not self.replies.has_data()

    def reset(self) -> bool:
        """RESETTING: RESET and log in again; True when clean."""
        return reset(self.up)


# Server-side scripting runs with the connection's full rights (a script may SELECT any db and
# write there): refused unless the endpoint sets allow_scripts.
_SCRIPTING = frozenset({
    b"EVAL", b"EVALSHA", b"EVAL_RO", b"EVALSHA_RO", b"FCALL", b"FCALL_RO", b"SCRIPT", b"FUNCTION",
})


# -- client side ------------------------------------------------------------------------------


class RedisSession(Session):
    """The client side: no login of its own (OPEN from the start); QUIT ends it (ENDED)."""

    server: RedisServer

    def __init__(self, up: Upstream, ep: EndpointConfig) -> None:
        super().__init__(up, RedisServer(up), CL_OPEN)
        self.db = (ep.database or "0").encode()
        self.allow_scripts = ep.allow_scripts
        self.guest = hiredis.Reader(notEnoughData=_MORE)

    def from_guest(self, data: bytes) -> None:
        if self.state is CL_ENDED:
            raise ProtocolError("data after QUIT")
        self.guest.feed(data)
        batch: list[bytes] = []
        while True:
            try:
                cmd = self.guest.gets()
            except hiredis.ProtocolError as exc:
                raise ProtocolError(f"malformed RESP from the guest: {exc}") from exc
            if cmd is _MORE:
                break
            if not isinstance(cmd, list) or not cmd or not all(isinstance(a, bytes) for a in cmd):
                raise ProtocolError("a redis command must be a non-empty array of bulk strings")
            self._command(cmd, batch)
            if self.state is CL_ENDED:
                break
        if batch:
            self.used()
            self.server.sent(len(batch))
            self.send_upstream(b"".join(batch))

    def _command(self, cmd: list[bytes], batch: list[bytes]) -> None:
        name = cmd[0].upper()
        idle = self.server.pending == 0 and not batch  # a local reply cannot overtake a database reply
        if name in (b"AUTH", b"QUIT") or (name == b"SELECT" and len(cmd) == 2 and cmd[1] == self.db):
            if name == b"QUIT":
                self.to(CL_ENDED)
            if idle:
                self.out += OK
            else:  # same reply (+OK), produced in order by the database
                batch.append(encode(b"SELECT", self.db))
            return
        if name == b"SELECT":
            self._local_error(idle, f"ERR this connection is bound to db {self.db.decode()} "
                                    "by warp.toml; SELECT of another db is refused")
            return
        if name in _SCRIPTING and not self.allow_scripts:
            self._local_error(idle, f"ERR {name.decode()} is refused: scripts could leave the db warp.toml "
                                    "binds this connection to; set allow_scripts = true on the endpoint to allow them")
            return
        if name == b"RESET":
            if not idle or not reset(self.up):
                raise ProtocolError("RESET with replies outstanding")
            self.out += b"+RESET\r\n"
            return
        if name == b"HELLO":
            cmd = self._hello(cmd)
        elif name in _MODE_CHANGING or (name == b"CLIENT" and len(cmd) > 1 and cmd[1].upper() in _MODE_CHANGING_CLIENT):
            self.server.taint()  # pub/sub, MONITOR, CLIENT REPLY...
        batch.append(encode(*cmd))

    def _hello(self, cmd: list[bytes]) -> list[bytes]:
        """Forward the protocol version and name; the AUTH part is the host's business."""
        out = [b"HELLO"]
        args = cmd[1:]
        if args:
            out.append(args[0])
        i = 1
        while i < len(args):
            opt = args[i].upper()
            if opt == b"AUTH":
                i += 3
            elif opt == b"SETNAME" and i + 1 < len(args):
                out += [b"SETNAME", args[i + 1]]
                i += 2
            else:
                raise ProtocolError(f"HELLO option {args[i]!r} is not understood")
        return out

    def _local_error(self, idle: bool, text: str) -> None:
        if not idle:
            raise ProtocolError(f"cannot answer in order with replies outstanding: {text}")
        self.out += error_reply(text)

    def replies_owed(self) -> bool:
        return self.server.pending > 0  # replies to commands pipelined before QUIT


PROTOCOL = WireProtocol("redis", RedisServer, RedisSession)
