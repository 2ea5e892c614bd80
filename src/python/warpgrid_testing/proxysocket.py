"""A socket-like object over a proxy connection, so unmodified Python drivers can use it.

Host-side only: it lets tests and benchmarks run pg8000, PyMySQL and redis-py through
exactly the code paths a guest's send/recv calls take (same session, same pool).
"""

from __future__ import annotations

import io
import os
import socket

from warpgrid.shims.database.errors import Closed, DbError, Timeout
from warpgrid.shims.database.handles import HandleTable
from warpgrid.shims.database.proxy import DatabaseProxy


class _RawProxyIO(io.RawIOBase):
    def __init__(self, sock: "ProxySocket") -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        return self._sock.recv_into(b)

    def write(self, b) -> int:  # type: ignore[override]
        self._sock.sendall(b)
        return len(b)


class ProxySocket:
    """Implements the socket methods pg8000, PyMySQL and redis-py call."""

    def __init__(self, proxy: DatabaseProxy, handles: HandleTable, handle: int, recv_size: int = 65536) -> None:
        self.proxy = proxy
        self.handles = handles
        self.handle = handle
        self.recv_size = recv_size
        self._peeked = b""
        self._timeout: float | None = None
        self._closed = False
        self._pipe: tuple[int, int] | None = None

    @classmethod
    def connect(cls, proxy: DatabaseProxy, handles: HandleTable, protocol: str, host: str, port: int,
                database: str | None = None) -> "ProxySocket":
        try:
            handle = proxy.connect(handles, protocol, host, port, database)
        except DbError as exc:
            raise ConnectionError(f"{exc.code}: {exc}") from exc
        return cls(proxy, handles, handle)

    # -- data -----------------------------------------------------------------------------------

    def sendall(self, data) -> None:
        try:
            self.proxy.send(self.handles, self.handle, bytes(data))
        except Timeout as exc:
            raise socket.timeout(str(exc)) from exc
        except DbError as exc:
            raise ConnectionError(f"{exc.code}: {exc}") from exc

    def send(self, data) -> int:
        self.sendall(data)
        return len(data)

    def recv(self, n: int, flags: int = 0) -> bytes:
        if self._peeked:
            data = self._peeked[:n]
            if not flags & socket.MSG_PEEK:
                self._peeked = self._peeked[n:]
            return data
        try:
            data = self.proxy.recv(self.handles, self.handle, n)
        except Timeout as exc:
            raise socket.timeout(str(exc)) from exc
        except Closed:
            return b""  # drivers read EOF as "connection closed"
        except DbError as exc:
            raise ConnectionError(f"{exc.code}: {exc}") from exc
        if flags & socket.MSG_PEEK:
            self._peeked = data
        return data

    def recv_into(self, buffer, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        data = self.recv(min(n, self.recv_size), flags)
        view[:len(data)] = data
        return len(data)

    def makefile(self, mode: str = "r", buffering: int | None = None, **_kw):
        raw = _RawProxyIO(self)
        size = buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE
        if "r" in mode and "w" in mode:
            return io.BufferedRWPair(raw, raw, size)
        if "w" in mode:
            return io.BufferedWriter(raw, size)
        return io.BufferedReader(raw, size)

    # -- socket API the drivers poke ------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.proxy.close(self.handles, self.handle)
            if self._pipe is not None:
                for fd in self._pipe:
                    os.close(fd)
                self._pipe = None

    def shutdown(self, how: int) -> None:
        pass

    def settimeout(self, value: float | None) -> None:
        self._timeout = value

    def gettimeout(self) -> float | None:
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        pass

    def setsockopt(self, *args) -> None:
        pass

    def getpeername(self) -> tuple[str, int]:
        return ("warpgrid-proxy", 0)

    getsockname = getpeername

    def fileno(self) -> int:
        """A never-readable pipe fd for drivers that poll before reusing a connection."""
        if self._pipe is None:
            self._pipe = os.pipe()
        return self._pipe[0]

    def pending(self) -> int:
        return len(self._peeked)
