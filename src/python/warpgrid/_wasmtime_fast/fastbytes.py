"""Bulk `list<u8>` conversion (and `list<u64>` lifting) for the wasmtime-py 50 component API.

Why: stock wasmtime-py converts a `list<u8>` one element at a time in Python
(`ListType.convert_to_c` / `convert_from_c` call `U8.convert_*` per byte,
~0.7 us per byte each way), so a 1 MB HTTP body costs seconds. `install()`
replaces those two methods with versions that move the bytes in bulk and
leave every other list type to the stock code.

How: the C API carries a list as `wasmtime_component_vallist_t`
(`{size_t size; wasmtime_component_val_t *data}`), an array of fixed-size
tagged unions:

    struct wasmtime_component_val_t {     // 32 bytes on 64-bit hosts
        uint8_t kind;                     // offset 0; WASMTIME_COMPONENT_U8 == 2
        /* padding */
        union { uint8_t u8; ... } of;     // offset 8; the u8 payload is its first byte
    };

so the kind bytes of element i sit at `32*i` and the payload bytes at
`32*i + 8`. Lowering allocates the array with the library's own
`wasmtime_component_vallist_new_uninit` (the library frees it after the call,
exactly as for stock lists) and fills both columns with two strided
memoryview slice assignments, which CPython runs as C loops. Lifting reads the
payload column with one strided slice, checks the kind column, and frees the
array with `wasmtime_component_vallist_delete`, as the stock code does.

A `list<u64>` is lifted the same way (its 8-byte payload sits at the same
offset) into an `array('Q')`: a sequence of the same ints the stock code puts
in a list, which a host packs back into bytes with one `tobytes()`. That is
the point: a guest that packs bytes eight to a `u64` (warpgrid:shim/http-body
`write-response-words`) makes the library's per-value work eight times
smaller, and a list of 131,072 Python ints would cost the host ~5 ms per MiB
again. Lowering a `list<u64>` stays stock (it takes a list).

Why this is safe: u8 elements own no memory, so writing only the kind and
payload bytes yields values identical (in every byte the library reads) to
what the stock per-element code writes. The stock code trusts wasmtime-py's
ctypes structures, which are generated from the C header of the library in the
same wheel; `install()` checks at runtime that those structures still have the
sizes, offsets and kind constants assumed above and proves it with a probe
array written by field and read by stride (and the reverse). If anything
differs (for example after a wasmtime upgrade), the stock conversion stays in
place and one warning is logged, so an upgrade can cost speed but never
corrupt memory.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import logging
from array import array
from dataclasses import dataclass
from typing import Any, Callable, Optional

from warpgrid._wasmtime_fast import typecache

try:  # private modules: a wasmtime-py that moves them must cost speed, not the host
    from wasmtime import _ffi as ffi
    from wasmtime.component import _types as component_types
except ImportError as exc:  # pragma: no cover - only on an incompatible wasmtime-py
    ffi = component_types = None  # type: ignore[assignment]
    _IMPORT_PROBLEM = f"cannot import wasmtime-py internals ({exc})"
else:
    _IMPORT_PROBLEM = ""

__all__ = ["install", "uninstall", "is_installed", "FastBytesStatus", "status", "keep_large_blocks_in_heap"]

_LOG = logging.getLogger(__name__)

# The layout the bulk path relies on; verified by `_layout_problems()`.
_VAL_SIZE = 32
_KIND_OFFSET = 0
_PAYLOAD_OFFSET = 8
_KIND_U8 = 2
_KIND_U64 = 8
_KIND_LIST = 13
_KIND_BOOL = 0
_U8_TAG = bytes([_KIND_U8])
_U64_TAG = bytes([_KIND_U64])
# One ready-made U8 value: kind byte, padding, zero payload.
_U8_ROW = bytearray(_U8_TAG + bytes(_VAL_SIZE - 1))
# Elements per bulk step: a 16384 * 32 byte = 512 KiB template stays in cache.
_CHUNK = 16384

_LIST_TYPE: Any = getattr(component_types, "ListType", None)
_ORIGINAL_TO_C: Optional[Callable[..., None]] = getattr(_LIST_TYPE, "convert_to_c", None)
_ORIGINAL_FROM_C: Optional[Callable[..., Any]] = getattr(_LIST_TYPE, "convert_from_c", None)


@dataclass(frozen=True)
class FastBytesStatus:
    """What `install()` decided; `reason` says why the fast path is off."""

    active: bool
    reason: str = ""


_status: Optional[FastBytesStatus] = None


def _address(data: Any) -> int:
    address = ctypes.cast(data, ctypes.c_void_p).value
    if not address:
        raise RuntimeError("wasmtime returned a NULL list buffer for a non-empty list<u8>")
    return address


def _bulk_kind(list_type: Any) -> str:
    """"u8", "u64" or "" (any other element type): which bulk path a list type takes. Asking the
    type crosses the FFI, so the answer is remembered per type object (not as
    `_warpgrid_element`: typecache keeps the `element` property there)."""
    cached = getattr(list_type, "_warpgrid_bulk_kind", None)
    if cached is None:
        if list_type._is_bytes():
            cached = "u8"
        else:
            cached = "u64" if isinstance(list_type.element, component_types.U64) else ""
        list_type._warpgrid_bulk_kind = cached
    return cached


def _lower_bytes(value: Any, ptr: Any) -> None:
    """Python bytes -> `ptr` (a LIST of U8 values), in bulk.

    Works in chunks of `_CHUNK` elements through a small template of
    ready-made U8 values: one bytearray extended-slice assignment drops the
    chunk's bytes into the payload column, one memmove copies the chunk into
    the library's array. The template is per call (thread-safe) and stays
    cache-sized whatever the body size.
    """
    if not isinstance(value, bytes):
        raise TypeError("expected bytes value")
    count = len(value)
    chunk = min(count, _CHUNK)
    template = _U8_ROW * chunk  # built before allocating, so a MemoryError leaks nothing
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, count)
    if count:
        address = _address(raw.data)
        try:
            source = memoryview(value)
            template_ptr = (ctypes.c_char * len(template)).from_buffer(template)
            for start in range(0, count, chunk):
                n = min(chunk, count - start)
                template[_PAYLOAD_OFFSET : n * _VAL_SIZE : _VAL_SIZE] = source[start : start + n]
                ctypes.memmove(address + start * _VAL_SIZE, template_ptr, n * _VAL_SIZE)
        except BaseException:
            # Make every element a payload-free BOOL before the library drops them.
            ctypes.memset(address, 0, count * _VAL_SIZE)
            ffi.wasmtime_component_vallist_delete(ctypes.byref(raw))
            raise
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw


def _lift_bytes(c: Any) -> bytes:
    """A LIST of U8 values -> Python bytes, in bulk; frees the C list like the stock code.

    Copies the array chunk by chunk into a cache-sized bytearray, checks the
    kind column and slices out the payload column.
    """
    if c.kind != _KIND_LIST:
        raise TypeError(f"expected a list value, got kind {c.kind}")
    c_list = c.of.list
    try:
        count = c_list.size
        if count == 0:
            return b""
        address = _address(c_list.data)
        chunk = min(count, _CHUNK)
        buffer = bytearray(chunk * _VAL_SIZE)
        buffer_ptr = (ctypes.c_char * len(buffer)).from_buffer(buffer)
        kinds = _U8_TAG * chunk
        out = bytearray(count)
        for start in range(0, count, chunk):
            n = min(chunk, count - start)
            ctypes.memmove(buffer_ptr, address + start * _VAL_SIZE, n * _VAL_SIZE)
            if buffer[_KIND_OFFSET : n * _VAL_SIZE : _VAL_SIZE] != kinds[:n]:
                raise TypeError("list<u8> value holds an element that is not a u8")
            out[start : start + n] = buffer[_PAYLOAD_OFFSET : n * _VAL_SIZE : _VAL_SIZE]
        return bytes(out)
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(c_list))


def _lift_words(c: Any) -> array:
    """A LIST of U64 values -> `array('Q')` of the same ints, in bulk; frees the C list.

    One copy of the whole array (32 bytes per value), a check of its kind column, and its
    payload column (native unsigned 64-bit integers) copied out by one strided memoryview slice.
    """
    if c.kind != _KIND_LIST:
        raise TypeError(f"expected a list value, got kind {c.kind}")
    c_list = c.of.list
    try:
        words = array("Q")
        count = c_list.size
        if count == 0:
            return words
        table = ctypes.string_at(_address(c_list.data), count * _VAL_SIZE)
        if table[_KIND_OFFSET::_VAL_SIZE] != _U64_TAG * count:
            raise TypeError("list<u64> value holds an element that is not a u64")
        words.frombytes(memoryview(table).cast("Q")[_PAYLOAD_OFFSET // 8 :: _VAL_SIZE // 8].tobytes())
        return words
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(c_list))


def _fast_convert_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    if _bulk_kind(self) == "u8":
        _lower_bytes(val, ptr)
    else:
        _ORIGINAL_TO_C(self, store, val, ptr)  # type: ignore[misc]


def _fast_convert_from_c(self: Any, c: Any) -> Any:
    kind = _bulk_kind(self)
    if kind == "u8":
        return _lift_bytes(c)
    if kind == "u64":
        return _lift_words(c)
    return _ORIGINAL_FROM_C(self, c)  # type: ignore[misc]


def _layout_problems() -> list[str]:
    """Every way the running wasmtime-py differs from the layout this module assumes."""
    if _IMPORT_PROBLEM:
        return [_IMPORT_PROBLEM]
    if _ORIGINAL_TO_C is None or _ORIGINAL_FROM_C is None:
        return ["wasmtime.component ListType.convert_to_c/convert_from_c are missing"]
    problems: list[str] = []

    def expect(what: str, actual: Any, wanted: Any) -> None:
        if actual != wanted:
            problems.append(f"{what} is {actual!r}, expected {wanted!r}")

    val = getattr(ffi, "wasmtime_component_val_t", None)
    union = getattr(ffi, "wasmtime_component_valunion_t", None)
    vallist = getattr(ffi, "wasmtime_component_vallist_t", None)
    if val is None or union is None or vallist is None:
        return ["wasmtime._ffi lacks wasmtime_component_val_t/valunion_t/vallist_t"]
    for name in ("wasmtime_component_vallist_new_uninit", "wasmtime_component_vallist_delete"):
        if not callable(getattr(ffi, name, None)):
            problems.append(f"wasmtime._ffi.{name} is missing")
    if not hasattr(_LIST_TYPE, "_is_bytes"):
        problems.append("wasmtime.component ListType._is_bytes is missing")
    if not hasattr(component_types, "U64"):
        problems.append("wasmtime.component U64 is missing")
    expect("sizeof(wasmtime_component_val_t)", ctypes.sizeof(val), _VAL_SIZE)
    expect("wasmtime_component_val_t.kind offset", val.kind.offset, _KIND_OFFSET)
    expect("wasmtime_component_val_t.kind size", val.kind.size, 1)
    expect("wasmtime_component_val_t.of offset", val.of.offset, _PAYLOAD_OFFSET)
    expect("wasmtime_component_valunion_t.u8 offset", union.u8.offset, 0)
    expect("wasmtime_component_valunion_t.u8 size", union.u8.size, 1)
    expect("wasmtime_component_valunion_t.u64 offset", union.u64.offset, 0)
    expect("wasmtime_component_valunion_t.u64 size", union.u64.size, 8)
    expect("array('Q') item size", array("Q").itemsize, 8)
    expect("wasmtime_component_vallist_t.size offset", vallist.size.offset, 0)
    expect("wasmtime_component_vallist_t.data offset", vallist.data.offset, ctypes.sizeof(ctypes.c_size_t))
    expect("WASMTIME_COMPONENT_BOOL", getattr(ffi, "WASMTIME_COMPONENT_BOOL", ctypes.c_uint8(255)).value, _KIND_BOOL)
    expect("WASMTIME_COMPONENT_U8", getattr(ffi, "WASMTIME_COMPONENT_U8", ctypes.c_uint8(255)).value, _KIND_U8)
    expect("WASMTIME_COMPONENT_U64", getattr(ffi, "WASMTIME_COMPONENT_U64", ctypes.c_uint8(255)).value, _KIND_U64)
    expect("WASMTIME_COMPONENT_LIST", getattr(ffi, "WASMTIME_COMPONENT_LIST", ctypes.c_uint8(255)).value, _KIND_LIST)
    if not problems:
        problems.extend(_probe_problems())
    return problems


def _probe_problems() -> list[str]:
    """Round-trips probe bytes between per-field ctypes access and the bulk paths."""
    probe = bytes([0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF, 13])
    problems: list[str] = []
    # Field-written (as stock does) -> bulk lift.
    holder = ffi.wasmtime_component_val_t()
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, len(probe))
    for i, b in enumerate(probe):
        raw.data[i].kind = ffi.WASMTIME_COMPONENT_U8
        raw.data[i].of.u8 = b
    holder.kind = ffi.WASMTIME_COMPONENT_LIST
    holder.of.list = raw
    if _lift_bytes(holder) != probe:  # frees the list
        problems.append("u8 values written by field do not read back in bulk")
    # Bulk lower -> field read (as the library's struct says).
    holder = ffi.wasmtime_component_val_t()
    _lower_bytes(probe, ctypes.pointer(holder))
    try:
        lowered = holder.of.list
        got = [(lowered.data[i].kind, lowered.data[i].of.u8) for i in range(lowered.size)]
        if holder.kind != _KIND_LIST or got != [(_KIND_U8, b) for b in probe]:
            problems.append("bytes written in bulk do not read back by field as u8 values")
    finally:
        ffi.wasmtime_component_val_delete(ctypes.byref(holder))
    # u64 values written by field -> bulk lift.
    words = [0, 1, 0x0102030405060708, 2**63, 2**64 - 1]
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, len(words))
    for i, w in enumerate(words):
        raw.data[i].kind = ffi.WASMTIME_COMPONENT_U64
        raw.data[i].of.u64 = w
    holder = ffi.wasmtime_component_val_t()
    holder.kind = ffi.WASMTIME_COMPONENT_LIST
    holder.of.list = raw
    if list(_lift_words(holder)) != words:  # frees the list
        problems.append("u64 values written by field do not read back in bulk")
    return problems


def _wasmtime_version() -> str:
    try:
        return importlib.metadata.version("wasmtime")
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"


def install(cache_types: bool = True) -> FastBytesStatus:
    """Switches wasmtime-py's list<u8> conversion to the bulk path (idempotent).

    With `cache_types` (the default) it also turns on `warpgrid._wasmtime_fast.typecache`,
    which stops wasmtime-py from re-reading type metadata on every call.
    Returns the status; when the layout checks fail the stock conversion stays
    and a single warning names what differed.
    """
    global _status
    if cache_types:
        typecache.install()
    if _status is not None:
        return _status
    try:
        problems = _layout_problems()
    except Exception as exc:  # a changed API must never take the host down
        problems = [f"layout probe raised {type(exc).__name__}: {exc}"]
    if problems:
        _status = FastBytesStatus(active=False, reason="; ".join(problems))
        _LOG.warning(
            "fastbytes: keeping wasmtime-py %s's byte-at-a-time list<u8> conversion "
            "(large bodies will be slow): %s",
            _wasmtime_version(),
            _status.reason,
        )
        return _status
    _LIST_TYPE.convert_to_c = _fast_convert_to_c
    _LIST_TYPE.convert_from_c = _fast_convert_from_c
    _status = FastBytesStatus(active=True)
    return _status


def uninstall() -> None:
    """Restores the stock conversion and type reads (benchmarks compare both in one process)."""
    global _status
    typecache.uninstall()
    if _LIST_TYPE is not None:
        _LIST_TYPE.convert_to_c = _ORIGINAL_TO_C
        _LIST_TYPE.convert_from_c = _ORIGINAL_FROM_C
    _status = None


def is_installed() -> bool:
    """Whether the bulk path is the one wasmtime-py uses right now."""
    return _LIST_TYPE is not None and _LIST_TYPE.convert_to_c is _fast_convert_to_c


def status() -> Optional[FastBytesStatus]:
    """The last `install()` decision, or None before the first call."""
    return _status


def keep_large_blocks_in_heap(limit_bytes: int = 256 << 20) -> bool:
    """Opt-in glibc malloc tuning for hosts that move megabyte bodies.

    Why: a 1 MiB list<u8> becomes ~32 MiB C arrays and Rust `Val` vectors
    several times per call. glibc serves blocks that large with fresh mmap()
    pages and unmaps them on free, so every call pays ~8000 page faults per
    array; measured, that is half of a 1 MiB round trip. Raising
    M_MMAP_THRESHOLD/M_TRIM_THRESHOLD to `limit_bytes` serves them from the
    heap and keeps freed memory for the next call.

    Cost: the process keeps its peak heap (up to `limit_bytes` of free space)
    instead of returning it to the OS. Process-wide and not undone; returns
    False (and changes nothing) where mallopt is unavailable (non-glibc).
    """
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    m_trim_threshold, m_mmap_threshold = -1, -3
    limit = min(limit_bytes, 2**31 - 1)
    return bool(mallopt(m_mmap_threshold, limit)) and bool(mallopt(m_trim_threshold, limit))
