"""warpgrid:shim/http-body: request and response bodies in pieces of at most 1 MiB.

Why: wasmtime-py 50/51 can only call a component through the C API's dynamic values, which lift
a `list<u8>` as one 32-48 byte value per byte and charge it against a fixed 128 MiB "hostcall
fuel" budget per call. A body above ~2.6 MiB in one record traps, whatever [http]
max_body_bytes says, and the Rust API's `Store::set_hostcall_fuel` is not in the C API. So the
http-handler records carry at most `INLINE_BYTES` of a body, and the rest crosses through this
interface, one bounded piece per host call (wit/shim.wit documents the guest's side).

Per instance, a :class:`BodyExchange` holds the current request's whole body (already bounded
by the server's max_body_bytes) and the pieces of the response written so far, refusing a
piece that would take the response past max_body_bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from warpgrid.faults import GuestFault
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.shims import PACKAGE, VERSION
from warpgrid.shims.base import Shim, context_of

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig
    from warpgrid.context import InstanceContext
    from warpgrid.loaded import LoadedComponent

# The most body bytes one record or one call carries: well inside the per-call budget
# (~2.6 MiB of list<u8>) with room for headers.
INLINE_BYTES = 1 << 20
NAME = "http_body"
INTERFACE = f"{PACKAGE}/http-body@{VERSION}"


class BodyExchange:
    """The body traffic of one instance's current request (an instance serves one at a time)."""

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self._request = b""
        self._pieces: list[bytes] = []
        self._written = 0
        self._refused: str | None = None

    def begin(self, request: HttpRequest) -> SimpleNamespace:
        """The request's WIT record with at most INLINE_BYTES of its body; keeps the whole body
        for `read` and forgets any earlier response."""
        self._request = bytes(request.body)
        self._pieces, self._written, self._refused = [], 0, None
        record = request.to_wit()
        if len(self._request) > INLINE_BYTES:
            record.body = self._request[:INLINE_BYTES]
        return record

    def read(self, offset: int, max_bytes: int) -> bytes:
        return self._request[offset:offset + min(max_bytes, INLINE_BYTES)]

    def write(self, piece: bytes) -> str | None:
        """None when `piece` is appended, else why it was refused (the response is then lost)."""
        if self._refused is None and self._written + len(piece) > self.max_body_bytes:
            self._refused = (
                f"response body exceeds [http] max_body_bytes = {self.max_body_bytes} "
                f"(the guest wrote {self._written + len(piece)} bytes)"
            )
            self._pieces = []
        if self._refused is not None:
            return self._refused
        self._pieces.append(piece)
        self._written += len(piece)
        return None

    def finish(self, record: Any) -> HttpResponse:
        """The guest's response: its written pieces, then the record's own body."""
        response = HttpResponse.from_wit(record)
        refused, pieces = self._refused, self._pieces
        self._request, self._pieces, self._written, self._refused = b"", [], 0, None
        if refused is not None:
            raise GuestFault("too-large", refused)
        if pieces:
            pieces.append(response.body)
            response.body = b"".join(pieces)
        return response


def _exchange(ctx: "InstanceContext", loaded: "LoadedComponent") -> BodyExchange | None:
    """The instance's exchange when the component reads and writes bodies in pieces. A component
    built before the interface existed (or with [shims] http_body = false) gets whole bodies in
    the records, as before: cutting its request body short would lose data silently."""
    if INTERFACE not in loaded.imports:
        return None
    return ctx.states.get(NAME)


def request_to_guest(request: HttpRequest, ctx: "InstanceContext", loaded: "LoadedComponent") -> Any:
    """The record for the handler call (and the start of the instance's body exchange)."""
    exchange = _exchange(ctx, loaded)
    return request.to_wit() if exchange is None else exchange.begin(request)


def response_from_guest(record: Any, ctx: "InstanceContext", loaded: "LoadedComponent") -> HttpResponse:
    """The handler's response, with any body pieces it wrote through the interface."""
    exchange = _exchange(ctx, loaded)
    return HttpResponse.from_wit(record) if exchange is None else exchange.finish(record)


class HttpBodyShim(Shim):
    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    @classmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, Shim]) -> "HttpBodyShim":
        return cls(config.http.max_body_bytes)

    def describe(self) -> str:
        return (
            f"HTTP bodies beyond {INLINE_BYTES >> 20} MiB in pieces of at most {INLINE_BYTES >> 20} MiB, "
            f"responses up to [http] max_body_bytes = {self.max_body_bytes}"
        )

    def new_instance_state(self) -> BodyExchange:
        return BodyExchange(self.max_body_bytes)

    def define(self, instance: Any) -> None:
        name = self.name
        instance.add_func(
            "read-request-body",
            lambda store, offset, max_bytes: context_of(store).state_for(name).read(offset, max_bytes),
        )
        instance.add_func("write-response-body", lambda store, piece: self._write(store, piece))

    def _write(self, store: Any, piece: bytes) -> Any:
        refused = context_of(store).state_for(self.name).write(bytes(piece))
        return refused  # None -> ok(()), a string -> err(string)
