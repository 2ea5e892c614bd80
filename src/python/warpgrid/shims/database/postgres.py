"""PostgreSQL v3 wire protocol: host-side startup/auth, guest passthrough, reset before reuse.

Guest authentication decision: the host checks nothing the guest sends. The endpoint is
already allow-listed by warp.toml and the credentials are the host's, so the guest gets
AuthenticationOk without a password exchange (whatever user it names is ignored; a
database it names must be the endpoint's). Upstream, the host logs in with SCRAM-SHA-256
(via `scramp`), md5 or cleartext, as the server asks.

The client side is `PgSession` (the guest's startup answered by the host, its messages
framed and forwarded, its Terminate kept from the server); the server side is `PgServer`
(the host's login, the liveness probe, the ReadyForQuery count and transaction status
followed on the way back, the reset before reuse). The server side moves the connection
through LENT -> READY/BUSY/AWAITING_SYNC/IN_TRANSACTION -> RESETTING (states.py).
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import struct
from dataclasses import dataclass, field

import scramp

from .config import EndpointConfig
from .errors import ConnectionRefused, ProtocolError, Timeout
from .session import ServerSide, Session, WireProtocol
from .states import CL_ENDED, CL_OPEN, CL_STARTUP, SV_AWAITING_SYNC, SV_BUSY, SV_IN_TRANSACTION, SV_READY
from .upstream import Upstream, recv_exact, wrap_tls

log = logging.getLogger("warpgrid.database")

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP = 10_000
MAX_MESSAGE = 256 << 20  # larger guest messages are refused as malformed

# Messages a guest may send after startup (frontend message types of protocol 3.0).
GUEST_TYPES = frozenset(b"BCdcfDEHFPQSX")
# Messages after which the server sends exactly one ReadyForQuery.
SYNC_POINTS = frozenset(b"QSF")
# Extended-protocol messages that leave the server mid-sequence until a Sync.
EXTENDED = frozenset(b"PBEDCH")
_HEADER = struct.Struct("!BI")  # message type byte + length (which counts itself)
# Per frontend type byte: what it means for tracking (one table lookup on the hot path).
_INVALID, _SYNC, _EXTENDED, _OTHER, _TERMINATE = range(5)
_GUEST_CLASS = tuple(
    _TERMINATE if b == 0x58 else _SYNC if b in SYNC_POINTS else _EXTENDED if b in EXTENDED
    else _OTHER if b in GUEST_TYPES else _INVALID
    for b in range(256)
)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
# Startup keys the host handles itself rather than forwarding as SET.
_HOST_KEYS = {"user", "database"}


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


_AUTH_OK = message(b"R", struct.pack("!I", 0))
_READY_IDLE = message(b"Z", b"I")


def read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    header = recv_exact(sock, 5)
    length = struct.unpack_from("!I", header, 1)[0]
    if length < 4 or length > MAX_MESSAGE:
        raise ConnectionRefused(f"malformed message from the database (length {length})")
    return header[:1], recv_exact(sock, length - 4)


def error_fields(payload: bytes) -> dict[str, str]:
    out = {}
    for part in payload.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return out


def error_response(code: str, text: str, severity: str = "FATAL") -> bytes:
    fields = [b"S" + severity.encode(), b"V" + severity.encode(), b"C" + code.encode(),
              b"M" + text.encode()]
    return message(b"E", b"\0".join(fields) + b"\0\0")


def startup_reply(params: dict[str, str], backend_key: bytes) -> bytes:
    """AuthenticationOk, the ParameterStatus replay, BackendKeyData and ReadyForQuery(idle)."""
    out = bytearray(_AUTH_OK)
    for k, v in params.items():
        out += message(b"S", k.encode() + b"\0" + v.encode() + b"\0")
    if backend_key:
        out += message(b"K", backend_key)
    out += _READY_IDLE
    return bytes(out)


@dataclass
class PgState:
    """What a guest must see at startup on a pooled connection.

    The startup reply is built once per connection and reused by every checkout until a
    parameter changes, so change `params` only through `set_param` (`backend_key` is set
    during the handshake, before any guest sees the reply).
    """

    params: dict[str, str] = field(default_factory=dict)
    backend_key: bytes = b""
    status: int = ord("I")
    _reply: bytes | None = field(default=None, repr=False)

    def set_param(self, name: str, value: str) -> None:
        if self.params.get(name) != value:
            self.params[name] = value
            self._reply = None

    def reply(self) -> bytes:
        if self._reply is None:
            self._reply = startup_reply(self.params, self.backend_key)
        return self._reply


# -- server side ------------------------------------------------------------------------------


class PgServer(ServerSide):
    """The server side of one lent connection: replies followed back to the guest.

    `pending` counts the sync points (Query, Sync, FunctionCall) sent whose ReadyForQuery
    has not come back (PgBouncer's expect_rfq_count); the connection's state says whether
    replies are owed (BUSY), an extended-protocol sequence awaits its Sync (AWAITING_SYNC),
    or all is answered (READY, or IN_TRANSACTION when the last ReadyForQuery said T or E).
    """

    def __init__(self, up: Upstream) -> None:
        super().__init__(up)
        self.pending = 0
        # Incremental framer state for database -> guest bytes.
        self._hdr = bytearray()
        self._remaining = 0
        self._want_status = False

    @staticmethod
    def login(sock: socket.socket, ep: EndpointConfig, password: str | None) -> tuple[socket.socket, "PgState"]:
        if ep.tls:
            sock.sendall(struct.pack("!II", 8, SSL_REQUEST))
            if recv_exact(sock, 1) != b"S":
                sock.close()
                raise ConnectionRefused(f"{ep.host}:{ep.port} does not offer TLS but the endpoint has tls = true")
            sock = wrap_tls(sock, ep)
        user = ep.user or ""
        params = b"user\0" + user.encode() + b"\0database\0" + (ep.database or "").encode() + b"\0"
        params += b"application_name\0warpgrid-proxy\0\0"
        sock.sendall(struct.pack("!II", len(params) + 8, PROTOCOL_3_0) + params)
        state = PgState()
        scram: scramp.ScramClient | None = None
        while True:
            kind, body = read_message(sock)
            if kind == b"R":
                code = struct.unpack_from("!I", body)[0]
                if code == 0:
                    continue
                if password is None:
                    raise ConnectionRefused(f"{ep.host}:{ep.port} asks for a password but the endpoint has none configured")
                if code == 3:
                    sock.sendall(message(b"p", password.encode() + b"\0"))
                elif code == 5:
                    inner = hashlib.md5(password.encode() + user.encode()).hexdigest().encode()
                    digest = b"md5" + hashlib.md5(inner + body[4:8]).hexdigest().encode()
                    sock.sendall(message(b"p", digest + b"\0"))
                elif code == 10:
                    mechanisms = [m.decode() for m in body[4:].split(b"\0") if m]
                    if "SCRAM-SHA-256" not in mechanisms:
                        raise ConnectionRefused(f"{ep.host}:{ep.port} offers only SASL {mechanisms}")
                    scram = scramp.ScramClient(["SCRAM-SHA-256"], user, password)
                    first = scram.get_client_first().encode()
                    sock.sendall(message(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first))
                elif code == 11 and scram is not None:
                    scram.set_server_first(body[4:].decode())
                    sock.sendall(message(b"p", scram.get_client_final().encode()))
                elif code == 12 and scram is not None:
                    try:
                        scram.set_server_final(body[4:].decode())
                    except scramp.ScramException as exc:
                        raise ConnectionRefused(f"{ep.host}:{ep.port} failed SCRAM server verification: {exc}") from exc
                else:
                    raise ConnectionRefused(f"{ep.host}:{ep.port} wants unsupported authentication (code {code})")
            elif kind == b"S":
                name, value = body.rstrip(b"\0").split(b"\0", 1)
                state.set_param(name.decode(), value.decode())
            elif kind == b"K":
                state.backend_key = body
            elif kind == b"E":
                f = error_fields(body)
                raise ConnectionRefused(f"{ep.host}:{ep.port} refused user {user!r}: {f.get('M')} ({f.get('C')})")
            elif kind == b"Z":
                state.status = body[0]
                return sock, state
            # NoticeResponse and anything else during startup is informational.

    @staticmethod
    def ping(up: Upstream) -> bool:
        return run_simple(up, "") and up.replay.status == ord("I")

    # -- guest requests going out -----------------------------------------------------------------

    def sent(self, syncs: int, last: int) -> None:
        """The client side forwarded `syncs` sync points; `last` is the class of the last
        Sync/extended message among them (_SYNC, _EXTENDED), or _OTHER when there was none."""
        self.pending += syncs
        state = self.up.state
        if not state.tracked:
            return
        if last == _EXTENDED or (last == _OTHER and state is SV_AWAITING_SYNC):
            new = SV_AWAITING_SYNC
        elif self.pending > 0:
            new = SV_BUSY
        else:
            return
        if new is not state:
            self.up.to(new)

    # -- replies coming back ----------------------------------------------------------------------

    def track(self, data: bytes) -> None:
        """Walk message headers (payloads are skipped, not copied) to count ReadyForQuery."""
        i, n = 0, len(data)
        if self._remaining or self._hdr:
            i = self._resume(data)
            if i < 0:
                return
        # Hot path: at a message boundary, whole headers in `data`.
        unpack = _HEADER.unpack_from
        while n - i >= 5:
            kind, length = unpack(data, i)
            if length < 4:
                self.up.fail()
                return
            if kind == 0x5A and length > 4:  # ReadyForQuery
                if i + 5 < n:
                    self._ready(data[i + 5])
                else:
                    self._want_status = True
            i += length + 1
        if i > n:
            self._remaining = i - n  # inside a payload
        elif i < n:
            self._hdr += data[i:]  # a partial header

    def _resume(self, data: bytes) -> int:
        """Finish the message split across reads; the offset of the next header, or -1."""
        i, n = 0, len(data)
        if self._hdr:
            need = 5 - len(self._hdr)
            self._hdr += data[:need]
            i = need
            if len(self._hdr) < 5:
                return -1
            kind, length = _HEADER.unpack(self._hdr)
            self._hdr.clear()
            if length < 4:
                self.up.fail()
                return -1
            self._remaining = length - 4
            self._want_status = kind == 0x5A and length > 4
        if self._remaining:
            if self._want_status and i < n:
                self._want_status = False
                self._ready(data[i])
            take = min(self._remaining, n - i)
            self._remaining -= take
            i += take
            if self._remaining:
                return -1
        return i

    def _ready(self, status: int) -> None:
        """A ReadyForQuery reached the guest: one sync point answered."""
        self.up.replay.status = status
        self.pending -= 1
        if self.pending > 0:
            return
        up = self.up
        if self.pending < 0:  # more ReadyForQuery than sync points: no longer followed
            self.taint()
        elif up.state is SV_BUSY:
            up.to(SV_READY if status == ord("I") else SV_IN_TRANSACTION)

    def settled(self) -> bool:
        """Whether every reply came back and the stream stopped at a message boundary."""
        return not (self.pending or self._hdr or self._remaining)

    # -- reset before reuse -----------------------------------------------------------------------

    def reset(self) -> bool:
        """RESETTING: roll back an open transaction, DISCARD ALL; True when clean."""
        up = self.up
        if up.replay.status != ord("I"):
            if not run_simple(up, "ROLLBACK"):
                return False
        return run_simple(up, "DISCARD ALL") and up.replay.status == ord("I")


def run_simple(up: Upstream, sql: str, updates: dict[str, str] | None = None) -> bool:
    """Run one simple query on the host's behalf; True when it raised no error.

    ParameterStatus messages update the connection's replay state (or `updates`).
    """
    sock = up.sock
    set_param = up.replay.set_param if updates is None else updates.__setitem__
    try:
        sock.sendall(message(b"Q", sql.encode() + b"\0"))
        ok = True
        while True:
            kind, body = read_message(sock)
            if kind == b"E":
                ok = False
                log.info("database reset/ping query %r failed: %s", sql, error_fields(body).get("M"))
            elif kind == b"S":
                name, value = body.rstrip(b"\0").split(b"\0", 1)
                set_param(name.decode(), value.decode())
            elif kind == b"Z":
                up.replay.status = body[0]
                return ok
    except (OSError, ConnectionRefused, Timeout, ValueError):
        up.fail()
        return False


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- client side ------------------------------------------------------------------------------


class PgSession(Session):
    """The client side: startup answered by the host, then passthrough of framed messages.

    STARTUP -> OPEN once the startup packet is answered; ENDED on Terminate, a refused
    startup or a CancelRequest. Replies are followed by the server side (`server`).
    """

    server: PgServer

    def __init__(self, up: Upstream, ep: EndpointConfig) -> None:
        super().__init__(up, PgServer(up))
        self.ep = ep

    # -- guest -> database --------------------------------------------------------------------

    def from_guest(self, data: bytes) -> None:
        state = self.state
        if state is not CL_OPEN:
            if state is not CL_STARTUP:
                return  # after Terminate or a refused startup the server would just hang up
            self.gbuf += data
            self._startup()
            if self.state is not CL_OPEN:
                return
            buf: bytes | bytearray = self.gbuf
        elif self.gbuf:
            self.gbuf += data
            buf = self.gbuf
        else:
            buf = data  # fast path: nothing buffered, frame the caller's bytes in place
        pos, end = 0, len(buf)
        unpack = _HEADER.unpack_from
        classes = _GUEST_CLASS
        syncs, last = 0, _OTHER
        while end - pos >= 5:
            kind, length = unpack(buf, pos)
            cls = classes[kind]
            if cls == _INVALID or length < 4 or length > MAX_MESSAGE:
                raise ProtocolError(f"malformed frontend message (type {kind!r}, length {length})")
            if end - pos <= length:
                break
            if cls == _SYNC:
                syncs += 1
                last = _SYNC
            elif cls == _EXTENDED:
                last = _EXTENDED
            elif cls == _TERMINATE:  # the host keeps the connection
                self.to(CL_ENDED)
                if pos:
                    self._forward(buf[:pos], syncs, last)
                self.gbuf.clear()
                return
            pos += length + 1
        if pos:
            self._forward(buf if pos == end else buf[:pos], syncs, last)
        if buf is self.gbuf:
            del self.gbuf[:pos]
        elif pos < end:
            self.gbuf += buf[pos:]

    def _forward(self, chunk: bytes | bytearray, syncs: int, last: int) -> None:
        self.used()
        self.server.sent(syncs, last)
        self.send_upstream(chunk)

    def _startup(self) -> None:
        buf = self.gbuf
        while len(buf) >= 8:
            length, code = struct.unpack_from("!II", buf)
            if length < 8 or length > MAX_STARTUP:
                raise ProtocolError(f"malformed startup packet (length {length})")
            if len(buf) < length:
                return
            body = bytes(buf[8:length])
            del buf[:length]
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                self.out += b"N"  # TLS is the host's job; the guest talks plaintext to the host
            elif code == CANCEL_REQUEST:
                self.to(CL_ENDED)  # not forwarded; the guest sees the socket close
                buf.clear()
                return
            elif code == PROTOCOL_3_0:
                self._answer_startup(body)
                return
            else:
                raise ProtocolError(f"unsupported protocol version {code >> 16}.{code & 0xFFFF}")

    def _answer_startup(self, body: bytes) -> None:
        try:
            parts = body.decode().split("\0")
        except UnicodeDecodeError as exc:
            raise ProtocolError("startup parameters are not UTF-8") from exc
        if len(parts) < 2 or parts[-1] != "" or len(parts) % 2 != 0:
            raise ProtocolError("malformed startup parameters")
        params = dict(zip(parts[0:-2:2], parts[1:-1:2]))
        db = params.get("database")
        if db and db != self.ep.database:
            self._refuse("3D000", f"database {db!r} is not reachable through this connection "
                                  f"(the endpoint is {self.ep.database!r})")
            return
        if "replication" in params and params["replication"] not in ("", "false", "0", "off"):
            self._refuse("0A000", "replication connections are not proxied")
            return
        settable = {k: v for k, v in params.items() if k not in _HOST_KEYS and k != "replication"}
        if "options" in settable:
            self._refuse("0A000", "the startup 'options' parameter is not supported by the "
                                  "WarpGrid proxy; run SET after connecting")
            return
        bad = [k for k in settable if not _IDENT.match(k)]
        if bad:
            raise ProtocolError(f"bad startup parameter name {bad[0]!r}")
        replay = self.up.replay
        changed = {k: v for k, v in settable.items() if replay.params.get(k) != v}
        if changed:
            # This session's own values: the pooled defaults (and their cached reply) stay.
            params_now = dict(replay.params)
            sql = ";".join(f"SELECT pg_catalog.set_config({quote_literal(k)}, {quote_literal(v)}, false)"
                           for k, v in changed.items())
            self.used()
            if not run_simple(self.up, sql, params_now):
                self._refuse("22023", f"invalid startup parameter among {sorted(changed)}")
                return
            self.out += startup_reply(params_now, replay.backend_key)
        else:
            self.out += replay.reply()
        self.to(CL_OPEN)

    def _refuse(self, code: str, text: str) -> None:
        self.out += error_response(code, text)
        self.to(CL_ENDED)
        self.gbuf.clear()


PROTOCOL = WireProtocol("postgres", PgServer, PgSession)
