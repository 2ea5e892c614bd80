"""One log stream for a deployment, every line prefixed with the service it concerns.

Host log records get ``[service]`` from a context variable the router sets around each call
into a service (a nested call sets the callee's name and restores the caller's); records made
outside any service call say ``[deployment]``. Guest stdout/stderr go through
:func:`prefixed_output`, which prefixes every line the guest writes.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

current_service: contextvars.ContextVar[str] = contextvars.ContextVar("warpgrid_service", default="deployment")
FORMAT = "%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s"


class ServiceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.service = current_service.get()
        return True


def install(level: int = logging.INFO) -> None:
    """Prefixes every root handler's lines with the service (adds a stderr handler if none)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        if not any(isinstance(f, ServiceFilter) for f in handler.filters):
            handler.addFilter(ServiceFilter())
        handler.setFormatter(logging.Formatter(FORMAT))
    root.setLevel(min(root.level or level, level))


_write_lock = threading.Lock()


def prefixed_output(service: str, stream: Callable[[], BinaryIO]) -> Callable[[bytes], None]:
    """A WASI output callback writing ``[service] line`` per line to ``stream()`` (looked up at
    each write, so a test's captured stdout works). A line split across two writes of the
    guest shows as two prefixed lines."""
    prefix = f"[{service}] ".encode()

    def write(data: bytes) -> None:
        lines = bytes(data).splitlines(keepends=True)
        out = b"".join(prefix + (line if line.endswith(b"\n") else line + b"\n") for line in lines)
        with _write_lock:
            target = stream()
            target.write(out)
            target.flush()

    return write
