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
import json
import logging
import time
from pathlib import Path
from typing import Any, Optional

from wasmtime import Config, Engine, Store, WasmtimeError
from wasmtime.component import Linker

from warpgrid._wasmtime_fast import fastbytes
from warpgrid.cache import CompiledCache, default_cache_dir
from warpgrid.config import WarpConfig
from warpgrid.context import DeploymentStatus, InstanceContext
from warpgrid.engine import EpochTicker
from warpgrid.loaded import LoadedComponent
from warpgrid.faults import GuestFault, InstantiationError, ShimNotEnabledError, classify
from warpgrid.guest import HTTP_HANDLER
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.shims import build_shims, shim_for_import
from warpgrid.wasi_setup import WasiPlan

from . import capi
from .dbproxy import AsyncDatabaseProxy
from .driver import GuestTask

log = logging.getLogger(__name__)

REASONS = {500: "guest failed", 502: "guest cannot be instantiated", 504: "guest exceeded the request deadline"}


class AsyncWarpGridEngine:
    def __init__(self, config: WarpConfig | None = None, *, cache_dir: str | Path | None = None,
                 use_cache: bool = True, pooling_instances: int = 0, blocking_workers: int = 4,
                 max_in_flight: int = 256, time_slice_ticks: int = 1) -> None:
        self.config = config or WarpConfig()
        fastbytes.install()  # bulk list<u8> conversion + type caching, as the threaded engine
        wasm_config = Config()
        wasm_config.epoch_interruption = True
        capi.enable_component_model_async(wasm_config)
        fingerprint = "epoch_interruption=1;component_model=1;component_model_async=1"
        if pooling_instances:
            # A C guest with the preview1 adapter has several core instances and memories.
            capi.use_pooling_allocator(
                wasm_config, total_component_instances=pooling_instances,
                max_memory_size=self.config.limits.memory_mb << 20,
                total_memories=pooling_instances * 4, total_tables=pooling_instances * 8,
                total_core_instances=pooling_instances * 16)
            wasm_config.memory_init_cow = True
            fingerprint += f";pooling={pooling_instances}"
        self.engine = Engine(wasm_config)
        self.cache = CompiledCache(
            Path(cache_dir) if cache_dir else default_cache_dir() if use_cache else None,
            engine_fingerprint=fingerprint)
        self.deployment = DeploymentStatus()
        self.shims = build_shims(self.config)
        self._enabled = frozenset(s.name for s in self.shims)
        self._state_factories = [(s.name, s.new_instance_state) for s in self.shims]
        self.database: Optional[AsyncDatabaseProxy] = None
        self.linker = self._build_linker(blocking_workers)
        self.ticker = EpochTicker(self.engine, self.config.limits.epoch_tick_ms)
        self._memory_limit = self.config.limits.memory_mb << 20
        self._plans: dict[tuple[Any, ...], WasiPlan] = {}
        self.max_in_flight = max_in_flight
        self.time_slice_ticks = time_slice_ticks
        self._slots: Optional[asyncio.Semaphore] = None
        self.in_flight = 0
        self.peak_in_flight = 0
        self.served = 0
        self.faults = 0

    def _build_linker(self, blocking_workers: int) -> Linker:
        linker = Linker(self.engine)
        linker.add_wasip2()
        with linker.root() as root:
            for shim in self.shims:
                with root.add_instance(shim.interface) as instance:
                    if shim.name == "database_proxy":
                        self.database = AsyncDatabaseProxy(shim, blocking_workers)  # type: ignore[arg-type]
                        self.database.define(instance)
                    else:
                        shim.define(instance)
        return linker

    # -- components ----------------------------------------------------------------------------

    def load_component(self, path: str | Path) -> LoadedComponent:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"component {path} does not exist")
        try:
            result = self.cache.load(self.engine, path)
        except WasmtimeError as e:
            raise InstantiationError(f"{path}: not a valid WebAssembly component: {e}") from None
        ctype = result.component.type
        loaded = LoadedComponent(component=result.component, path=path, sha256=result.sha256,
                                 cache_hit=result.cache_hit, imports=list(ctype.imports(self.engine)),
                                 exports=list(ctype.exports(self.engine)))
        for name in loaded.imports:
            shim = shim_for_import(name)
            if shim and shim not in self._enabled:
                raise ShimNotEnabledError(
                    f"{path.name} imports {name}, but shim '{shim}' is disabled: "
                    f"set `{shim} = true` under [shims] in {self.config.source}")
        return loaded

    def _new_store(self, loaded: LoadedComponent, ctx: InstanceContext, stdout: Any, stderr: Any) -> Store:
        key = (tuple(ctx.argv), tuple(ctx.env.items()))
        plan = self._plans.get(key)
        if plan is None:
            preopens = [p for s in self.shims if hasattr(s, "preopens") for p in s.preopens(ctx)]
            plan = self._plans[key] = WasiPlan(ctx.argv, ctx.env.items(), preopens)
        store = Store(self.engine, data=ctx)
        store.set_wasi(plan.new_config(stdout, stderr, False))
        store.set_limits(memory_size=self._memory_limit)
        return store

    # -- requests --------------------------------------------------------------------------------

    async def call_handler(self, loaded: LoadedComponent, request: HttpRequest,
                           timeout_ms: Optional[int] = None, stderr: Any = None) -> HttpResponse:
        """A fresh instance handles `request`; raises GuestFault / InstantiationError."""
        timeout_ms = self.config.limits.request_timeout_ms if timeout_ms is None else timeout_ms
        deadline = time.monotonic() + timeout_ms / 1000
        ctx = InstanceContext(argv=[loaded.path.name], env=dict(self.config.env), deployment=self.deployment,
                              states={name: new_state() for name, new_state in self._state_factories})
        store = self._new_store(loaded, ctx, None, stderr)
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
                first = str(e).splitlines()[0] if str(e) else ""
                if first.startswith("component imports"):
                    raise InstantiationError(f"{loaded.path.name}: cannot link: {first}") from None
                raise classify(e) from e
            func = instance.get_func(store, loaded.export_index(HTTP_HANDLER, "handle"))
            if func is None:
                raise GuestFault("bad-export", f"export {HTTP_HANDLER}#handle is not a function")
            call = capi.call_async(func, store, request.to_wit())
            futures.append(call.future)
            try:
                await GuestTask(call.future, deadline).run()
                result = call.result()
            except WasmtimeError as e:
                raise classify(e) from e
            finally:
                call.release()
            try:
                return HttpResponse.from_wit(result)
            except (AttributeError, TypeError, ValueError) as e:
                raise GuestFault("bad-export", f"handler returned a malformed response: {e}") from None
        finally:
            for future in futures:
                future.delete()
            for state in ctx.states.values():  # as the threaded engine's _forget
                release = getattr(state, "release_all", None)
                if release is not None:
                    release()
            store.close()

    async def handle(self, loaded: LoadedComponent, request: HttpRequest) -> HttpResponse:
        """Never raises for guest problems: every fault becomes a 5xx with an error id."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        async with self._slots:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                response = await self.call_handler(loaded, request)
            except GuestFault as fault:
                return self._fault_response(request, fault, fault.http_status)
            except (InstantiationError, ShimNotEnabledError) as e:
                return self._fault_response(request, GuestFault("instantiate", str(e)), 502)
            except Exception as e:  # a host bug must cost one request, not the worker
                log.exception("unexpected error handling %s %s", request.method, request.uri)
                return self._fault_response(request, classify(e), 500)
            finally:
                self.in_flight -= 1
        self.served += 1
        return response

    def _fault_response(self, request: HttpRequest, fault: GuestFault, status: int) -> HttpResponse:
        self.faults += 1
        log.error("error_id=%s %s %s -> %d (%s): %s", fault.error_id, request.method, request.uri,
                  status, fault.kind, fault.detail)
        body = {"error": REASONS.get(status, "guest failed"), "kind": fault.kind, "error_id": fault.error_id}
        return HttpResponse(status, [("content-type", "application/json"), ("x-warpgrid-error-id", fault.error_id)],
                            (json.dumps(body) + "\n").encode())

    def shim(self, name: str) -> Any:
        for shim in self.shims:
            if shim.name == name:
                return shim
        raise KeyError(f"shim {name!r} is not enabled")

    def close(self) -> None:
        self.ticker.stop()
        if self.database is not None:
            self.database.close()
        for shim in self.shims:
            shim.close()

    def __enter__(self) -> "AsyncWarpGridEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
