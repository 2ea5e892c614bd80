"""Installing host signal handlers for the length of a command, and restoring them after."""

from __future__ import annotations

import signal
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
