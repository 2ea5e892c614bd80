"""`warpgrid serve --workers N`: pre-forked worker processes sharing one listening socket.

Why processes: the Python work around each guest call (framing, lifting/lowering values,
shim calls) holds the GIL, so one process uses about one core however many threads it runs.

How: the parent binds the socket, then forks the workers one after another *before it has
created any wasmtime object or thread* (a fork copies no engine, epoch ticker or compiler
thread pool, which would not survive it). Each worker builds its own engine, loads the
component (the first one fills the compiled-code cache, the others read it) and accepts on
the inherited socket; the kernel hands each new connection to one waiting worker. A worker
reports readiness through a pipe; the parent prints ``Serving URL`` when all are ready.

The parent supervises: a worker that dies while serving is replaced (and logged); a worker
that fails while starting stops the whole server with that worker's exit code. On SIGTERM or
SIGINT the parent forwards SIGTERM to every worker, each drains gracefully (guests get
``terminate``, in-flight requests finish), and the parent returns when all have exited.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from warpgrid.hostsignals import handling
from warpgrid.http.server import url_of

log = logging.getLogger(__name__)

Ready = Callable[[], None]
# Runs in the worker after fork: serves until SIGTERM; calls ready() once it accepts.
WorkerMain = Callable[[Ready], int]
READY = b"ready\n"


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _spawn(worker: WorkerMain) -> tuple[int, bool]:
    """Forks one worker and waits until it is ready or gone; returns (pid, ready)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(r)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, signal.SIG_DFL)
        code = 1
        try:

            def ready() -> None:
                os.write(w, READY)
                os.close(w)

            code = worker(ready)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            log.exception("worker %d failed", os.getpid())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(w)
    try:
        ok = os.read(r, len(READY)) == READY
    finally:
        os.close(r)
    return pid, ok


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def run_workers(sock: socket.socket, count: int, worker: WorkerMain, out: TextIO = sys.stdout,
                drain_seconds: float = 10.0) -> int:
    """Serves with ``count`` worker processes until SIGTERM/SIGINT; returns the exit code."""
    pids: set[int] = set()

    def stop_all(sig: int = signal.SIGTERM) -> None:
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    for _ in range(count):
        pid, ok = _spawn(worker)
        if not ok:
            code = _exit_code(os.waitpid(pid, 0)[1])
            log.error("worker %d exited with %d while starting; stopping", pid, code)
            stop_all()
            _reap(pids, time.monotonic() + drain_seconds)
            return code or 1
        pids.add(pid)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s: shutting down (%d workers)", signal.Signals(signum).name, len(pids))
        stop.set()

    with handling((signal.SIGTERM, signal.SIGINT), on_signal):
        log.info("%d workers ready", count)
        print(f"Serving {url_of(sock)}", file=out, flush=True)
        while not stop.wait(0.2):
            for pid in list(pids):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    pids.discard(pid)
                if done and not stop.is_set():
                    log.warning("worker %d exited with %d while serving; starting a new one", pid, _exit_code(status))
                    new, ok = _spawn(worker)
                    if ok:
                        pids.add(new)
                    else:
                        os.waitpid(new, 0)
                        log.error("replacement worker failed to start; serving with %d worker(s)", len(pids))
        stop_all()
        _reap(pids, time.monotonic() + drain_seconds + 5)
    sock.close()
    return 0


def _reap(pids: set[int], deadline: float) -> None:
    """Waits for every worker until ``deadline``, then kills the stragglers."""
    while pids and time.monotonic() < deadline:
        for pid in list(pids):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    pids.discard(pid)
            except ChildProcessError:
                pids.discard(pid)
        time.sleep(0.05)
    for pid in pids:
        log.warning("worker %d did not stop in time; killing it", pid)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    pids.clear()
