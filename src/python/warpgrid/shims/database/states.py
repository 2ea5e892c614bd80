"""The pooler's two state machines, kept as PgBouncer keeps them (`SV_*` and `CL_*` states).

A pooled server connection (`Upstream`) and a guest's client session (`Session`) each carry
one state. Every change goes through the machine's transition function (`ServerState.check`
over `_SERVER_NEXT`, `ClientState.check` over `_CLIENT_NEXT`, called by `Upstream.to` and
`Session.to`), which refuses a change its table does not list with `IllegalTransition`: a bookkeeping bug then fails loudly
where it happens instead of lending a dirty connection to the next guest.

Server connection (what the database holds for us; the pool's books are its IDLE/lent
lists, as PgBouncer's idle/active/used lists)::

    LOGIN --> LENT                         opened and authenticated, lent to the first session
    IDLE --> TESTING --> LENT              taken from the pool, checked (nothing to read; a
                                           ping after a long idle), then lent
    LENT --> READY | BUSY | AWAITING_SYNC  the guest's bytes reached the database
    READY | IN_TRANSACTION --> BUSY        a request owes a reply
    BUSY --> READY | IN_TRANSACTION        the last reply came back (a transaction open or not)
    BUSY|READY|IN_TRANSACTION --> AWAITING_SYNC --> BUSY   (Postgres extended protocol)
    any lent state --> TAINTED             a mode a reset may not undo: discarded after use
    READY | IN_TRANSACTION --> RESETTING --> IDLE   the session ended; cleaned, back in the pool
    LENT --> IDLE                          nothing reached the database: no reset needed
    any --> BROKEN --> CLOSED; any --> CLOSED

Client session (the guest's side of the conversation)::

    STARTUP --> OPEN --> ENDED             login answered by the host; goodbye (Terminate/QUIT)
    STARTUP --> ENDED                      login refused, or a cancel request
    any --> BROKEN                         a protocol error or a failed connection ended it
"""

from __future__ import annotations

import enum
from typing import Self


class IllegalTransition(RuntimeError):
    """A state change the machine does not allow: a bug in the pooler's bookkeeping."""


class _Machine(enum.Enum):
    """The states of one machine; `check` is its transition function, over its own table.

    Each member carries its bit and the bits of the states it may move to (filled in by
    `_compile` from the table): plain attributes, because the check runs twice per query on the
    proxy's hot path and hashing an Enum member is a Python-level call.
    """

    _bit: int
    _next: int

    def check(self, new: Self) -> Self:
        """The transition function: `new`, or IllegalTransition naming both states."""
        if not new._bit & self._next:
            raise IllegalTransition(f"{_LABELS[type(self)]}: {self.value} -> {new.value} is not allowed")
        return new


class ServerState(_Machine):
    LOGIN = "login"  # opened and authenticated, not yet in the pool's books
    IDLE = "idle"  # in the pool, clean, ready to lend
    TESTING = "testing"  # taken from the pool for a liveness probe before it is lent
    LENT = "lent"  # lent to a session; nothing reached it on the guest's behalf yet
    READY = "ready"  # the guest used it; every reply answered, no transaction open
    BUSY = "busy"  # replies still owed to the guest
    AWAITING_SYNC = "awaiting-sync"  # Postgres extended-protocol messages sent, Sync not yet
    IN_TRANSACTION = "in-transaction"  # every reply answered, a transaction open
    TAINTED = "tainted"  # replies no longer followed, or a mode a reset may not undo
    RESETTING = "resetting"  # the session ended; the host is making it clean
    BROKEN = "broken"  # failed, or its state unknown: closed, never reused
    CLOSED = "closed"  # socket closed, out of the pool's books

    tracked: bool  # whether a lent connection in this state has its replies followed (TRACKED)


S = ServerState
# States in which the connection is lent and its replies are followed.
TRACKED = frozenset({S.LENT, S.READY, S.BUSY, S.AWAITING_SYNC, S.IN_TRANSACTION})
_SERVER_NEXT: dict[ServerState, frozenset[ServerState]] = {
    S.LOGIN: frozenset({S.LENT, S.BROKEN, S.CLOSED}),
    S.IDLE: frozenset({S.TESTING, S.BROKEN, S.CLOSED}),
    S.TESTING: frozenset({S.LENT, S.BROKEN, S.CLOSED}),
    S.LENT: frozenset({S.READY, S.BUSY, S.AWAITING_SYNC, S.TAINTED, S.IDLE, S.BROKEN, S.CLOSED}),
    S.READY: frozenset({S.BUSY, S.AWAITING_SYNC, S.TAINTED, S.RESETTING, S.BROKEN, S.CLOSED}),
    S.BUSY: frozenset({S.READY, S.IN_TRANSACTION, S.AWAITING_SYNC, S.TAINTED, S.BROKEN, S.CLOSED}),
    S.AWAITING_SYNC: frozenset({S.BUSY, S.TAINTED, S.BROKEN, S.CLOSED}),
    S.IN_TRANSACTION: frozenset({S.BUSY, S.AWAITING_SYNC, S.TAINTED, S.RESETTING, S.BROKEN, S.CLOSED}),
    S.TAINTED: frozenset({S.BROKEN, S.CLOSED}),
    S.RESETTING: frozenset({S.IDLE, S.BROKEN, S.CLOSED}),
    S.BROKEN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


class ClientState(_Machine):
    STARTUP = "startup"  # the guest's login (startup packet, handshake response) is not done
    OPEN = "open"  # logged in: requests flow
    ENDED = "ended"  # the guest said goodbye, or its login was refused
    BROKEN = "broken"  # a protocol error or a failed connection ended the session


C = ClientState
_CLIENT_NEXT: dict[ClientState, frozenset[ClientState]] = {
    C.STARTUP: frozenset({C.OPEN, C.ENDED, C.BROKEN}),
    C.OPEN: frozenset({C.ENDED, C.BROKEN}),
    C.ENDED: frozenset({C.BROKEN}),
    C.BROKEN: frozenset(),
}


_LABELS = {ServerState: "pooled database connection", ClientState: "guest database session"}


def _compile(table: dict) -> None:
    """Turn a transition table into each member's bit and allowed-next bitmask."""
    for i, state in enumerate(table):
        state._bit = 1 << i
    for state, allowed in table.items():
        state._next = sum(n._bit for n in allowed)


_compile(_SERVER_NEXT)
_compile(_CLIENT_NEXT)
for _state in ServerState:
    _state.tracked = _state in TRACKED

# PgBouncer's names for the states (SV_*, CL_*), as module constants: the hot paths compare
# against these, because looking up an Enum class attribute costs ~25 times a global's on
# CPython 3.11. Unpacked in definition order (tests check each name against its member).
(SV_LOGIN, SV_IDLE, SV_TESTING, SV_LENT, SV_READY, SV_BUSY, SV_AWAITING_SYNC, SV_IN_TRANSACTION,
 SV_TAINTED, SV_RESETTING, SV_BROKEN, SV_CLOSED) = ServerState
CL_STARTUP, CL_OPEN, CL_ENDED, CL_BROKEN = ClientState
