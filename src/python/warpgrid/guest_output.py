"""Guest stdout/stderr callbacks whose release is awaited before the interpreter finalizes.

Why: wasmtime runs a custom output's callbacks (ctypes callbacks into Python) on its own tokio
worker threads, and releases the callback some time after the Store that owns it is deleted.
When that release arrives while CPython is finalizing, CPython ends the worker thread with
``pthread_exit``; the forced unwind reaches Rust's thread start, which cannot unwind, and the
whole process aborts after all its work is done (SIGABRT, "panic in a function that cannot
unwind"). A test run whose tests all passed then failed with exit -6, about one run in seven.

So :meth:`EngineCore.new_store` wraps each custom output in a :class:`GuestOutput` and tells
:data:`RELEASES` which Store owns it. Once that Store is deleted (:meth:`OutputReleases.delete`
when its guest closes, or its collection) wasmtime owes the release, and an ``atexit`` hook
(which runs before finalization begins) waits, boundedly, until wasmtime has paid every release
it owes. A Store still open at exit (a guest never closed) is not covered: close guests.
"""

from __future__ import annotations

import atexit
import gc
import threading
import time
import weakref
from typing import Any

from warpgrid.wasi_setup import Output

EXIT_WAIT_SECONDS = 5.0


class GuestOutput:
    """A guest output callback wasmtime holds; its collection marks the release."""

    __slots__ = ("write", "__weakref__")

    def __init__(self, write: Output) -> None:
        self.write = write

    def __call__(self, data: bytes) -> Any:
        return self.write(data)


class OutputReleases:
    """The releases of guest output callbacks that wasmtime still owes (their Store is gone)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owed: set[threading.Event] = set()
        self._stores: weakref.WeakKeyDictionary[Any, weakref.finalize] = weakref.WeakKeyDictionary()

    def wrap(self, output: Output | None) -> tuple[GuestOutput | None, threading.Event | None]:
        """`output` as the callback to hand wasmtime, and the event its release sets."""
        if output is None:
            return None, None
        wrapped, released = GuestOutput(output), threading.Event()
        weakref.finalize(wrapped, self._released, released)
        return wrapped, released

    def owned_by(self, store: object, events: list[threading.Event]) -> None:
        """`events` belong to `store`'s outputs: once `store` is collected, their release is owed."""
        if events:
            with self._lock:
                self._stores[store] = weakref.finalize(store, self._owe, events)

    def delete(self, store: Any) -> None:
        """Deletes `store` now rather than when it is collected; its outputs' releases become owed."""
        store.close()
        with self._lock:
            owe = self._stores.pop(store, None)
        if owe is not None:
            owe()

    def wait(self, timeout: float) -> bool:
        """Waits up to `timeout` seconds for every owed release; True when none is left."""
        gc.collect()  # Stores only unreachable through cycles are deleted now, not mid-finalization
        deadline = time.monotonic() + timeout
        with self._lock:
            owed = list(self._owed)
        return all(event.wait(max(0.0, deadline - time.monotonic())) for event in owed)

    def _owe(self, events: list[threading.Event]) -> None:
        with self._lock:
            self._owed.update(event for event in events if not event.is_set())

    def _released(self, event: threading.Event) -> None:
        with self._lock:
            event.set()
            self._owed.discard(event)


RELEASES = OutputReleases()
atexit.register(RELEASES.wait, EXIT_WAIT_SECONDS)
