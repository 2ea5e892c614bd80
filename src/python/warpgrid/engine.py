"""WarpGridEngine: one wasmtime Engine + Linker with the enabled shims, shared by all instances.

The linker is built once (WASI p2 + every enabled shim); each instantiation gets a fresh Store
carrying an InstanceContext, a WasiConfig (mandatory: a WASI call on a store without one aborts
the whole Python process), the memory limit and an epoch deadline driven by a ticker thread.
The WasiConfig's argv/env/preopens are encoded once per distinct (argv, env) and replayed
(warpgrid.wasi_setup), so a fresh instance per request costs little more than bare wasmtime-py.
"""

from __future__ import annotations

import logging
import math
import threading
import weakref
from pathlib import Path
from typing import Any, Callable

from wasmtime import Config, Engine, Store, WasmtimeError
from wasmtime.component import Linker

from warpgrid.cache import CompiledCache, default_cache_dir
from warpgrid.config import WarpConfig
from warpgrid.context import DeploymentStatus, InstanceContext
from warpgrid.faults import InstantiationError, ShimNotEnabledError, classify
from warpgrid.guest import GuestInstance
from warpgrid.loaded import LoadedComponent
from warpgrid.shims import SHIMS, build_shims, shim_for_import
from warpgrid.shims.base import Preopen, Shim
from warpgrid.wasi_setup import WasiPlan

try:
    from warpgrid._wasmtime_fast import fastbytes
except ImportError:
    fastbytes = None

log = logging.getLogger(__name__)

NO_DEADLINE_TICKS = 1 << 40
# Distinct (argv, env) pairs whose encoded WASI set-up is kept; beyond that the oldest is dropped.
MAX_WASI_PLANS = 64
Output = Callable[[bytes], Any]


class EpochTicker:
    """Advances the engine epoch every tick so store deadlines measure wall time."""

    def __init__(self, engine: Engine, tick_ms: int) -> None:
        self.tick_ms = tick_ms
        self._engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="warpgrid-epoch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_ms / 1000):
            self._engine.increment_epoch()

    def ticks_for(self, timeout_ms: int) -> int:
        """Deadline in ticks; 0 means none. One extra tick: the current tick is partly over."""
        return NO_DEADLINE_TICKS if timeout_ms <= 0 else math.ceil(timeout_ms / self.tick_ms) + 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


class WarpGridEngine:
    def __init__(
        self,
        config: WarpConfig | None = None,
        *,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
    ) -> None:
        self.config = config or WarpConfig()
        if fastbytes is not None:
            fastbytes.install()
        wasm_config = Config()
        wasm_config.epoch_interruption = True
        self.engine = Engine(wasm_config)
        self.cache = CompiledCache(
            Path(cache_dir) if cache_dir else default_cache_dir() if use_cache else None,
            engine_fingerprint="epoch_interruption=1;component_model=1",
        )
        self.deployment = DeploymentStatus()
        self.shims: list[Shim] = build_shims(self.config)
        self._enabled = frozenset(s.name for s in self.shims)
        self._state_factories = [(s.name, s.new_instance_state) for s in self.shims]
        self.linker = self._build_linker()
        self.ticker = EpochTicker(self.engine, self.config.limits.epoch_tick_ms)
        self._live: "weakref.WeakSet[GuestInstance]" = weakref.WeakSet()
        self._live_lock = threading.Lock()
        self._sequential_lock = threading.Lock()
        self._wasi_plans: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], WasiPlan] = {}
        self._wasi_plans_lock = threading.Lock()
        self._memory_limit = self.config.limits.memory_mb << 20
        self._log_active_shims()

    # -- setup -------------------------------------------------------------------------------

    def _build_linker(self) -> Linker:
        linker = Linker(self.engine)
        linker.add_wasip2()
        with linker.root() as root:
            for shim in self.shims:
                with root.add_instance(shim.interface) as instance:
                    shim.define(instance)
        return linker

    def _log_active_shims(self) -> None:
        active = {s.name for s in self.shims}
        log.info("active shims: %s", ", ".join(sorted(active)) or "none")
        for shim in self.shims:
            log.info("  %s (%s): %s", shim.name, shim.interface, shim.describe())
        for spec in SHIMS:
            if spec.name not in active:
                log.info("  %s: disabled (not linked)", spec.name)

    @property
    def enabled_shims(self) -> list[str]:
        return [s.name for s in self.shims]

    def shim(self, name: str) -> Shim:
        for shim in self.shims:
            if shim.name == name:
                return shim
        raise KeyError(f"shim {name!r} is not enabled")

    # -- components --------------------------------------------------------------------------

    def load_component(self, path: str | Path) -> LoadedComponent:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"component {path} does not exist")
        try:
            result = self.cache.load(self.engine, path)
        except WasmtimeError as e:
            raise InstantiationError(f"{path}: not a valid WebAssembly component: {e}") from None
        ctype = result.component.type
        return LoadedComponent(
            component=result.component,
            path=path,
            sha256=result.sha256,
            cache_hit=result.cache_hit,
            imports=list(ctype.imports(self.engine)),
            exports=list(ctype.exports(self.engine)),
        )

    def instantiate(
        self,
        loaded: LoadedComponent,
        *,
        argv: list[str] | None = None,
        env: dict[str, str] | None = None,
        stdout: Output | None = None,
        stderr: Output | None = None,
        inherit_stdin: bool = False,
        timeout_ms: int | None = None,
    ) -> GuestInstance:
        """A fresh instance with its own Store. Raises ShimNotEnabledError / InstantiationError
        for link problems and GuestFault when the guest's initialization traps."""
        self.check_shims(loaded)
        ctx = InstanceContext(
            argv=argv if argv is not None else [loaded.path.name],
            env={**self.config.env, **env} if env else dict(self.config.env),
            deployment=self.deployment,
            states={name: new_state() for name, new_state in self._state_factories},
        )
        store = Store(self.engine, data=ctx)
        store.set_wasi(self._wasi_plan(ctx).new_config(stdout, stderr, inherit_stdin))
        store.set_limits(memory_size=self._memory_limit)
        deadline = self.config.limits.request_timeout_ms if timeout_ms is None else timeout_ms
        store.set_epoch_deadline(self.ticker.ticks_for(deadline))
        try:
            instance = self.linker.instantiate(store, loaded.component)
        except WasmtimeError as e:
            first = str(e).splitlines()[0] if str(e) else ""
            if first.startswith("component imports"):
                raise InstantiationError(
                    f"{loaded.path.name}: cannot link: {first} (this host provides WASI 0.2 and the "
                    f"enabled warpgrid shims: {', '.join(self.enabled_shims) or 'none'})"
                ) from None
            raise classify(e) from e
        guest = GuestInstance(
            store, instance, loaded, ctx, self.ticker.ticks_for, deadline, self._sequential_lock, self._forget
        )
        with self._live_lock:
            self._live.add(guest)
        return guest

    def check_shims(self, loaded: LoadedComponent) -> None:
        """Every shim the component imports must be enabled. Checked once per component and
        engine: both sides are fixed after construction."""
        enabled = self._enabled
        if loaded._checked_against is enabled:
            return
        for name in loaded.imports:
            shim = shim_for_import(name)
            if shim and shim not in enabled:
                raise ShimNotEnabledError(
                    f"{loaded.path.name} imports {name}, but shim '{shim}' is disabled: "
                    f"set `{shim} = true` under [shims] in {self.config.source}"
                )
        loaded._checked_against = enabled

    def _wasi_plan(self, ctx: InstanceContext) -> WasiPlan:
        """The encoded argv/env/preopens for ``ctx``, built once per distinct (argv, env).

        Shims' ``preopens(ctx)`` may depend only on ``ctx.argv`` and ``ctx.env`` (the filesystem
        shim's /proc/self mirrors exactly those), which is what makes the plan cacheable. A fresh
        instance per request repeats the same pair, so the per-instance cost is one dict lookup
        plus the C calls that build the WasiConfig."""
        key = (tuple(ctx.argv), tuple(ctx.env.items()))
        plan = self._wasi_plans.get(key)
        if plan is None:
            with self._wasi_plans_lock:
                plan = self._wasi_plans.get(key)
                if plan is None:
                    plan = WasiPlan(ctx.argv, ctx.env.items(), self._preopens(ctx))
                    if len(self._wasi_plans) >= MAX_WASI_PLANS:
                        self._wasi_plans.pop(next(iter(self._wasi_plans)))
                    self._wasi_plans[key] = plan
        return plan

    def _preopens(self, ctx: InstanceContext) -> list[Preopen]:
        return [p for shim in self.shims for p in shim.preopens(ctx)]

    def _forget(self, guest: GuestInstance) -> None:
        with self._live_lock:
            self._live.discard(guest)
        # Per-instance state may hold host resources (the database proxy's connections): an
        # instance that ends releases them now rather than at garbage collection.
        states = guest.context.states
        for shim in self.shims:
            state = states.get(shim.name)
            if state is not None:
                shim.release_instance_state(state)

    # -- host-side control -------------------------------------------------------------------

    def live_instances(self) -> list[GuestInstance]:
        with self._live_lock:
            return list(self._live)

    def deliver_signal(self, signal: str) -> int:
        """Queues ``signal`` (terminate|hangup|interrupt) on every live instance; returns how
        many queued it (instances that did not register for it ignore it)."""
        return sum(guest.deliver_signal(signal) for guest in self.live_instances())

    def close(self) -> None:
        self.ticker.stop()
        with self._wasi_plans_lock:
            self._wasi_plans.clear()  # their preopens point into shim directories removed below
        for shim in self.shims:
            shim.close()

    def __enter__(self) -> "WarpGridEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
