"""The shared shape of a guest session: one guest conversation over one checked-out connection."""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

from .errors import Closed, DeadlinePassed, Timeout
from .upstream import OS_TIMEOUTS, Upstream

if TYPE_CHECKING:
    from .config import EndpointConfig


class WireProtocol(Protocol):
    """What each protocol module provides to the proxy (postgres.py, mysql.py, redis.py)."""

    name: str

    def handshake(self, sock: socket.socket, ep: "EndpointConfig", password: str | None) -> tuple[socket.socket, Any]:
        """Log in upstream with the host's credentials (TLS if configured); returns the
        (possibly TLS-wrapped) socket and the state a guest session replays."""

    def ping(self, up: Upstream) -> bool:
        """A protocol-level liveness check for a long-idle pooled connection."""

    def session(self, up: Upstream, ep: "EndpointConfig") -> "Session":
        """A new guest session over a checked-out connection."""


class Session(ABC):
    """Bytes from the guest go through `from_guest`; bytes for the guest come from `to_guest`.

    Host-made replies (handshake answers) queue in `out` and are served before anything
    from the database. Subclasses frame the streams just enough to intercept handshakes and
    terminate messages and to know whether the connection is clean (`finish`).
    """

    def __init__(self, up: Upstream) -> None:
        self.up = up
        self.out = bytearray()
        self.ended = False  # the guest said goodbye (Terminate / COM_QUIT / QUIT)

    @abstractmethod
    def from_guest(self, data: bytes) -> None:
        """Take bytes the guest sent: answer handshakes, forward the rest upstream."""

    def track_upstream(self, data: bytes) -> None:
        """Observe bytes flowing to the guest (transaction status, reply counts)."""

    def replies_owed(self) -> bool:
        """After the guest's goodbye, whether database replies it asked for are still due."""
        return False

    @abstractmethod
    def finish(self) -> bool:
        """Make the connection clean for the next guest; False means discard it."""

    def to_guest(self, max_bytes: int, deadline: float | None = None) -> bytes:
        """Bytes for the guest. ``deadline`` (time.monotonic()) is the guest request's: the
        wait for the database ends there with Timeout, the session stays usable."""
        if max_bytes <= 0:
            return b""
        out = self.out
        if out:
            if len(out) <= max_bytes:  # the usual case: the whole host-made reply at once
                chunk = bytes(out)
                out.clear()
            else:
                chunk = bytes(out[:max_bytes])
                del out[:max_bytes]
            return chunk
        if self.ended and not self.replies_owed():
            raise Closed("the session has ended")
        if deadline is not None and not self.up.readable_within(deadline - time.monotonic()):
            raise DeadlinePassed("the request deadline passed while waiting for the database")
        try:
            data = self.up.sock.recv(max_bytes)
        except OS_TIMEOUTS as exc:
            raise Timeout("the database sent nothing before recv_timeout") from exc
        except OSError as exc:
            self.up.broken = True
            raise Closed(f"database connection failed: {exc}") from exc
        if not data:
            self.up.broken = True
            raise Closed("the database closed the connection")
        self.track_upstream(data)
        return data

    def send_upstream(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self.up.sock.sendall(data)
        except OS_TIMEOUTS as exc:
            self.up.broken = True
            raise Timeout("the database did not accept data in time") from exc
        except OSError as exc:
            self.up.broken = True
            raise Closed(f"database connection failed: {exc}") from exc
