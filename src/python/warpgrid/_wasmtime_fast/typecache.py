"""Remember component type metadata that wasmtime-py re-reads on every call.

Why: wasmtime-py 50 rebuilds a function's whole type tree over the FFI on
each call (`Func.__call__` -> `Func.type()` -> `FuncType.params`), and the
converters read it again per value: a record re-reads `fields`, every header
tuple re-reads `elements`, every option/result re-derives `_tagged()`. For an
http-handler request that is dozens of FFI round trips and Python objects per
call, for metadata that never changes.

What `install()` changes (idempotent, `uninstall()` restores):
- the metadata properties of the type objects (`RecordType.fields`,
  `TupleType.elements`, `ListType.element`, `OptionType.payload`,
  `ResultType.ok`/`err`, `VariantType.cases`, `FuncType.params`/`result`) and
  `_tagged()` compute once per type object and are then served from it;
- `Func.type()` is computed once per `Func` object;
- `Instance.get_func(store, export_index)` hands every instance's `Func` the
  `FuncType` first read for that `ExportIndex` object, so a host that keeps
  its export index (as the WarpGrid engine does) stops re-reading the tree for
  each new instance.

Why it is safe: type objects are immutable descriptions owned by Python
(each holds its own FFI copy), so a cached child stays valid as long as its
parent. The one case where the same export index could describe different
types is a signature that mentions resources (resource types belong to an
instance); those signatures are never shared across instances. List results are
returned as fresh shallow copies, so a caller mutating one cannot poison the
cache.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Callable

__all__ = ["install", "uninstall", "is_installed"]

_LOG = logging.getLogger(__name__)

try:  # private modules: a wasmtime-py that moves them must cost speed, not the host
    from wasmtime.component import _func as component_func
    from wasmtime.component import _instance as component_instance
    from wasmtime.component import _types as T
except ImportError as exc:  # pragma: no cover - only on an incompatible wasmtime-py
    _IMPORT_PROBLEM = f"cannot import wasmtime-py internals ({exc})"
else:
    _IMPORT_PROBLEM = ""

# (class in wasmtime.component._types, property whose value is cached per object)
_PROPERTY_NAMES: list[tuple[str, str]] = [
    ("RecordType", "fields"),
    ("TupleType", "elements"),
    ("ListType", "element"),
    ("OptionType", "payload"),
    ("ResultType", "ok"),
    ("ResultType", "err"),
    ("VariantType", "cases"),
    ("FuncType", "params"),
    ("FuncType", "result"),
]

_originals: dict[tuple[type, str], Any] = {}
# ExportIndex object -> the resource-free FuncType first read for it.
_types_by_export: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def _cached_property(getter: Callable[[Any], Any], slot: str) -> property:
    def get(self: Any) -> Any:
        cache = self.__dict__
        try:
            value = cache[slot]
        except KeyError:
            value = cache[slot] = getter(self)
        return list(value) if isinstance(value, list) else value

    return property(get, doc=getter.__doc__)


def _cached_tagged(original: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def _tagged(self: Any) -> bool:
        cache = self.__dict__
        try:
            return cache["_warpgrid_tagged"]
        except KeyError:
            value = cache["_warpgrid_tagged"] = original(self)
            return value

    return _tagged


def _cached_func_type(original: Callable[..., Any]) -> Callable[..., Any]:
    def type(self: Any, store: Any) -> Any:  # noqa: A001 - mirrors Func.type
        cached = self.__dict__.get("_warpgrid_type")
        if cached is None:
            cached = self._warpgrid_type = original(self, store)
        return cached

    return type


def _mentions_resources(ty: Any) -> bool:
    """Whether a ValType tree contains own/borrow handles (instance-specific types)."""
    if isinstance(ty, (T.OwnType, T.BorrowType, T.FutureType, T.StreamType)):
        return True
    if isinstance(ty, T.ListType):
        return _mentions_resources(ty.element)
    if isinstance(ty, T.RecordType):
        return any(_mentions_resources(t) for _, t in ty.fields)
    if isinstance(ty, T.TupleType):
        return any(_mentions_resources(t) for t in ty.elements)
    if isinstance(ty, T.VariantLikeType):
        return any(t is not None and _mentions_resources(t) for _, t in ty._cases())
    return False


def _shared_get_func(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_func(self: Any, store: Any, index: Any) -> Any:
        func = original(self, store, index)
        if func is None or isinstance(index, str):
            return func
        try:
            shared = _types_by_export.get(index)
        except TypeError:  # not weak-referenceable: nothing to share
            return func
        if shared is None:
            fty = func.type(store)
            params = [t for _, t in fty.params]
            result = fty.result
            if any(_mentions_resources(t) for t in params) or (
                result is not None and _mentions_resources(result)
            ):
                return func
            _types_by_export[index] = fty
        else:
            func._warpgrid_type = shared
        return func

    return get_func


_warned = False


def _shape_problems() -> list[str]:
    """Every wasmtime-py attribute this module wraps that is missing or of another kind."""
    if _IMPORT_PROBLEM:
        return [_IMPORT_PROBLEM]
    problems = []
    for cls_name, name in _PROPERTY_NAMES:
        cls = getattr(T, cls_name, None)
        if not isinstance(getattr(cls, "__dict__", {}).get(name), property):
            problems.append(f"{cls_name}.{name} is not a property")
    wrapped = [(getattr(T, "VariantLikeType", None), "_tagged"), (component_func.Func, "type"),
               (component_instance.Instance, "get_func")]
    for cls, name in wrapped:
        if not callable(getattr(cls, "__dict__", {}).get(name)):
            problems.append(f"{getattr(cls, '__name__', cls)}.{name} is not a method")
    for cls_name in ("OwnType", "BorrowType", "FutureType", "StreamType", "ListType", "RecordType",
                     "TupleType", "VariantLikeType"):
        if not isinstance(getattr(T, cls_name, None), type):
            problems.append(f"{cls_name} is missing")
    return problems


def install() -> bool:
    """Turns the caches on (idempotent); False, with one warning, if wasmtime-py changed shape."""
    global _warned
    if _originals:
        return True
    problems = _shape_problems()
    if problems:
        if not _warned:
            _warned = True
            _LOG.warning("typecache: wasmtime-py re-reads type metadata on every call (cache off): %s",
                         "; ".join(problems))
        return False
    for cls_name, name in _PROPERTY_NAMES:
        cls = getattr(T, cls_name)
        original = cls.__dict__[name]
        _originals[(cls, name)] = original
        setattr(cls, name, _cached_property(original.fget, f"_warpgrid_{name}"))
    original_tagged = T.VariantLikeType.__dict__["_tagged"]
    _originals[(T.VariantLikeType, "_tagged")] = original_tagged
    T.VariantLikeType._tagged = _cached_tagged(original_tagged)  # type: ignore[method-assign]
    original_type = component_func.Func.__dict__["type"]
    _originals[(component_func.Func, "type")] = original_type
    component_func.Func.type = _cached_func_type(original_type)  # type: ignore[method-assign]
    original_get_func = component_instance.Instance.__dict__["get_func"]
    _originals[(component_instance.Instance, "get_func")] = original_get_func
    component_instance.Instance.get_func = _shared_get_func(original_get_func)  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Restores wasmtime-py's own methods (benchmarks compare both)."""
    for (cls, name), original in _originals.items():
        setattr(cls, name, original)
    _originals.clear()
    _types_by_export.clear()


def is_installed() -> bool:
    return bool(_originals)
