"""One instantiated guest: call its HTTP handler or its wasi:cli/run export.

An instance is single-use after a fault (wasmtime answers "cannot enter component instance"
forever), so a fault marks it poisoned and the trigger makes a new one.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from wasmtime import ExitTrap, Store
from wasmtime.component import Instance

from warpgrid.context import InstanceContext
from warpgrid.faults import GuestFault, classify
from warpgrid.guest_output import RELEASES
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.shims.http_body import request_to_guest, response_from_guest

if TYPE_CHECKING:
    from warpgrid.loaded import LoadedComponent

HTTP_HANDLER = "warpgrid:shim/http-handler@0.1.0"
CLI_RUN = "wasi:cli/run@0.2.12"


def _post_return_needed() -> bool:
    """Since wasmtime 43 the C API runs the canonical ABI post-return inside the call itself and
    ``wasmtime_component_func_post_return`` is a deprecated no-op; older libraries need the call."""
    try:
        from importlib.metadata import version

        return int(version("wasmtime").split(".")[0]) < 43
    except Exception:  # unknown version: calling it is always correct
        return True


NEEDS_POST_RETURN = _post_return_needed()


class GuestInstance:
    def __init__(
        self,
        store: Store,
        instance: Instance,
        loaded: "LoadedComponent",
        context: InstanceContext,
        deadline_ticks: Callable[[int], int],
        default_timeout_ms: int,
        sequential_lock: threading.Lock,
        on_close: Callable[["GuestInstance"], None],
    ) -> None:
        self.store = store
        self.instance = instance
        self.loaded = loaded
        self.context = context
        self.poisoned = False
        self._deadline_ticks = deadline_ticks
        self.default_timeout_ms = default_timeout_ms
        self._default_ticks = deadline_ticks(default_timeout_ms)
        self._sequential_lock = sequential_lock
        self._on_close = on_close
        self._released = False
        self._funcs: dict[tuple[str, str], Any] = {}  # export -> Func of this instance

    def call_handler(self, request: HttpRequest, timeout_ms: int | None = None) -> HttpResponse:
        """Calls the http-handler export; raises GuestFault (and poisons) on any failure.
        ``timeout_ms`` defaults to the instance's deadline ([limits] request_timeout_ms)."""
        func = self._func(HTTP_HANDLER, "handle")
        record = request_to_guest(request, self.context, self.loaded)
        if self.context.deployment.sequential:  # threading shim: guest declared "cooperative"
            with self._sequential_lock:
                result = self._call(func, timeout_ms, record)
        else:
            result = self._call(func, timeout_ms, record)
        try:
            return response_from_guest(result, self.context, self.loaded)
        except (AttributeError, TypeError, ValueError) as e:
            raise GuestFault("bad-export", f"handler returned a malformed response: {e}") from None

    def run(self, timeout_ms: int | None = None) -> int:
        """Runs wasi:cli/run; returns the exit code (0 ok, 1 err, or the guest's exit(n)).
        ``timeout_ms`` defaults to the instance's deadline; 0 means none."""
        func = self._func(CLI_RUN, "run")
        try:
            result = self._call(func, timeout_ms)
        except ExitTrap as e:
            return e.code
        return 0 if result is None or getattr(result, "tag", "ok") == "ok" else 1

    def deliver_signal(self, signal: str) -> bool:
        queue = self.context.states.get("signals")
        return queue is not None and queue.deliver(signal)

    def release(self) -> None:
        """Gives back what the instance holds on the host (its database connections, its place
        among the live instances). Once; the instance must not be called afterwards."""
        if not self._released:
            self._released = True
            self._on_close(self)

    def close(self) -> None:
        """Releases the shim state and deletes the Store (its memory and WASI context) now."""
        self.release()
        RELEASES.delete(self.store)

    def __enter__(self) -> "GuestInstance":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _func(self, interface: str, name: str) -> Any:
        if self.poisoned:
            raise GuestFault("trap", "instance was poisoned by an earlier fault; create a new one")
        func = self._funcs.get((interface, name))
        if func is None:
            index = self.loaded.export_index(interface, name)
            func = self.instance.get_func(self.store, index)
            if func is None:
                raise GuestFault("bad-export", f"export {interface}#{name} is not a function")
            self._funcs[(interface, name)] = func
        return func

    def _call(self, func: Any, timeout_ms: int | None, *args: Any) -> Any:
        ticks = self._default_ticks if timeout_ms is None else self._deadline_ticks(timeout_ms)
        self.store.set_epoch_deadline(ticks)
        ms = self.default_timeout_ms if timeout_ms is None else timeout_ms
        self.context.deadline = time.monotonic() + ms / 1000 if ms > 0 else None
        try:
            result = func(self.store, *args)
            if NEEDS_POST_RETURN:
                func.post_return(self.store)
            return result
        except ExitTrap:
            self.poisoned = True
            raise
        except BaseException as e:
            self.poisoned = True
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            raise classify(e) from e
