"""MySQL/MariaDB client/server protocol: host greeting and auth, passthrough, reset before reuse.

The guest gets a greeting made by the host (the upstream server version and thread id,
a fresh scramble, `mysql_native_password`) and its login is accepted without checking
(as for Postgres: the endpoint is allow-listed, the credentials are the host's). Upstream
the host logs in with mysql_native_password or caching_sha2_password (fast path; full
auth only over TLS). Responses are tracked packet by packet so a connection with a reply
still on the wire is discarded instead of reset with COM_RESET_CONNECTION.

The client side is `MysqlSession` (the host's greeting, the guest's login, its commands
framed and forwarded, COM_QUIT kept from the server); the server side is `MysqlServer`
(the host's login, the responses followed packet by packet, the reset before reuse).
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
from collections import deque

from .config import EndpointConfig
from .errors import ConnectionRefused, ProtocolError, Timeout
from .session import ServerSide, Session, WireProtocol
from .states import CL_ENDED, CL_OPEN, CL_STARTUP
from .upstream import Upstream, recv_exact, wrap_tls

# Capability flags (client/server).
LONG_PASSWORD = 0x1
LONG_FLAG = 0x4
CONNECT_WITH_DB = 0x8
PROTOCOL_41 = 0x200
SSL = 0x800
TRANSACTIONS = 0x2000
SECURE_CONNECTION = 0x8000
MULTI_RESULTS = 0x20000
PS_MULTI_RESULTS = 0x40000
PLUGIN_AUTH = 0x80000
PLUGIN_AUTH_LENENC = 0x200000
# What the host negotiates upstream and offers the guest: no compression, no LOCAL INFILE,
# no DEPRECATE_EOF/SESSION_TRACK (the response tracker expects classic EOF packets), no
# multi-statements (the guest cannot have asked for them on a shared connection).
WANTED = (LONG_PASSWORD | LONG_FLAG | CONNECT_WITH_DB | PROTOCOL_41 | TRANSACTIONS
          | SECURE_CONNECTION | MULTI_RESULTS | PS_MULTI_RESULTS | PLUGIN_AUTH | PLUGIN_AUTH_LENENC)
MORE_RESULTS = 0x0008
CURSOR_EXISTS = 0x0040
AUTOCOMMIT = 0x0002
UTF8MB4_GENERAL_CI = 45
MAX_PACKET = 0xFFFFFF

COM_QUIT, COM_INIT_DB, COM_QUERY, COM_FIELD_LIST = 0x01, 0x02, 0x03, 0x04
COM_STATISTICS, COM_PING, COM_CHANGE_USER = 0x09, 0x0E, 0x11
COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA = 0x16, 0x17, 0x18
COM_STMT_CLOSE, COM_STMT_RESET, COM_SET_OPTION, COM_STMT_FETCH = 0x19, 0x1A, 0x1B, 0x1C
COM_RESET_CONNECTION = 0x1F
# Response shape per command; commands missing here are refused.
RESPONSE = {
    COM_INIT_DB: "single", COM_QUERY: "results", COM_FIELD_LIST: "columns",
    COM_STATISTICS: "single", 0x0C: "single", COM_PING: "single",  # 0x0C: COM_PROCESS_KILL
    COM_STMT_PREPARE: "prepare", COM_STMT_EXECUTE: "results", COM_STMT_SEND_LONG_DATA: None,
    COM_STMT_CLOSE: None, COM_STMT_RESET: "single", COM_SET_OPTION: "single",
    COM_STMT_FETCH: "rows", COM_RESET_CONNECTION: "single",
}
# Collation ids the host can re-apply with SET NAMES when a guest asks for another one.
COLLATIONS = {8: ("latin1", "latin1_swedish_ci"), 33: ("utf8mb3", "utf8mb3_general_ci"),
              45: ("utf8mb4", "utf8mb4_general_ci"), 46: ("utf8mb4", "utf8mb4_bin"),
              63: ("binary", "binary"), 224: ("utf8mb4", "utf8mb4_unicode_ci")}


def packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    header = recv_exact(sock, 4)
    length = header[0] | header[1] << 8 | header[2] << 16
    return header[3], recv_exact(sock, length)


def lenenc(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    if first < 0xFB:
        return first, pos + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}.get(first)
    if size is None:
        raise ValueError(f"bad length-encoded integer prefix {first:#x}")
    return int.from_bytes(buf[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def cstring(buf: bytes, pos: int) -> tuple[bytes, int]:
    end = buf.index(b"\0", pos)
    return buf[pos:end], end + 1


def ok_packet(seq: int, status: int = AUTOCOMMIT) -> bytes:
    return packet(seq, b"\x00\x00\x00" + struct.pack("<HH", status, 0))


def err_packet(seq: int, code: int, state: str, text: str) -> bytes:
    return packet(seq, b"\xff" + struct.pack("<H", code) + b"#" + state.encode() + text.encode())


def scramble_native(password: bytes, salt: bytes) -> bytes:
    if not password:
        return b""
    h1 = hashlib.sha1(password).digest()
    h2 = hashlib.sha1(salt + hashlib.sha1(h1).digest()).digest()
    return bytes(a ^ b for a, b in zip(h1, h2))


def scramble_sha2(password: bytes, salt: bytes) -> bytes:
    if not password:
        return b""
    h1 = hashlib.sha256(password).digest()
    h2 = hashlib.sha256(hashlib.sha256(h1).digest() + salt).digest()
    return bytes(a ^ b for a, b in zip(h1, h2))


class MysqlState:
    """What the host needs to greet a guest as if it were the server."""

    def __init__(self, version: bytes, thread_id: int, caps: int, charset: int) -> None:
        self.version = version
        self.thread_id = thread_id
        self.caps = caps
        self.charset = charset


def parse_greeting(payload: bytes) -> tuple[bytes, int, int, bytes, bytes]:
    if not payload or payload[0] != 10:
        raise ConnectionRefused(f"not a MySQL v10 greeting (first byte {payload[:1]!r})")
    version, pos = cstring(payload, 1)
    thread_id = struct.unpack_from("<I", payload, pos)[0]
    salt = payload[pos + 4:pos + 12]
    pos += 13
    caps = struct.unpack_from("<H", payload, pos)[0]
    pos += 5  # caps low, charset, status
    caps |= struct.unpack_from("<H", payload, pos)[0] << 16
    salt_len = payload[pos + 2]
    pos += 13
    if caps & SECURE_CONNECTION:
        part2 = max(13, salt_len - 8)
        salt += payload[pos:pos + part2].rstrip(b"\0")
        pos += part2
    plugin = b"mysql_native_password"
    if caps & PLUGIN_AUTH and pos < len(payload):
        plugin = payload[pos:].split(b"\0", 1)[0]
    return version, thread_id, caps, salt, plugin


def command(up: Upstream, payload: bytes) -> bool:
    """A one-packet command run by the host (ping, reset, SET NAMES): True on OK."""
    try:
        up.sock.sendall(packet(0, payload))
        _, reply = read_packet(up.sock)
        return reply[:1] == b"\x00"
    except (OSError, ConnectionRefused, Timeout):
        up.fail()
        return False


# -- server side ------------------------------------------------------------------------------


class MysqlServer(ServerSide):
    """The server side of one lent connection: responses followed packet by packet.

    `expect` holds the response shapes still on the wire, oldest first: the connection is
    BUSY while it is not empty, READY when it empties (states.py).
    """

    def __init__(self, up: Upstream) -> None:
        super().__init__(up)
        self.expect: deque[str] = deque()
        self.phase = ""  # position inside the response being read
        self.count = 0
        self.ubuf = bytearray()
        self.skip = 0
        self.continued_up = False  # the last packet was 16 MiB: the next one continues it

    @staticmethod
    def login(sock: socket.socket, ep: EndpointConfig, password: str | None) -> tuple[socket.socket, MysqlState]:
        seq, payload = read_packet(sock)
        if payload[:1] == b"\xff":
            raise ConnectionRefused(f"{ep.host}:{ep.port} refused: {payload[9:].decode(errors='replace')}")
        version, thread_id, server_caps, salt, plugin = parse_greeting(payload)
        caps = WANTED & server_caps
        if not caps & PROTOCOL_41 or not caps & PLUGIN_AUTH:
            raise ConnectionRefused(f"{ep.host}:{ep.port} lacks protocol 4.1 / plugin auth")
        if not ep.database:
            caps &= ~CONNECT_WITH_DB
        pw = (password or "").encode()
        prefix = struct.pack("<IIB", caps | (SSL if ep.tls else 0), MAX_PACKET, UTF8MB4_GENERAL_CI) + bytes(23)
        seq = 1
        if ep.tls:
            if not server_caps & SSL:
                raise ConnectionRefused(f"{ep.host}:{ep.port} does not offer TLS but the endpoint has tls = true")
            sock.sendall(packet(seq, prefix))
            seq += 1
            sock = wrap_tls(sock, ep)
        auth = MysqlServer._auth_data(plugin, pw, salt, ep)
        body = prefix + (ep.user or "").encode() + b"\0" + bytes([len(auth)]) + auth
        if caps & CONNECT_WITH_DB:
            body += ep.database.encode() + b"\0"
        body += plugin + b"\0"
        sock.sendall(packet(seq, body))
        while True:
            seq, reply = read_packet(sock)
            if reply[:1] == b"\x00":
                return sock, MysqlState(version, thread_id, caps, UTF8MB4_GENERAL_CI)
            if reply[:1] == b"\xff":
                code = struct.unpack_from("<H", reply, 1)[0]
                raise ConnectionRefused(f"{ep.host}:{ep.port} refused user {ep.user!r}: "
                                        f"{reply[9:].decode(errors='replace')} ({code})")
            if reply[:1] == b"\xfe":  # auth switch
                plugin, pos = cstring(reply, 1)
                salt = reply[pos:].rstrip(b"\0")
                sock.sendall(packet(seq + 1, MysqlServer._auth_data(plugin, pw, salt, ep)))
            elif reply[:2] == b"\x01\x03":  # caching_sha2 fast auth succeeded; OK follows
                continue
            elif reply[:2] == b"\x01\x04":  # caching_sha2 full auth
                if not ep.tls:
                    raise ConnectionRefused(
                        f"{ep.host}:{ep.port} wants caching_sha2_password full authentication, "
                        "which the proxy only does over TLS: set tls = true for this endpoint "
                        "(or log in once so the server caches the password)")
                sock.sendall(packet(seq + 1, pw + b"\0"))
            else:
                raise ConnectionRefused(f"{ep.host}:{ep.port}: unexpected auth packet {reply[:1]!r}")

    @staticmethod
    def ping(up: Upstream) -> bool:
        return command(up, bytes([COM_PING]))

    @staticmethod
    def _auth_data(plugin: bytes, pw: bytes, salt: bytes, ep: EndpointConfig) -> bytes:
        if plugin == b"mysql_native_password":
            return scramble_native(pw, salt[:20])
        if plugin == b"caching_sha2_password":
            return scramble_sha2(pw, salt[:20])
        if plugin == b"mysql_clear_password" and ep.tls:
            return pw + b"\0"
        raise ConnectionRefused(f"{ep.host}:{ep.port} wants auth plugin {plugin.decode()!r}, "
                                "which the proxy does not speak (use mysql_native_password)")

    # -- guest commands going out -----------------------------------------------------------------

    def sent(self, shape: str | None) -> None:
        """The client side forwards a command whose response has this shape (None: no response)."""
        if shape is not None:
            self.expect.append(shape)
            self.owed()


    # -- responses coming back --------------------------------------------------------------------

    def track(self, data: bytes) -> None:
        if self.skip:
            take = min(self.skip, len(data))
            self.skip -= take
            data = data[take:]
        buf = self.ubuf
        buf += data
        while len(buf) >= 4:
            length = buf[0] | buf[1] << 8 | buf[2] << 16
            peek = min(length, 32)
            if len(buf) < 4 + peek:
                return
            continued, self.continued_up = self.continued_up, length == MAX_PACKET
            if not continued:
                self._response_packet(length, bytes(buf[4:4 + peek]))
            if len(buf) - 4 >= length:
                del buf[:4 + length]
            else:
                self.skip = length - (len(buf) - 4)
                buf.clear()
                return

    def _response_packet(self, length: int, head: bytes) -> None:
        if not self.expect:
            self.up.fail()  # unsolicited (e.g. server shutdown notice)
            return
        shape, phase = self.expect[0], self.phase
        first = head[:1]
        is_eof = first == b"\xfe" and length < 9
        done = False
        if shape == "single":
            done = True
        elif shape == "prepare":
            if phase == "":
                if first == b"\x00" and length >= 9:
                    cols, params = struct.unpack_from("<HH", head, 5)
                    self.count = (params + 1 if params else 0) + (cols + 1 if cols else 0)
                    done = self.count == 0
                    self.phase = "defs"
                else:
                    done = True
            else:
                self.count -= 1
                done = self.count == 0
        elif shape in ("columns", "rows"):
            done = is_eof or first == b"\xff"
        else:  # "results": OK | ERR | column count, defs, EOF, rows, EOF (repeat on MORE_RESULTS)
            if phase in ("", "next"):
                if first == b"\x00":
                    done = not self._ok_status(head) & MORE_RESULTS
                    self.phase = "next"
                elif first == b"\xff":
                    done = True
                elif first == b"\xfb":
                    self.up.fail()  # LOCAL INFILE was not negotiated
                    done = True
                else:
                    self.count, _ = lenenc(head, 0)
                    self.phase = "defs"
            elif phase == "defs":
                if is_eof:
                    status = struct.unpack_from("<H", head, 3)[0]
                    self.phase = "rows"
                    done = bool(status & CURSOR_EXISTS)
                elif first == b"\xff":
                    done = True
            elif phase == "rows":
                if is_eof:
                    status = struct.unpack_from("<H", head, 3)[0]
                    if status & MORE_RESULTS:
                        self.phase = "next"
                    else:
                        done = True
                elif first == b"\xff":
                    done = True
        if done:
            self.expect.popleft()
            self.phase = ""
            if not self.expect:
                self.answered()

    @staticmethod
    def _ok_status(head: bytes) -> int:
        try:
            _, pos = lenenc(head, 1)
            _, pos = lenenc(head, pos)
            return struct.unpack_from("<H", head, pos)[0]
        except (ValueError, struct.error, IndexError):
            return 0

    def settled(self) -> bool:
        """Whether every response came back and the stream stopped at a packet boundary."""
        return not (self.expect or self.ubuf or self.skip)

    # -- reset before reuse -----------------------------------------------------------------------

    def reset(self) -> bool:
        """RESETTING: COM_RESET_CONNECTION; True when clean."""
        return command(self.up, bytes([COM_RESET_CONNECTION]))


# -- client side ------------------------------------------------------------------------------


class MysqlSession(Session):
    """The client side: the host greets the guest and accepts its login (STARTUP -> OPEN),
    then passthrough of framed commands; COM_QUIT ends it (ENDED)."""

    server: MysqlServer

    def __init__(self, up: Upstream, ep: EndpointConfig) -> None:
        super().__init__(up, MysqlServer(up))
        self.ep = ep
        st: MysqlState = up.replay
        self.scramble = os.urandom(20).replace(b"\0", b"\x01")
        self.out += self._greeting(st)
        self.continued = False  # the last guest packet was 16 MiB: the next one continues it

    def _greeting(self, st: MysqlState) -> bytes:
        caps = st.caps | CONNECT_WITH_DB
        body = (b"\x0a" + st.version + b"\0" + struct.pack("<I", st.thread_id) + self.scramble[:8] + b"\0"
                + struct.pack("<HBHH", caps & 0xFFFF, st.charset, AUTOCOMMIT, caps >> 16)
                + bytes([21]) + bytes(10) + self.scramble[8:] + b"\0" + b"mysql_native_password\0")
        return packet(0, body)

    # -- guest -> database --------------------------------------------------------------------

    def from_guest(self, data: bytes) -> None:
        if self.state is CL_ENDED:
            raise ProtocolError("data after COM_QUIT")
        self.gbuf += data
        buf = self.gbuf
        start = pos = 0  # buf[start:pos] is ready to forward
        while len(buf) - pos >= 4:
            length = buf[pos] | buf[pos + 1] << 8 | buf[pos + 2] << 16
            seq = buf[pos + 3]
            if len(buf) - pos - 4 < length:
                break
            if self.state is CL_STARTUP:
                payload = bytes(buf[pos + 4:pos + 4 + length])
                del buf[:pos + 4 + length]
                self._login(seq, payload)
                start = pos = 0
                if self.state is CL_ENDED:
                    return
                continue
            if seq == 0 and not self.continued:
                if not length:
                    raise ProtocolError("empty command packet")
                cmd = buf[pos + 4]
                if cmd == COM_QUIT:
                    self.to(CL_ENDED)
                    if start < pos:
                        self._forward(buf[start:pos])
                    buf.clear()
                    return
                if cmd not in RESPONSE:
                    if self.server.expect or start < pos:
                        raise ProtocolError(f"command {cmd:#x} is not proxied")
                    self.out += err_packet(1, 1235, "42000", f"command {cmd:#x} is not supported by the WarpGrid proxy")
                    pos += 4 + length
                    start = pos
                    continue
                if cmd == COM_SET_OPTION:
                    self.server.taint()  # multi-statement mode may outlive COM_RESET_CONNECTION
                self.server.sent(RESPONSE[cmd])
            self.continued = length == MAX_PACKET
            pos += 4 + length
        if start < pos:
            self._forward(buf[start:pos])
        del buf[:pos]
        if len(buf) > (1 << 24) + 4:
            raise ProtocolError("oversized packet")

    def _forward(self, chunk: bytes | bytearray) -> None:
        self.used()
        self.send_upstream(chunk)

    def _login(self, seq: int, payload: bytes) -> None:
        """The guest's HandshakeResponse41: accepted without a password check (see module doc)."""
        st: MysqlState = self.up.replay
        try:
            caps, _, charset = struct.unpack_from("<IIB", payload)
            if caps & SSL and len(payload) <= 32:
                raise ProtocolError("the guest asked for TLS; the proxy speaks plaintext to guests")
            if not caps & PROTOCOL_41:
                raise ProtocolError("the guest does not speak protocol 4.1")
            # Flags the greeting did not offer are ignored, as a server does: clients (the
            # mariadb CLI for one) send some anyway and then follow the intersection.
            pos = 32
            _user, pos = cstring(payload, pos)
            if caps & PLUGIN_AUTH_LENENC:
                n, pos = lenenc(payload, pos)
            elif caps & SECURE_CONNECTION:
                n, pos = payload[pos], pos + 1
            else:
                n = payload.index(b"\0", pos) - pos + 1
            pos += n
            db = b""
            if caps & CONNECT_WITH_DB and pos < len(payload):
                db, pos = cstring(payload, pos)
        except (struct.error, ValueError, IndexError) as exc:
            raise ProtocolError(f"malformed handshake response: {exc}") from exc
        if db and db.decode(errors="replace") != self.ep.database:
            self.out += err_packet(seq + 1, 1044, "42000", f"database {db.decode(errors='replace')!r} is not "
                                   f"reachable through this connection (the endpoint is {self.ep.database!r})")
            self.to(CL_ENDED)
            return
        if charset != st.charset:
            names = COLLATIONS.get(charset)
            if names:
                self.used()
                if not command(self.up, bytes([COM_QUERY]) + f"SET NAMES {names[0]} COLLATE {names[1]}".encode()):
                    raise ProtocolError(f"cannot switch to the guest's collation {names[1]}")
        self.out += ok_packet(seq + 1)
        self.to(CL_OPEN)


PROTOCOL = WireProtocol("mysql", MysqlServer, MysqlSession)
