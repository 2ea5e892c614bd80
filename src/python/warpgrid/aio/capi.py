"""Typed access to the async parts of the wasmtime C API that wasmtime-py 50 does not wrap.

wasmtime-py's `wasmtime._bindings` (re-exported as `wasmtime._ffi`) already declares every
async entry point with ctypes signatures; this module gives them Python shapes and owns the
lifetimes the C side assumes (see `CallFuture`). Upstream tracks a proper wrapper as
wasmtime-py issue 333; when it lands this module should shrink to re-exports.

Model (wasmtime's "async support", stackful fibers): an async call runs the guest on its own
fiber stack. `poll()` resumes the fiber; it returns False when the guest is suspended inside an
async host function whose continuation is not ready, True when the call finished. Polling is
synchronous and single-threaded: one OS thread can keep many calls suspended at once.
"""

from __future__ import annotations

import ctypes
from abc import ABC, abstractmethod
from ctypes import POINTER, byref
from typing import Any, Callable, Optional

from wasmtime import Config, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component._instance import Instance

ERROR_PTR = POINTER(ffi.wasmtime_error_t)
NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()


def enable_component_model_async(config: Config, *, stackful: bool = False,
                                  builtins: bool = False) -> None:
    """Turns on the component-model-async proposal (WASI 0.3 guests: async lifts, futures,
    streams). `stackful` and `builtins` are the proposal's optional parts."""
    ffi.wasmtime_config_wasm_component_model_async_set(config.ptr(), True)
    if stackful:
        ffi.wasmtime_config_wasm_component_model_async_stackful_set(config.ptr(), True)
    if builtins:
        ffi.wasmtime_config_wasm_component_model_more_async_builtins_set(config.ptr(), True)


def set_async_stack_size(config: Config, size: int) -> None:
    """Fiber stack size for async calls; host functions written in Python run on it."""
    ffi.wasmtime_config_async_stack_size_set(config.ptr(), size)


def use_pooling_allocator(config: Config, *, total_component_instances: int,
                          max_memory_size: int, total_memories: Optional[int] = None,
                          total_tables: Optional[int] = None, total_stacks: Optional[int] = None,
                          total_core_instances: Optional[int] = None,
                          max_unused_warm_slots: Optional[int] = None,
                          linear_memory_keep_resident: Optional[int] = None) -> None:
    """Pre-reserves instance slots so a fresh instance per request reuses warm memory.

    Counts default to what one component of one core module with one memory needs per
    instance, times `total_component_instances`. Components needing more core instances per
    instance (a C guest with the preview1 adapter has several) must raise the totals."""
    pool = ffi.wasmtime_pooling_allocation_config_new()
    try:
        n = total_component_instances
        ffi.wasmtime_pooling_allocation_config_total_component_instances_set(pool, n)
        ffi.wasmtime_pooling_allocation_config_total_memories_set(pool, total_memories or n * 4)
        ffi.wasmtime_pooling_allocation_config_total_tables_set(pool, total_tables or n * 4)
        ffi.wasmtime_pooling_allocation_config_total_stacks_set(pool, total_stacks or n)
        ffi.wasmtime_pooling_allocation_config_total_core_instances_set(pool, total_core_instances or n * 8)
        ffi.wasmtime_pooling_allocation_config_max_memory_size_set(pool, max_memory_size)
        if max_unused_warm_slots is not None:
            ffi.wasmtime_pooling_allocation_config_max_unused_warm_slots_set(pool, max_unused_warm_slots)
        if linear_memory_keep_resident is not None:
            ffi.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool, linear_memory_keep_resident)
        ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
    finally:
        ffi.wasmtime_pooling_allocation_config_delete(pool)


def _void_epoch_yield() -> Any:
    """`wasmtime_context_epoch_deadline_async_yield_and_update` returns nothing in the library
    wasmtime-py 50.0.1 ships, but `_bindings.py` declares a `wasmtime_error_t*` result: using
    that declaration reads a garbage pointer and segfaults in `wasmtime_error_exit_status`.
    A separate function pointer (not the cached attribute `_bindings` uses) with no result."""
    fn = ffi.dll["wasmtime_context_epoch_deadline_async_yield_and_update"]
    fn.argtypes = [POINTER(ffi.wasmtime_context_t), ctypes.c_uint64]
    fn.restype = None
    return fn


_EPOCH_YIELD = _void_epoch_yield()


def epoch_deadline_async_yield_and_update(store: Any, delta: int) -> None:
    """When the store's epoch deadline passes, the guest yields to the poller (the future
    returns Pending) and the deadline moves `delta` ticks on, instead of trapping."""
    _EPOCH_YIELD(store._context(), delta)


def raise_error(err: Any) -> None:
    """Raises the WasmtimeError behind a non-null `wasmtime_error_t*` (taking ownership)."""
    if err:
        raise WasmtimeError._from_ptr(err)


class CallFuture:
    """One in-flight async operation (instantiate or call).

    The C future borrows every buffer it was given (function, arguments, results, error slot,
    instance slot) until it is deleted: `keep` pins those Python objects for exactly as long.
    Forgetting to pin one is a use-after-free that shows up as wasmtime's "object used with the
    wrong store" panic, which aborts the process.
    """

    def __init__(self, ptr: Any, error: Any, keep: tuple[Any, ...]) -> None:
        if not ptr:
            raise WasmtimeError("wasmtime returned no future")
        self._ptr = ptr
        self._error = error
        self._keep = keep
        self.done = False

    def poll(self) -> bool:
        """Runs the guest until it finishes (True) or suspends in a host call (False)."""
        if self.done:
            return True
        if self._ptr is None:
            raise WasmtimeError("future was cancelled")
        self.done = bool(ffi.wasmtime_call_future_poll(self._ptr))
        return self.done

    def take_error(self) -> Optional[WasmtimeError]:
        """After completion: the error (trap, host error) the operation ended with, if any."""
        err, self._error = self._error, ERROR_PTR()
        return WasmtimeError._from_ptr(err) if err else None

    def delete(self) -> None:
        """Frees the future; a suspended guest is unwound (its store must not be reused)."""
        if self._ptr is not None:
            ffi.wasmtime_call_future_delete(self._ptr)
            self._ptr = None
            self._keep = ()

    def __del__(self) -> None:  # a forgotten future must not leak its fiber stack
        try:
            self.delete()
        except Exception:
            pass


class PendingInstance:
    """`instantiate_async` result: the instance is valid once `future` completed without error."""

    def __init__(self, future: CallFuture, raw: Any) -> None:
        self.future = future
        self._raw = raw

    def instance(self) -> Instance:
        err = self.future.take_error()
        if err is not None:
            raise err
        return Instance._from_raw(self._raw)


def instantiate_async(linker: Any, store: Any, component: Any) -> PendingInstance:
    raw = ffi.wasmtime_component_instance_t()
    err = ERROR_PTR()
    ptr = ffi.wasmtime_component_linker_instantiate_async(
        linker.ptr(), store._context(), component.ptr(), byref(raw), byref(err))
    return PendingInstance(CallFuture(ptr, err, (linker, store, component, raw, err)), raw)


class PendingCall:
    """`call_async` result: `result()` converts the return value once `future` completed."""

    def __init__(self, future: CallFuture, result_ty: Any, results: Any, params: Any, nparams: int) -> None:
        self.future = future
        self._result_ty = result_ty
        self._results = results
        self._params = params
        self._nparams = nparams

    def result(self) -> Any:
        try:
            err = self.future.take_error()
            if err is not None:
                raise err
            if self._result_ty is None:
                return None
            return self._result_ty.convert_from_c(self._results[0])
        finally:
            self.release()

    def release(self) -> None:
        """Frees the C copies of the arguments (after the future is done or deleted)."""
        params, self._params = self._params, None
        if params is not None:
            for i in range(self._nparams):
                ffi.wasmtime_component_val_delete(byref(params[i]))
        if self._results is not None and self.future.done and self._result_ty is not None:
            ffi.wasmtime_component_val_delete(byref(self._results[0]))
            self._results = None


def call_async(func: Any, store: Any, *args: Any) -> PendingCall:
    """Starts an async call of a component export `func` (a wasmtime.component.Func)."""
    fty = func.type(store)
    param_tys = fty.params
    result_ty = fty.result
    if len(args) != len(param_tys):
        raise TypeError(f"wrong number of parameters: given {len(args)}, expected {len(param_tys)}")
    params = (ffi.wasmtime_component_val_t * max(1, len(args)))()
    n = 0
    try:
        for (_name, ty), val in zip(param_tys, args):
            ty.convert_to_c(store, val, ctypes.pointer(params[n]))
            n += 1
    except BaseException:
        for i in range(n):
            ffi.wasmtime_component_val_delete(byref(params[i]))
        raise
    results = (ffi.wasmtime_component_val_t * 1)()
    err = ERROR_PTR()
    ptr = ffi.wasmtime_component_func_call_async(
        byref(func._func), store._context(), params, n, results, 1 if result_ty is not None else 0, byref(err))
    future = CallFuture(ptr, err, (func, store, params, results, err))
    return PendingCall(future, result_ty, results, params, n)


# An async host function: called when the guest calls the import, with the converted arguments.
# It returns a `Continuation`: `ready()` is polled each time the guest's future is polled, and
# once it is True `value()` gives the result to hand back (or raises to trap the guest).
class Continuation(ABC):
    @abstractmethod
    def ready(self) -> bool: ...

    @abstractmethod
    def value(self) -> Any: ...


StartFn = Callable[..., Continuation]


def add_func_async(linker_instance: Any, name: str, start: StartFn,
                   on_error: Callable[[BaseException], None]) -> None:
    """Defines `name` in `linker_instance` (a wasmtime.component.LinkerInstance) as an async
    host function. `start(store, *args)` runs when the guest calls it; the guest stays suspended
    (its fiber parked, the OS thread free) until the returned continuation is ready.

    `on_error` receives any Python exception raised by `start` or the continuation; the guest
    then traps (the C API cannot carry a Python exception across the fiber)."""
    from wasmtime import StoreContext
    from wasmtime.component._types import FuncType

    # The import's type, read once: wasmtime-py re-reads the whole type tree over the FFI per
    # call otherwise. The value types are self-owned copies, valid after the call. Host
    # functions here serve one versioned WIT interface, so every caller shares the type.
    types: list[Any] = []

    def trampoline(_env: Any, ctx: Any, ty_raw: Any, args: Any, nargs: int, results: Any,
                   nresults: int, err_ret: Any, cont: Any) -> None:
        store = StoreContext(ctx)
        try:
            if not types:
                fty = FuncType._from_ptr(ty_raw, owner=store)
                types.extend(([ty for _, ty in fty.params], fty.result))
            param_tys, result_ty = types
            pyargs = [ty.convert_from_c(args[i]) for ty, i in zip(param_tys, range(nargs))]
            continuation = start(store, *pyargs)
        except BaseException as exc:  # noqa: BLE001 - must not unwind into Rust
            on_error(exc)
            err_ret[0] = WasmtimeError(f"host function {name} failed: {exc}")._consume()
            _set_continuation(cont, _DONE)
            return
        finally:
            store._invalidate()

        def poll(_env: Any) -> bool:
            try:
                if not continuation.ready():
                    return False
                value = continuation.value()
                if result_ty is not None:
                    result_ty.convert_to_c(None, value, results)
                return True
            except BaseException as exc:  # noqa: BLE001
                on_error(exc)
                # The continuation has no error slot: a failing host function traps the guest
                # by answering a value of the wrong type, which wasmtime's result type check
                # rejects ("type mismatch"), failing the call instead of the process.
                _wrong_type(result_ty, results)
                return True

        _set_continuation(cont, ffi.wasmtime_func_async_continuation_callback_t(poll))

    callback = ffi.wasmtime_component_func_async_callback_t(trampoline)
    _CALLBACKS.append(callback)  # the linker holds the raw pointer for its whole life
    encoded = name.encode()
    err = ffi.wasmtime_component_linker_instance_add_func_async(
        linker_instance.ptr(), ctypes.create_string_buffer(encoded), len(encoded), callback, None, NO_FINALIZER)
    raise_error(err)


def _wrong_type(result_ty: Any, results: Any) -> None:
    from wasmtime.component._types import Bool

    if result_ty is None:
        return  # nothing to answer: the guest continues (the error was reported)
    wrong = ffi.WASMTIME_COMPONENT_U32 if isinstance(result_ty, Bool) else ffi.WASMTIME_COMPONENT_BOOL
    results[0].kind = wrong
    if wrong == ffi.WASMTIME_COMPONENT_BOOL:
        results[0].of.boolean = False
    else:
        results[0].of.u32 = 0


_CALLBACKS: list[Any] = []
# Continuation callbacks must outlive the poll that reads them; the fiber calls them later.
_LIVE_CONTINUATIONS: dict[int, Any] = {}
_DONE = ffi.wasmtime_func_async_continuation_callback_t(lambda _env: True)


def _set_continuation(cont: Any, callback: Any) -> None:
    key = id(callback)
    _LIVE_CONTINUATIONS[key] = callback
    cont[0].callback = callback
    cont[0].env = key
    cont[0].finalizer = _FORGET


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _FORGET(env: Any) -> None:
    _LIVE_CONTINUATIONS.pop(env or 0, None)
