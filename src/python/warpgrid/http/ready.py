"""Fresh instances made ahead of the requests that will use them.

Every request still gets an instance nobody used before (the isolation guarantee); only the
moment of its making moves: a background thread keeps up to ``size`` instances ready, so the
instantiation (for a ComponentizeJS component, mapping a 14 MB snapshot and running its
start-up) is off the request path. The thread runs while the wasm of other requests runs (it
releases the GIL in wasmtime's C calls), so at low concurrency a request costs about what a
warm call costs. When the queue is empty (a burst), the request instantiates inline, as it
would without this.

A component whose first call does much more than later ones (a ComponentizeJS engine compiles
and sets up lazily: hono's first request costs ~15 ms, later ones ~0.5 ms) can name a warm-up
request (``[http] warmup_request = "GET /health"``): the thread sends it to each instance before
queueing it. Every request still gets an instance that served no other request, only the
host's warm-up, which is the same for all; choose a route without side effects.

The other end moves off the request path too: a used instance gives back its host resources at
once (``retire``), but its Store (for a JS component, ~14 MB of memory to unmap: ~0.15 ms) is
deleted by a second background thread after the response has left, a few at most: beyond
``SPENT_BACKLOG`` waiting, the request deletes its own, so memory stays bounded under load.
"""

from __future__ import annotations

import logging
import queue
import threading

from warpgrid.engine import WarpGridEngine
from warpgrid.faults import GuestFault
from warpgrid.guest import GuestInstance
from warpgrid.http.messages import HttpRequest
from warpgrid.loaded import LoadedComponent

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# Used instances waiting for the background deletion; past this, a request deletes its own
# (under saturation the deleting thread gets too few GIL turns to keep up, and a JS instance
# is ~14 MB: an unbounded backlog grew to 2.3 GB at 64 connections).
SPENT_BACKLOG = 4


class ReadyInstances:
    def __init__(self, engine: WarpGridEngine, loaded: LoadedComponent, size: int,
                 warmup: HttpRequest | None = None) -> None:
        self.engine = engine
        self.loaded = loaded
        self.size = size
        self.warmup = warmup
        self._ready: "queue.SimpleQueue[GuestInstance]" = queue.SimpleQueue()
        self._free = threading.Semaphore(size)  # slots for instances not yet made
        self._stop = threading.Event()
        self._spent: "queue.SimpleQueue[GuestInstance | None]" = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        if size > 0:
            for target, name in ((self._fill, "warpgrid-ready"), (self._delete_spent, "warpgrid-spent")):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)

    def take(self) -> GuestInstance:
        """An instance no request has used; made now if none is ready. Raises what
        ``engine.instantiate`` raises."""
        try:
            guest = self._ready.get_nowait()
        except queue.Empty:
            return self.engine.instantiate(self.loaded)
        self._free.release()
        return guest

    def retire(self, guest: GuestInstance) -> None:
        """Ends a used instance: its host resources now, its Store in the background (inline
        when no background threads run, or when SPENT_BACKLOG instances already wait)."""
        if not self._threads or self._spent.qsize() >= SPENT_BACKLOG:
            guest.close()
            return
        guest.release()
        self._spent.put(guest)

    def _delete_spent(self) -> None:
        while (guest := self._spent.get()) is not None:
            try:
                guest.close()
            except Exception:  # one failed deletion must not stop the ones after it
                log.exception("ready instances: deleting a used instance failed")

    def _fill(self) -> None:
        while not self._stop.is_set():
            if not self._free.acquire(timeout=0.2):
                continue
            while not self._stop.is_set():
                try:
                    self._ready.put(self._make())
                    break
                except Exception as e:  # the request path reports it (instantiating inline)
                    log.debug("ready instances: cannot instantiate ahead: %s", e)
                    self._stop.wait(RETRY_SECONDS)

    def _make(self) -> GuestInstance:
        guest = self.engine.instantiate(self.loaded)
        if self.warmup is not None:
            try:
                response = guest.call_handler(self.warmup)
            except GuestFault:
                guest.close()
                raise
            if response.status >= 500:
                log.warning("warm-up %s %s answered %d", self.warmup.method, self.warmup.uri, response.status)
        return guest

    def close(self) -> None:
        """Stops the refill, deletes the spent instances and drops the ones no request took."""
        self._stop.set()
        self._spent.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        for left in (self._spent, self._ready):  # a request that ended during the join retired one
            while not left.empty():
                guest = left.get_nowait()
                if guest is not None:
                    guest.close()
