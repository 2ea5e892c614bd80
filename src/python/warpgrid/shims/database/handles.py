"""Per-instance connection handle tables: a handle is only valid in the instance that opened it."""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pool import Pool
    from .session import Session

# Handles are unique across all instances of the host, so a handle copied from another
# instance can never name a session in this table by accident.
_next_handle = itertools.count(1)
_handle_lock = threading.Lock()


def new_handle() -> int:
    with _handle_lock:
        return next(_next_handle)


@dataclass(eq=False)
class Lease:
    """A guest session plus the pool its connection must go back to."""

    session: "Session"
    pool: "Pool"


def _orphan_all(leases: dict[int, Lease]) -> None:
    """Finalizer: runs at any allocation point, so it takes no locks (see Pool.orphan)."""
    while leases:
        _, lease = leases.popitem()
        lease.pool.orphan(lease.session.up)


@dataclass(eq=False)
class HandleTable:
    """The database-proxy state of one instance (returned by `new_instance_state`).

    When the instance is dropped without closing its connections (a trap, a killed guest),
    they are discarded: their session state is unknown, so they never go back to the pool.
    """

    leases: dict[int, Lease] = field(default_factory=dict)

    def __post_init__(self) -> None:
        weakref.finalize(self, _orphan_all, self.leases)

    def __len__(self) -> int:
        return len(self.leases)

    def release_all(self) -> None:
        """The instance ended: discard every connection it still holds."""
        while self.leases:
            _, lease = self.leases.popitem()
            lease.pool.checkin(lease.session.up, reusable=False)
