"""WarpGridEngine: one wasmtime Engine + Linker with the enabled shims, shared by all instances.

`EngineCore` holds what it shares with the async host's engine (aio/engine.py): the Engine and
compiled-component cache, the linker, the epoch ticker, instance contexts and Stores, and the
release of per-instance shim state; each subclass adds its way of running guests.

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
from typing import Any, Callable, Self

from wasmtime import Config, Engine, Store, WasmtimeError
from wasmtime.component import Linker

from warpgrid.cache import CompiledCache, default_cache_dir
from warpgrid.config import WarpConfig
from warpgrid.context import DeploymentStatus, InstanceContext
from warpgrid.faults import InstantiationError
from warpgrid.guest import GuestInstance
from warpgrid.guest_output import RELEASES
from warpgrid.loaded import LoadedComponent
from warpgrid.shims import SHIMS, build_shims
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


class EngineCore:
    """What the threaded and the async host's engines share: one wasmtime Engine with the
    compiled-component cache, the enabled shims linked once, the epoch ticker, the per-instance
    context and Store set-up (WASI plan, memory limit), and the release of per-instance state.

    Subclasses pass their wasmtime Config and its cache fingerprint, and may link a shim their
    own way (`_define_shim`: the async host's database proxy).
    """

    def __init__(
        self,
        config: WarpConfig | None,
        wasm_config: Config,
        fingerprint: str,
        cache_dir: str | Path | None,
        use_cache: bool,
    ) -> None:
        self.config = config or WarpConfig()
        if fastbytes is not None:
            fastbytes.install()  # bulk list<u8> conversion + type caching
        self.engine = Engine(wasm_config)
        self.cache = CompiledCache(
            Path(cache_dir) if cache_dir else default_cache_dir() if use_cache else None,
            engine_fingerprint=fingerprint,
        )
        self.deployment = DeploymentStatus()
        self.shims: list[Shim] = build_shims(self.config)
        self._enabled = frozenset(s.name for s in self.shims)
        self._state_factories = [(s.name, s.new_instance_state) for s in self.shims]
        self._memory_limit = self.config.limits.memory_mb << 20
        self._wasi_plans: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], WasiPlan] = {}
        self._wasi_plans_lock = threading.Lock()
        self.linker = self._build_linker()
        self.ticker = EpochTicker(self.engine, self.config.limits.epoch_tick_ms)

    # -- setup -------------------------------------------------------------------------------

    def _build_linker(self) -> Linker:
        linker = Linker(self.engine)
        linker.add_wasip2()
        with linker.root() as root:
            for shim in self.shims:
                with root.add_instance(shim.interface) as instance:
                    self._define_shim(shim, instance)
        return linker

    def _define_shim(self, shim: Shim, instance: Any) -> None:
        shim.define(instance)

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
        return LoadedComponent.load(self.engine, self.cache, path)

    def check_shims(self, loaded: LoadedComponent) -> None:
        loaded.check_shims(self._enabled, self.config.source)

    # -- instances ---------------------------------------------------------------------------

    def new_context(self, loaded: LoadedComponent, argv: list[str] | None = None,
                    env: dict[str, str] | None = None) -> InstanceContext:
        """The host-side context of a fresh instance: argv, env over warp.toml's, shim states."""
        return InstanceContext(
            argv=argv if argv is not None else [loaded.path.name],
            env={**self.config.env, **env} if env else dict(self.config.env),
            deployment=self.deployment,
            states={name: new_state() for name, new_state in self._state_factories},
        )

    def new_store(self, ctx: InstanceContext, stdout: Any, stderr: Any, inherit_stdin: bool = False) -> Store:
        """A Store carrying `ctx`, its WasiConfig (mandatory: a WASI call on a store without one
        aborts the whole Python process) and the memory limit. Custom outputs are tracked until
        wasmtime releases them (warpgrid.guest_output)."""
        (stdout, stdout_released), (stderr, stderr_released) = RELEASES.wrap(stdout), RELEASES.wrap(stderr)
        store = Store(self.engine, data=ctx)
        store.set_wasi(self._wasi_plan(ctx).new_config(stdout, stderr, inherit_stdin))
        store.set_limits(memory_size=self._memory_limit)
        RELEASES.owned_by(store, [e for e in (stdout_released, stderr_released) if e is not None])
        return store

    def release_states(self, states: dict[str, Any]) -> None:
        """Per-instance state may hold host resources (the database proxy's connections): an
        instance that ends releases them now rather than at garbage collection."""
        for shim in self.shims:
            state = states.get(shim.name)
            if state is not None:
                shim.release_instance_state(state)

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

    # -- shutdown ----------------------------------------------------------------------------

    def close(self) -> None:
        self.ticker.stop()
        with self._wasi_plans_lock:
            self._wasi_plans.clear()  # their preopens point into shim directories removed below
        for shim in self.shims:
            shim.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WarpGridEngine(EngineCore):
    """The threaded host's engine: instances made on demand, called from any thread."""

    def __init__(
        self,
        config: WarpConfig | None = None,
        *,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
    ) -> None:
        wasm_config = Config()
        wasm_config.epoch_interruption = True
        super().__init__(config, wasm_config, "epoch_interruption=1;component_model=1", cache_dir, use_cache)
        self._live: "weakref.WeakSet[GuestInstance]" = weakref.WeakSet()
        self._live_lock = threading.Lock()
        self._sequential_lock = threading.Lock()
        self._log_active_shims()

    def _log_active_shims(self) -> None:
        active = {s.name for s in self.shims}
        log.info("active shims: %s", ", ".join(sorted(active)) or "none")
        for shim in self.shims:
            log.info("  %s (%s): %s", shim.name, shim.interface, shim.describe())
        for spec in SHIMS:
            if spec.name not in active:
                log.info("  %s: disabled (not linked)", spec.name)

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
        ctx = self.new_context(loaded, argv, env)
        store = self.new_store(ctx, stdout, stderr, inherit_stdin)
        deadline = self.config.limits.request_timeout_ms if timeout_ms is None else timeout_ms
        store.set_epoch_deadline(self.ticker.ticks_for(deadline))
        try:
            instance = self.linker.instantiate(store, loaded.component)
        except WasmtimeError as e:
            failure = loaded.link_failure(e, self.enabled_shims)
            raise failure from (None if isinstance(failure, InstantiationError) else e)
        guest = GuestInstance(
            store, instance, loaded, ctx, self.ticker.ticks_for, deadline, self._sequential_lock, self._forget
        )
        with self._live_lock:
            self._live.add(guest)
        return guest

    def _forget(self, guest: GuestInstance) -> None:
        with self._live_lock:
            self._live.discard(guest)
        self.release_states(guest.context.states)

    # -- host-side control -------------------------------------------------------------------

    def live_instances(self) -> list[GuestInstance]:
        with self._live_lock:
            return list(self._live)

    def deliver_signal(self, signal: str) -> int:
        """Queues ``signal`` (terminate|hangup|interrupt) on every live instance; returns how
        many queued it (instances that did not register for it ignore it)."""
        return sum(guest.deliver_signal(signal) for guest in self.live_instances())
