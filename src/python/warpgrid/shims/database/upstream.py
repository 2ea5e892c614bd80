"""TCP/TLS transport to a database and the pooled connection object."""

from __future__ import annotations

import ipaddress
import select
import socket
import ssl
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

from .config import EndpointConfig
from .errors import ConnectionRefused, Timeout
from .states import ServerState, SV_BROKEN, SV_CLOSED, SV_LOGIN

# Maps a host name to candidate IP address strings (the DNS shim, when enabled).
Resolver = Callable[[str], list[str]]


@dataclass(eq=False)
class Upstream:
    """One authenticated database connection: the server side of the pooler.

    `state` is its place in the server state machine (states.py), changed only through
    `to`; `replay` holds what the protocol must replay to each guest (Postgres' startup
    parameters, the MySQL greeting, the Redis login).
    """

    sock: socket.socket
    endpoint: str
    created_at: float
    last_used: float
    replay: Any = None
    state: ServerState = SV_LOGIN
    uses: int = field(default=0)
    # A poll object for `looks_alive`, made on first use (half the cost of select.select).
    _poller: Any = field(default=None, repr=False)

    def to(self, new: ServerState) -> None:
        """Every server-state change goes through here (IllegalTransition if not allowed)."""
        self.state = self.state.check(new)

    @property
    def broken(self) -> bool:
        return self.state is SV_BROKEN

    def fail(self) -> None:
        """The connection failed or its state is unknown: it will be closed, never reused."""
        if self.state is not SV_BROKEN and self.state is not SV_CLOSED:
            self.to(SV_BROKEN)

    def close(self) -> None:
        if self.state is not SV_CLOSED:
            self.to(SV_CLOSED)
        try:
            self.sock.close()
        except OSError:
            pass

    def readable_within(self, seconds: float) -> bool:
        """Whether data (or EOF) arrives within ``seconds``; one poll() call."""
        sock = self.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN)
        return bool(self._poller.poll(max(0, int(seconds * 1000))))

    def looks_alive(self) -> bool:
        """Cheap liveness check: an idle connection must have nothing to read.

        Readable means EOF (server restarted, idle kill) or an unsolicited message such as
        Postgres' admin-shutdown error: either way the connection is not reusable.
        """
        if self.state is SV_BROKEN or self.state is SV_CLOSED:
            return False
        sock = self.sock
        try:
            if sock.fileno() < 0:  # closed: the fd number may already belong to someone else
                return False
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                return False
            if self._poller is None:
                self._poller = select.poll()
                self._poller.register(sock, select.POLLIN)
            return not self._poller.poll(0)  # any event (data, hang-up, error) means not idle
        except (OSError, ValueError):
            return False


def resolve_addresses(host: str, resolver: Resolver | None) -> list[str]:
    """IP literals pass through; names go to the DNS shim when given, else to the system."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    if resolver is not None:
        try:
            addrs = resolver(host)
        except Exception as exc:  # the DNS shim's DnsError carries the WIT code
            if getattr(exc, "code", "") == "timeout":
                raise Timeout(f"resolving {host} timed out") from exc
            raise ConnectionRefused(f"cannot resolve {host}: {exc}") from exc
        if not addrs:
            raise ConnectionRefused(f"DNS shim returned no address for {host}")
        return list(addrs)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionRefused(f"cannot resolve {host}: {exc}") from exc
    return [info[4][0] for info in infos]


def open_tcp(host: str, port: int, timeout: float, resolver: Resolver | None) -> socket.socket:
    last: Exception | None = None
    for addr in resolve_addresses(host, resolver):
        try:
            sock = socket.create_connection((addr, port), timeout=timeout)
        except socket.timeout as exc:
            last = Timeout(f"connecting to {addr}:{port} timed out after {timeout}s")
            last.__cause__ = exc
            continue
        except OSError as exc:
            last = ConnectionRefused(f"connecting to {addr}:{port}: {exc.strerror or exc}")
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock
    assert last is not None
    raise last


def tls_context(ep: EndpointConfig) -> ssl.SSLContext:
    """Host-side TLS to the database; CA verification on unless the endpoint turns it off."""
    ctx = ssl.create_default_context(cafile=str(ep.tls_ca_file) if ep.tls_ca_file else None)
    if not ep.tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def wrap_tls(sock: socket.socket, ep: EndpointConfig) -> ssl.SSLSocket:
    try:
        return tls_context(ep).wrap_socket(sock, server_hostname=ep.host)
    except ssl.SSLError as exc:
        sock.close()
        raise ConnectionRefused(f"TLS to {ep.host}:{ep.port} failed: {exc}") from exc
    except socket.timeout as exc:
        sock.close()
        raise Timeout(f"TLS handshake with {ep.host}:{ep.port} timed out") from exc


# What a blocking socket with SO_RCVTIMEO/SO_SNDTIMEO raises when the kernel timeout expires.
OS_TIMEOUTS = (socket.timeout, BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def use_kernel_timeouts(sock: socket.socket, seconds: float) -> None:
    """Make `sock` blocking with kernel-side send/receive timeouts.

    A Python-level timeout (settimeout) makes every send/recv poll() first: on the query
    hot path that extra syscall and GIL round trip cost about a third of the throughput.
    TLS sockets keep the Python-level timeout: CPython's SSL read retries the kernel's
    EAGAIN on a blocking socket, so SO_RCVTIMEO would never fire.
    """
    if isinstance(sock, ssl.SSLSocket):
        sock.settimeout(seconds)
        return
    sock.settimeout(None)
    tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Exactly n bytes or ConnectionRefused on EOF (used during handshakes and resets)."""
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OS_TIMEOUTS as exc:
            raise Timeout("database did not answer in time") from exc
        if not chunk:
            raise ConnectionRefused("database closed the connection")
        buf += chunk
    return bytes(buf)
