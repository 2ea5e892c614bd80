"""Drives wasmtime call futures from an asyncio event loop.

`poll()` runs a guest until it finishes or suspends inside an async host function. The host
function, started during that poll, registers the asyncio future it waits on with the task that
is polling (`current_task()`); the task then awaits that future and polls again. Every guest
of a worker therefore shares the worker's one OS thread, and a guest waiting on the network
costs a parked fiber stack, not a thread.

Deadlines: CPU time inside the guest is bounded by epoch interruption (a trap, as in the
threaded host); time spent suspended is bounded here, by the same deadline: when it passes,
the future is deleted, which unwinds the guest's fiber, and the call fails as a timeout.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

from warpgrid.faults import GuestFault

from .capi import CallFuture, Continuation

_CURRENT: Optional["GuestTask"] = None


def current_task() -> "GuestTask":
    """The task whose poll is running right now (host functions run inside a poll)."""
    if _CURRENT is None:
        raise RuntimeError("async host function called outside a GuestTask poll")
    return _CURRENT


class FutureContinuation(Continuation):
    """An async host function's result: ready when its asyncio future is done."""

    def __init__(self, future: "asyncio.Future[Any]") -> None:
        self.future = future
        current_task().waiting_on = future

    def ready(self) -> bool:
        return self.future.done()

    def value(self) -> Any:
        return self.future.result()


class Immediate(Continuation):
    """A result known at call time (no suspension)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def ready(self) -> bool:
        return True

    def value(self) -> Any:
        return self._value


class GuestTask:
    """One guest operation (instantiate or call) driven to completion on the running loop."""

    def __init__(self, future: CallFuture, deadline: Optional[float]) -> None:
        self.future = future
        self.deadline = deadline  # time.monotonic() value, or None for no deadline
        self.waiting_on: "Optional[asyncio.Future[Any]]" = None
        self.suspensions = 0

    async def run(self) -> None:
        global _CURRENT
        while True:
            self.waiting_on = None
            previous, _CURRENT = _CURRENT, self
            try:
                done = self.future.poll()
            finally:
                _CURRENT = previous
            if done:
                return
            self.suspensions += 1
            waiting = self.waiting_on
            if waiting is None:  # suspended without a registered wait (e.g. an epoch yield)
                await asyncio.sleep(0)
                self._check_deadline()
                continue
            remaining = None if self.deadline is None else self.deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._cancel()
            try:
                await asyncio.wait_for(waiting, remaining)  # a timeout cancels the wait too
            except asyncio.TimeoutError:
                self._cancel()
            except asyncio.CancelledError:
                if not waiting.cancelled():  # our own task was cancelled, not just the wait
                    self.future.delete()
                    raise
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    self.future.delete()
                    raise
            except BaseException:
                pass  # the host function's failure is handed to the guest by its continuation

    def _check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._cancel()

    def _cancel(self) -> None:
        self.future.delete()
        raise GuestFault("timeout", "request deadline exceeded (wall clock, checked whenever the guest yields or waits)")
