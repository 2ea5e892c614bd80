"""warpgrid:shim/http-body: request and response bodies beyond a small inline part.

Why: wasmtime-py 50/51 can only call a component through the C API's dynamic values, which lift
a `list<u8>` as one 32-48 byte value per byte: ~60-85 ms of work per MiB each way, and above
~2.6 MiB in one call the fixed 128 MiB "hostcall fuel" budget traps, whatever [http]
max_body_bytes says (the Rust API's `Store::set_hostcall_fuel` is not in the C API). A WIT
`string` crosses as one copy. So the http-handler records carry at most `INLINE_BYTES` of a body
and the rest crosses through this interface as base64 text, one piece of at most `PIECE_BYTES`
per host call (wit/shim.wit documents the guest's side; every SDK does it in its handler glue).
A guest whose runtime lowers strings slowly (ComponentizeJS) writes its pieces as `list<u64>`
words instead, eight bytes to a value: the library lifts 1 MiB of them in ~6 ms, against ~80 ms
for the same bytes as `list<u8>` (`write-response-bytes`, kept for components built before).

Per instance, a :class:`BodyExchange` holds the current request's whole body (already bounded
by the server's max_body_bytes) and the pieces of the response written so far, refusing a
piece that is not base64 or that would take the response past max_body_bytes.
"""

from __future__ import annotations

import binascii
import sys
from array import array
from collections.abc import Mapping, Sequence
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

# Body bytes in the records: below this, one host call costs more than the list<u8> it saves.
INLINE_BYTES = 4 << 10
# Decoded body bytes per piece (a 1.33 MiB base64 string: well inside the per-call budget).
PIECE_BYTES = 1 << 20
NAME = "http_body"
INTERFACE = f"{PACKAGE}/http-body@{VERSION}"


class BodyExchange:
    """The body traffic of one instance's current request (an instance serves one at a time)."""

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self._request = b""
        self._pieces: list[bytes] = []
        self._written = 0
        self._refused: tuple[str, str] | None = None  # (fault kind, why)

    def begin(self, request: HttpRequest) -> SimpleNamespace:
        """The request's WIT record with at most INLINE_BYTES of its body; keeps the whole body
        for `read` and forgets any earlier response."""
        self._request = bytes(request.body)
        self._pieces, self._written, self._refused = [], 0, None
        record = request.to_wit()
        if len(self._request) > INLINE_BYTES:
            record.body = self._request[:INLINE_BYTES]
        return record

    def read(self, offset: int, max_bytes: int) -> str:
        piece = self._request[offset:offset + min(max_bytes, PIECE_BYTES)]
        return binascii.b2a_base64(piece, newline=False).decode("ascii")

    def write(self, piece: str) -> str | None:
        """None when the bytes `piece` (base64) encodes are appended, else why it was refused
        (the response is then lost: the host answers with a fault)."""
        if self._refused is None:
            try:
                data = binascii.a2b_base64(piece, strict_mode=True)
            except (binascii.Error, ValueError) as e:
                self._refuse("bad-export", f"write-response-body: a piece is not base64 ({e})")
            else:
                self._append("write-response-body", data)
        return self._refusal

    def write_bytes(self, piece: bytes) -> str | None:
        """`write` for a raw piece."""
        if self._refused is None:
            self._append("write-response-bytes", piece)
        return self._refusal

    def write_words(self, words: Sequence[int], length: int) -> str | None:
        """`write` for the first `length` bytes of `words` (little-endian u64s, the guest's
        memory order); `words` must be exactly as many as `length` bytes need."""
        if self._refused is None:
            needed = -(-length // 8)
            if len(words) != needed:
                self._refuse("bad-export", (
                    f"write-response-words: {len(words)} words for a piece of {length} bytes "
                    f"(expected {needed}: eight bytes a word, the last one zero-padded)"
                ))
            else:
                self._append("write-response-words", _little_endian_bytes(words)[:length])
        return self._refusal

    @property
    def _refusal(self) -> str | None:
        """Why the current response was refused (what the guest's call returns as its error)."""
        return self._refused[1] if self._refused is not None else None

    def _refuse(self, kind: str, why: str) -> None:
        self._refused, self._pieces = (kind, why), []

    def _append(self, call: str, data: bytes) -> None:
        if len(data) > PIECE_BYTES:
            self._refuse("bad-export", f"{call}: a piece of {len(data)} bytes is over the {PIECE_BYTES}-byte limit")
        elif self._written + len(data) > self.max_body_bytes:
            self._refuse("too-large", (
                f"response body exceeds [http] max_body_bytes = {self.max_body_bytes} "
                f"(the guest wrote {self._written + len(data)} bytes)"
            ))
        else:
            self._pieces.append(data)
            self._written += len(data)

    def finish(self, record: Any) -> HttpResponse:
        """The guest's response: its written pieces, then the record's own body."""
        response = HttpResponse.from_wit(record)
        refused, pieces = self._refused, self._pieces
        self._request, self._pieces, self._written, self._refused = b"", [], 0, None
        if refused is not None:
            raise GuestFault(*refused)
        if pieces:
            pieces.append(response.body)
            response.body = b"".join(pieces)
        return response


def _little_endian_bytes(words: Sequence[int]) -> bytes:
    """The bytes of `words` in the guest's memory order. fastbytes lifts a list<u64> as an
    array('Q') already; the stock conversion gives a list."""
    packed = words if isinstance(words, array) and words.typecode == "Q" else array("Q", words)
    if sys.byteorder != "little":
        packed = array("Q", packed)
        packed.byteswap()
    return packed.tobytes()


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
            f"HTTP bodies beyond {INLINE_BYTES >> 10} KiB in base64 pieces of at most {PIECE_BYTES >> 20} MiB, "
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
        # None -> ok(()), a string -> err(string)
        instance.add_func(
            "write-response-body", lambda store, piece: context_of(store).state_for(name).write(piece)
        )
        instance.add_func(
            "write-response-bytes", lambda store, piece: context_of(store).state_for(name).write_bytes(bytes(piece))
        )
        instance.add_func(
            "write-response-words",
            lambda store, words, length: context_of(store).state_for(name).write_words(words, length),
        )
