"""warpgrid:shim/signals: lifecycle signals queued per instance.

Overflow policy: **drop-oldest**. The queue holds at most 16 signals; delivering to a full queue
discards the oldest pending one (and counts it in ``dropped``). The newest signal is the one that
reflects the host's current intent (a terminate after a burst of hangups must not be lost), and
the guest still sees the most recent 16 in arrival order.

Only signals the guest registered for with ``on-signal`` are queued; others are ignored (counted
in ``ignored``), like a process that left a signal at its default disposition in a sandbox where
the host, not the signal, ends the instance.
"""

from __future__ import annotations

import signal as host_signal
import threading
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from warpgrid.shims.base import Shim, context_of

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

QUEUE_LIMIT = 16
SIGNAL_TYPES = ("terminate", "hangup", "interrupt")
HOST_SIGNALS: dict[int, str] = {
    host_signal.SIGTERM: "terminate",
    host_signal.SIGHUP: "hangup",
    host_signal.SIGINT: "interrupt",
}


class SignalQueue:
    """Bounded, thread-safe queue of one instance (the host delivers from other threads)."""

    def __init__(self, limit: int = QUEUE_LIMIT) -> None:
        self.registered: set[str] = set()
        self._pending: deque[str] = deque()
        self.limit = limit
        self.dropped = 0
        self.ignored = 0
        self._lock = threading.Lock()

    def register(self, signal: str) -> bool:
        _check(signal)
        with self._lock:
            if signal in self.registered:
                return False
            self.registered.add(signal)
            return True

    def deliver(self, signal: str) -> bool:
        """Queues ``signal`` if registered; returns whether it was queued."""
        _check(signal)
        with self._lock:
            if signal not in self.registered:
                self.ignored += 1
                return False
            if len(self._pending) >= self.limit:
                self._pending.popleft()
                self.dropped += 1
            self._pending.append(signal)
            return True

    def poll(self) -> str | None:
        with self._lock:
            return self._pending.popleft() if self._pending else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)


def _check(signal: str) -> None:
    if signal not in SIGNAL_TYPES:
        raise ValueError(f"unknown signal {signal!r}; expected one of {', '.join(SIGNAL_TYPES)}")


class SignalsShim(Shim):
    @classmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, Shim]) -> "SignalsShim":
        return cls()

    def describe(self) -> str:
        return (
            f"lifecycle signals terminate/hangup/interrupt (host SIGTERM/SIGHUP/SIGINT), "
            f"queue of {QUEUE_LIMIT} per instance, drop-oldest on overflow"
        )

    def new_instance_state(self) -> SignalQueue:
        return SignalQueue()

    def define(self, instance: Any) -> None:
        name = self.name
        instance.add_func("on-signal", lambda store, sig: context_of(store).state_for(name).register(sig))
        instance.add_func("poll-signal", lambda store: context_of(store).state_for(name).poll())
