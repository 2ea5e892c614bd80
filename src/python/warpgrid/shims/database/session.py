"""The shared shape of a guest session: one guest conversation over one checked-out connection.

Each protocol module keeps its two sides apart: the client side is its `Session` subclass
(the guest's login answered by the host, the guest's requests framed and forwarded, the
goodbye), the server side is its `...Server` class (the host's login upstream, the
liveness probe, the replies followed back to the guest, the reset before reuse).
"""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .errors import Closed, DeadlinePassed, Timeout
from .states import ClientState, CL_ENDED, CL_STARTUP, SV_BUSY, SV_IN_TRANSACTION, SV_LENT, SV_READY, SV_RESETTING, SV_TAINTED
from .upstream import OS_TIMEOUTS, Upstream

if TYPE_CHECKING:
    from .config import EndpointConfig


@dataclass(frozen=True)
class WireProtocol:
    """What each protocol module provides to the proxy (postgres.py, mysql.py, redis.py):
    its server side (login, ping) and its client side (a guest session)."""

    name: str
    server: type["ServerSide"]
    client: Callable[[Upstream, "EndpointConfig"], "Session"]

    def handshake(self, sock: socket.socket, ep: "EndpointConfig", password: str | None) -> tuple[socket.socket, Any]:
        return self.server.login(sock, ep, password)

    def ping(self, up: Upstream) -> bool:
        return self.server.ping(up)

    def session(self, up: Upstream, ep: "EndpointConfig") -> "Session":
        return self.client(up, ep)


class ServerSide(ABC):
    """The server side of one connection: the host's login and liveness probe (static: they
    run before and between sessions), and for a lent connection the replies followed back to
    the guest, the transitions they make (states.py), the reset before reuse. One subclass per
    protocol."""

    def __init__(self, up: Upstream) -> None:
        self.up = up

    @staticmethod
    @abstractmethod
    def login(sock: socket.socket, ep: "EndpointConfig", password: str | None) -> tuple[socket.socket, Any]:
        """Log in upstream with the host's credentials (TLS if configured); returns the
        (possibly TLS-wrapped) socket and the state a guest session replays."""

    @staticmethod
    @abstractmethod
    def ping(up: Upstream) -> bool:
        """A protocol-level liveness check for a long-idle pooled connection (TESTING)."""

    @abstractmethod
    def track(self, data: bytes) -> None:
        """Observe bytes flowing to the guest (reply counts, transaction status)."""

    @abstractmethod
    def settled(self) -> bool:
        """Whether every reply came back and the stream stopped at a message boundary."""

    @abstractmethod
    def reset(self) -> bool:
        """RESETTING: make the connection clean for the next guest; True when it is."""

    def owed(self) -> None:
        """A request owing a reply went out: BUSY (unless no longer followed)."""
        state = self.up.state
        if state is not SV_BUSY and state.tracked:
            self.up.to(SV_BUSY)

    def answered(self) -> None:
        """The last reply owed came back: READY."""
        if self.up.state is SV_BUSY:
            self.up.to(SV_READY)

    def taint(self) -> None:
        """Replies stop matching requests one to one, or a mode a reset may not undo began:
        the connection is discarded after this session."""
        if self.up.state.tracked:
            self.up.to(SV_TAINTED)


class Session(ABC):
    """Bytes from the guest go through `from_guest`; bytes for the guest come from `to_guest`.

    Host-made replies (handshake answers) queue in `out` and are served before anything
    from the database. Subclasses frame the streams just enough to intercept handshakes and
    terminate messages and to know whether the connection is clean (`finish`).
    `state` is the client machine's (states.py), changed only through `to`.
    """

    server: ServerSide

    def __init__(self, up: Upstream, server: ServerSide, state: ClientState = CL_STARTUP) -> None:
        self.up = up
        self.server = server
        self.track_upstream = server.track  # the hot path: no extra call per recv
        self.out = bytearray()
        self.gbuf = bytearray()  # a partial guest message (Postgres, MySQL framing)
        self.state = state

    def to(self, new: ClientState) -> None:
        """Every client-state change goes through here (IllegalTransition if not allowed)."""
        self.state = self.state.check(new)

    @property
    def ended(self) -> bool:
        """The guest said goodbye (Terminate / COM_QUIT / QUIT) or its login was refused."""
        return self.state is CL_ENDED

    @abstractmethod
    def from_guest(self, data: bytes) -> None:
        """Take bytes the guest sent: answer handshakes, forward the rest upstream."""

    def replies_owed(self) -> bool:
        """After the guest's goodbye, whether database replies it asked for are still due."""
        return False

    def finish(self) -> bool:
        """Make the connection clean for the next guest; False means discard it.

        LENT (nothing reached the database): clean as is. READY or IN_TRANSACTION: RESETTING,
        then the protocol's reset. Anything else (replies owed, tainted, broken): discard.
        """
        state = self.up.state
        if state is SV_LENT:
            return True
        if state is not SV_READY and state is not SV_IN_TRANSACTION:
            return False
        self.up.to(SV_RESETTING)
        return not self.gbuf and self.server.settled() and self.server.reset()

    def used(self) -> None:
        """Bytes are about to reach the database on the guest's behalf: from here on the
        connection needs a reset before the next guest (LENT -> READY)."""
        if self.up.state is SV_LENT:
            self.up.to(SV_READY)


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
            self.up.fail()
            raise Closed(f"database connection failed: {exc}") from exc
        if not data:
            self.up.fail()
            raise Closed("the database closed the connection")
        self.track_upstream(data)
        return data

    def send_upstream(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self.up.sock.sendall(data)
        except OS_TIMEOUTS as exc:
            self.up.fail()
            raise Timeout("the database did not accept data in time") from exc
        except OSError as exc:
            self.up.fail()
            raise Closed(f"database connection failed: {exc}") from exc
