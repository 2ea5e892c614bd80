"""Guest faults as host-side exceptions with a stable kind and an error id.

wasmtime-py reports every guest failure as a ``WasmtimeError`` with a message; triggers need to
tell a deadline (504) from a trap (500), and operators need one id that links the response to
the log line. After any fault the instance is poisoned: wasmtime refuses to re-enter it.
"""

from __future__ import annotations

import uuid

from wasmtime import ExitTrap, WasmtimeError


# wasmtime charges a fixed budget ("hostcall fuel", 128 MiB) for the values it lifts between
# host and guest in one call, and the C API lifts a list<u8> into a 48-byte value per byte: a
# body of about 2.6 MiB (128 MiB / 48) exhausts it. wasmtime-py 50.0.1's C API has no way to
# raise the budget (the Rust API's Store::set_hostcall_fuel is not exported); bodies larger
# than that need the contract to carry them in pieces (streams or chunked host calls).
HOSTCALL_FUEL = "fuel allocated for hostcalls has been exhausted"
MAX_LIFTED_BYTES = (128 << 20) // 48
TOO_LARGE = (
    f"a body crossing the host/guest boundary exceeded wasmtime's per-call copy budget "
    f"(hostcall fuel; about {MAX_LIFTED_BYTES / (1 << 20):.1f} MiB for list<u8> in the wasmtime 50 C API)"
)


class GuestFault(Exception):
    """A guest call failed. ``kind``: timeout | trap | host-error | bad-export | too-large."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        self.detail = detail
        self.error_id = uuid.uuid4().hex[:12]
        super().__init__(f"{kind} [{self.error_id}]: {detail}")

    @property
    def http_status(self) -> int:
        return {"timeout": 504, "too-large": 502}.get(self.kind, 500)


class ShimNotEnabledError(Exception):
    """The component imports a warpgrid shim that warp.toml [shims] disables."""


class InstantiationError(Exception):
    """The component cannot be linked (an import nobody provides, bad export shape)."""


def classify(error: BaseException) -> GuestFault:
    if isinstance(error, GuestFault):
        return error
    if isinstance(error, WasmtimeError) and not isinstance(error, ExitTrap):
        text = str(error)
        first = _trap_line(text)
        if "interrupt" in first:
            return GuestFault("timeout", "request deadline exceeded (epoch interruption)")
        if HOSTCALL_FUEL in text:
            return GuestFault("too-large", TOO_LARGE)
        return GuestFault("trap", first)
    return GuestFault("host-error", f"{type(error).__name__}: {error}")


def _trap_line(text: str) -> str:
    """The 'wasm trap: ...' cause line of a wasmtime error, else its first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("wasm trap:") or "trap" in line and "backtrace" not in line:
            return line
    return lines[0] if lines else "unknown wasmtime error"
