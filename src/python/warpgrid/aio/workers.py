"""`--workers N`: N async host processes sharing one listening port (SO_REUSEPORT).

One event loop runs on one core; the threaded host spreads wasm execution over cores because
ctypes releases the GIL during each call. N worker processes, each with its own engine, event
loop and database pool, give the async host the same reach. The parent only starts, watches
and stops them: SIGTERM/SIGINT are forwarded, and each worker drains its in-flight requests.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from typing import Sequence, TextIO

from warpgrid.config import parse_listen
from warpgrid.hostsignals import handling


def reserve_port(listen: str) -> tuple[str, socket.socket]:
    """Binds (without listening) a SO_REUSEPORT socket on `listen`, turning port 0 into a
    concrete port. Kept open while the workers run, it reserves the port: another process
    cannot take it between the choice and the workers' binds, and being bound but not
    listening it never receives connections."""
    host, port = parse_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    return (f"[{host}]:{port}" if ":" in host else f"{host}:{port}"), sock


def run_workers(count: int, worker_argv: Sequence[str], listen: str, out: TextIO = sys.stdout) -> int:
    """Starts `count` copies of `python -m warpgrid.aio <worker_argv> --listen <listen>
    --reuse-port`, prints one Serving line once all serve, and waits for them."""
    procs = [subprocess.Popen([sys.executable, "-m", "warpgrid.aio", *worker_argv, "--listen", listen, "--reuse-port"],
                              stdout=subprocess.PIPE, text=True) for _ in range(count)]

    def forward(signum: int, _frame: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    with handling((signal.SIGTERM, signal.SIGINT), forward):
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            if not line.startswith("Serving"):
                forward(signal.SIGTERM, None)
                raise SystemExit(f"a worker failed to start (exit code {p.wait()})")
        host, port = parse_listen(listen)
        print(f"Serving http://{host}:{port} (async host, {count} workers)", file=out, flush=True)
        return max(p.wait() for p in procs)
