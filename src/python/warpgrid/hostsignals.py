"""Host signal plumbing: handlers installed for the length of a command (and restored after),
and a SIGTERM to ourselves when the process that started us is gone."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Callable[[int, Any], None]


@contextmanager
def handling(signals: Iterable[int], handler: Handler) -> Iterator[None]:
    """Routes each of ``signals`` to ``handler`` inside the block; the previous handlers come
    back on exit, even when the block raises (a test calling `serve` twice must not inherit
    the first run's handler)."""
    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def terminate_when_parent_exits(poll_seconds: float = 0.5) -> threading.Thread:
    """Sends this process SIGTERM, so it stops the way a supervisor would stop it (a graceful
    drain for `serve`, `terminate` to the guest for `run`), once the process that started it
    has exited.

    Why: `pants run` (Pants 2.17) starts the program in a session of its own and does not pass
    its own SIGTERM on, so stopping `pants run` (a CI timeout, a test's cleanup) left the
    server running with nobody to stop it. `warpgrid --exit-with-parent` turns this on; the
    Pants targets pass it. A poll, not `PR_SET_PDEATHSIG`: that fires when the parent's
    *thread* exits, and Pants starts programs from worker threads that come and go.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        logging.getLogger("warpgrid").warning(
            "the process that started this one (pid %d) has exited: stopping as on SIGTERM", parent
        )
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="parent-watch", daemon=True)
    watcher.start()
    return watcher
