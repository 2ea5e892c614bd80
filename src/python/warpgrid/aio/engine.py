"""AsyncWarpGridEngine: the shim host's engine on wasmtime fibers, driven by asyncio.

Same contract as the threaded `warpgrid.engine.WarpGridEngine` (one Engine + Linker with the
enabled shims; a fresh Store and instance per request; memory limit; request deadline; faults
as `GuestFault`), with these differences:
- time slicing: epoch interruption makes a guest that computes without host calls yield to the
  event loop every `time_slice_ticks` epoch ticks (10 ms each by default) instead of holding the
  worker; the request deadline is enforced on wall-clock time by `GuestTask` (0 turns slicing
  off: the epoch deadline then traps at the request deadline, as in the threaded host);
- the Config enables the component-model-async proposal, so WASI 0.3 (async-lifted) guests
  load, and the C API's async entry points are used for instantiation and calls;
- the database-proxy imports are async host functions (`aio.dbproxy`): a guest waiting on
  its database parks its fiber and the worker's event loop runs other requests' guests;
- optionally the pooling instance allocator with copy-on-write memory images, so a fresh
  instance per request reuses warm slots.
Every other shim is linked exactly as in the threaded host (its host functions are quick).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Optional

from wasmtime import Config, WasmtimeError

from warpgrid.config import WarpConfig
from warpgrid.engine import EngineCore
from warpgrid.faults import GuestFault, InstantiationError, classify
from warpgrid.guest import HTTP_HANDLER
from warpgrid.guest_output import RELEASES
from warpgrid.http.dispatch import as_fault, fault_response
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.loaded import LoadedComponent
from warpgrid.shims.base import Shim
from warpgrid.shims.http_body import request_to_guest, response_from_guest

from . import capi
from .dbproxy import AsyncDatabaseProxy
from .driver import GuestTask

log = logging.getLogger(__name__)


class AsyncWarpGridEngine(EngineCore):
    def __init__(self, config: WarpConfig | None = None, *, cache_dir: str | Path | None = None,
                 use_cache: bool = True, pooling_instances: int = 0, blocking_workers: int = 4,
                 max_in_flight: int = 256, time_slice_ticks: int = 1) -> None:
        memory_mb = (config or WarpConfig()).limits.memory_mb
        wasm_config = Config()
        wasm_config.epoch_interruption = True
        capi.enable_component_model_async(wasm_config)
        fingerprint = "epoch_interruption=1;component_model=1;component_model_async=1"
        if pooling_instances:
            # A C guest with the preview1 adapter has several core instances and memories.
            capi.use_pooling_allocator(
                wasm_config, total_component_instances=pooling_instances,
                max_memory_size=memory_mb << 20,
                total_memories=pooling_instances * 4, total_tables=pooling_instances * 8,
                total_core_instances=pooling_instances * 16)
            wasm_config.memory_init_cow = True
            fingerprint += f";pooling={pooling_instances}"
        self.database: Optional[AsyncDatabaseProxy] = None
        self._blocking_workers = blocking_workers  # read by _define_shim, during super().__init__
        super().__init__(config, wasm_config, fingerprint, cache_dir, use_cache)
        self.max_in_flight = max_in_flight
        self.time_slice_ticks = time_slice_ticks
        self._slots: Optional[asyncio.Semaphore] = None
        self.in_flight = 0
        self.peak_in_flight = 0
        self.served = 0
        self.faults = 0

    def _define_shim(self, shim: Shim, instance: Any) -> None:
        if shim.name == "database_proxy":
            self.database = AsyncDatabaseProxy(shim, self._blocking_workers)  # type: ignore[arg-type]
            self.database.define(instance)
        else:
            shim.define(instance)

    # -- components ----------------------------------------------------------------------------

    def load_component(self, path: str | Path) -> LoadedComponent:
        """Loads and checks the shims at once (the threaded engine checks at instantiation)."""
        loaded = super().load_component(path)
        self.check_shims(loaded)
        return loaded

    # -- requests --------------------------------------------------------------------------------

    async def call_handler(self, loaded: LoadedComponent, request: HttpRequest,
                           timeout_ms: Optional[int] = None, stderr: Any = None) -> HttpResponse:
        """A fresh instance handles `request`; raises GuestFault / InstantiationError."""
        timeout_ms = self.config.limits.request_timeout_ms if timeout_ms is None else timeout_ms
        deadline = time.monotonic() + timeout_ms / 1000
        ctx = self.new_context(loaded)
        store = self.new_store(ctx, None, stderr)
        if self.time_slice_ticks:
            # A guest computing without host calls yields to the loop every slice instead of
            # holding it until its deadline; the wall-clock deadline is GuestTask's.
            store.set_epoch_deadline(self.time_slice_ticks)
            capi.epoch_deadline_async_yield_and_update(store, self.time_slice_ticks)
        else:
            store.set_epoch_deadline(self.ticker.ticks_for(timeout_ms))
        futures: list[capi.CallFuture] = []  # deleted before the store they borrow
        try:
            pending = capi.instantiate_async(self.linker, store, loaded.component)
            futures.append(pending.future)
            await GuestTask(pending.future, deadline).run()
            try:
                instance = pending.instance()
            except WasmtimeError as e:
                failure = loaded.link_failure(e, sorted(self._enabled))
                raise failure from (None if isinstance(failure, InstantiationError) else e)
            func = instance.get_func(store, loaded.export_index(HTTP_HANDLER, "handle"))
            if func is None:
                raise GuestFault("bad-export", f"export {HTTP_HANDLER}#handle is not a function")
            call = capi.call_async(func, store, request_to_guest(request, ctx, loaded))
            futures.append(call.future)
            try:
                await GuestTask(call.future, deadline).run()
                result = call.result()
            except WasmtimeError as e:
                raise classify(e) from e
            finally:
                call.release()
            try:
                return response_from_guest(result, ctx, loaded)
            except (AttributeError, TypeError, ValueError) as e:
                raise GuestFault("bad-export", f"handler returned a malformed response: {e}") from None
        finally:
            for future in futures:
                future.delete()
            self.release_states(ctx.states)
            RELEASES.delete(store)

    async def handle(self, loaded: LoadedComponent, request: HttpRequest) -> HttpResponse:
        """Never raises for guest problems: every fault becomes a 5xx with an error id."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        async with self._slots:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                response = await self.call_handler(loaded, request)
            except Exception as e:  # every fault becomes a 5xx (a host bug costs one request)
                self.faults += 1
                return fault_response(request, *as_fault(e, request))
            finally:
                self.in_flight -= 1
        self.served += 1
        return response

    def close(self) -> None:
        if self.database is not None:
            self.database.close()
        super().close()
