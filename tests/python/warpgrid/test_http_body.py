"""The host side of warpgrid:shim/http-body: what a guest reads and writes, and the limit.
(Real guests in every SDK: scenarios/test_large_bodies.py and scenarios/test_go_t3.py.)"""

from types import SimpleNamespace

import pytest

from warpgrid.faults import GuestFault
from warpgrid.http.messages import HttpRequest
from warpgrid.shims.http_body import INLINE_BYTES, BodyExchange

BODY = bytes(range(256)) * (INLINE_BYTES // 256 * 2) + b"tail"  # 2 MiB + 4


def record(body: bytes = b"") -> SimpleNamespace:
    return SimpleNamespace(status=200, headers=[("content-type", "x")], body=body)


def test_the_record_carries_the_first_mib_and_the_rest_is_read_in_capped_pieces() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    inline = exchange.begin(HttpRequest("POST", "/", [], BODY)).body
    assert inline == BODY[:INLINE_BYTES]
    assert exchange.read(INLINE_BYTES, 1 << 30) == BODY[INLINE_BYTES:2 * INLINE_BYTES]  # capped at 1 MiB
    assert exchange.read(2 * INLINE_BYTES, 100) == b"tail"
    assert exchange.read(len(BODY), INLINE_BYTES) == b""
    assert exchange.read(len(BODY) + 10, INLINE_BYTES) == b""


def test_a_small_body_is_inline_whole() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    assert exchange.begin(HttpRequest("POST", "/", [], b"abc")).body == b"abc"


def test_written_pieces_come_before_the_records_body_and_do_not_leak_into_the_next_request() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.write(b"one,") is None and exchange.write(b"two,") is None
    response = exchange.finish(record(b"three"))
    assert (response.status, response.body) == (200, b"one,two,three")
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.finish(record(b"alone")).body == b"alone"


def test_a_piece_past_max_body_bytes_is_refused_and_the_response_becomes_too_large() -> None:
    exchange = BodyExchange(max_body_bytes=10)
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.write(b"123456") is None
    refusal = exchange.write(b"7890A")
    assert refusal is not None and "max_body_bytes = 10" in refusal and "11 bytes" in refusal
    assert exchange.write(b"") == refusal  # stays refused; nothing more is kept
    with pytest.raises(GuestFault) as fault:
        exchange.finish(record())
    assert fault.value.kind == "too-large" and fault.value.http_status == 502
    exchange.begin(HttpRequest("GET", "/"))  # the next request starts clean
    assert exchange.write(b"ok") is None
