"""Per-instance state handed to host functions through the wasmtime Store.

The engine creates one :class:`InstanceContext` per instantiation and passes it as
``Store(engine, data=ctx)``. Host functions receive a ``StoreContext``, which in wasmtime-py
50.0.1 has no ``data()`` method (only ``Store`` has one), so :func:`context_of` reads the store
data through the same C API call ``Store.data()`` uses. Shims call
``context_of(store).state_for(self.name)``.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime import _value as wasm_value

_ids = itertools.count(1)


@dataclass
class DeploymentStatus:
    """Host-visible facts a guest declared about itself (shared by all its instances)."""

    threading_model: str = "single-threaded"
    parallel_required: bool = False
    sequential: bool = False
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def declare_threading(self, model: str) -> None:
        with self._lock:
            self.threading_model = model
            if model == "parallel-required":
                self.parallel_required = True
            if model == "cooperative":
                self.sequential = True


@dataclass(eq=False)
class InstanceContext:
    """Everything one guest instance owns on the host side."""

    argv: list[str]
    env: dict[str, str]
    deployment: DeploymentStatus
    states: dict[str, Any] = field(default_factory=dict)
    instance_id: int = field(default_factory=lambda: next(_ids))
    # time.monotonic() by which the current guest call must end (None: no deadline). Blocking
    # host calls (the database proxy's recv) wait no longer than this.
    deadline: float | None = None

    def state_for(self, shim_name: str) -> Any:
        try:
            return self.states[shim_name]
        except KeyError:
            raise LookupError(f"shim {shim_name!r} has no state in instance {self.instance_id}") from None

    def __bool__(self) -> bool:
        # wasmtime-py drops falsy store data (`if data:`); an instance context is always data.
        return True


def expire_deadline(store: Any) -> None:
    """Makes the guest trap with a deadline fault at its next epoch check, from inside a host
    call whose wait the request deadline cut short: the guest then answers 504 at once rather
    than acting on the host call's `timeout` (the epoch may lag the wall clock by a tick)."""
    ffi.wasmtime_context_set_epoch_deadline(store._context(), 0)


def context_of(store: Any) -> InstanceContext:
    """The InstanceContext of the store a host function was called with."""
    if hasattr(store, "data"):
        data = store.data()
    else:
        raw = ffi.wasmtime_context_get_data(store._context())
        data = wasm_value._unintern(raw) if raw else None
    if not isinstance(data, InstanceContext):
        raise RuntimeError("store has no InstanceContext: instantiate through WarpGridEngine")
    return data
