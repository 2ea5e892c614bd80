"""The host side of warpgrid:shim/http-body: what a guest reads and writes, and the limits.
(Real guests in every SDK: scenarios/test_large_bodies.py and scenarios/test_go_t3.py.)"""

from base64 import b64decode, b64encode
from types import SimpleNamespace

import pytest

from warpgrid.faults import GuestFault
from warpgrid.http.messages import HttpRequest
from warpgrid.shims.http_body import INLINE_BYTES, PIECE_BYTES, BodyExchange

BODY = bytes(range(256)) * (PIECE_BYTES // 256 * 2) + b"tail"  # 2 MiB + 4


def record(body: bytes = b"") -> SimpleNamespace:
    return SimpleNamespace(status=200, headers=[("content-type", "x")], body=body)


def test_the_record_carries_the_inline_part_and_the_rest_is_read_in_capped_base64_pieces() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    assert exchange.begin(HttpRequest("POST", "/", [], BODY)).body == BODY[:INLINE_BYTES]
    first = b64decode(exchange.read(INLINE_BYTES, 1 << 30), validate=True)
    assert first == BODY[INLINE_BYTES:INLINE_BYTES + PIECE_BYTES]  # capped at PIECE_BYTES
    assert b64decode(exchange.read(len(BODY) - 4, 100)) == b"tail"
    assert exchange.read(len(BODY), PIECE_BYTES) == ""
    assert exchange.read(len(BODY) + 10, PIECE_BYTES) == ""


def test_a_body_that_fits_is_inline_whole() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exact = b"x" * INLINE_BYTES
    assert exchange.begin(HttpRequest("POST", "/", [], exact)).body == exact
    assert exchange.read(INLINE_BYTES, PIECE_BYTES) == ""  # the guest's one look past the record


def test_written_pieces_come_before_the_records_body_and_do_not_leak_into_the_next_request() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.write(b64encode(b"one,").decode()) is None
    assert exchange.write(b64encode(b"two,").decode()) is None
    response = exchange.finish(record(b"three"))
    assert (response.status, response.body) == (200, b"one,two,three")
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.finish(record(b"alone")).body == b"alone"


def test_a_piece_past_max_body_bytes_is_refused_and_the_response_becomes_too_large() -> None:
    exchange = BodyExchange(max_body_bytes=10)
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.write(b64encode(b"123456").decode()) is None
    refusal = exchange.write(b64encode(b"7890A").decode())
    assert refusal is not None and "max_body_bytes = 10" in refusal and "11 bytes" in refusal
    assert exchange.write("") == refusal  # stays refused; nothing more is kept
    with pytest.raises(GuestFault) as fault:
        exchange.finish(record())
    assert fault.value.kind == "too-large" and fault.value.http_status == 502
    exchange.begin(HttpRequest("GET", "/"))  # the next request starts clean
    assert exchange.write(b64encode(b"ok").decode()) is None


@pytest.mark.parametrize("piece", ["not base64!", "QUJD\n", "QUI", b64encode(bytes(PIECE_BYTES + 1)).decode()])
def test_a_piece_that_is_not_padded_base64_or_is_too_big_is_a_guest_error(piece) -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exchange.begin(HttpRequest("GET", "/"))
    assert "write-response-body" in exchange.write(piece)
    with pytest.raises(GuestFault) as fault:
        exchange.finish(record())
    assert fault.value.kind == "bad-export" and fault.value.http_status == 500


def words_of(data: bytes) -> list[int]:
    padded = data + bytes(-len(data) % 8)
    return [int.from_bytes(padded[i:i + 8], "little") for i in range(0, len(padded), 8)]


def test_word_pieces_carry_their_bytes_in_memory_order_without_the_padding() -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.write_words(words_of(b"hello, world"), 12) is None  # 2 words, 4 bytes padding
    assert exchange.write_words(words_of(BODY[:PIECE_BYTES]), PIECE_BYTES) is None
    assert exchange.write_words([], 0) is None
    assert exchange.finish(record(b"!")).body == b"hello, world" + BODY[:PIECE_BYTES] + b"!"


@pytest.mark.parametrize("words, length", [([1, 2], 8), ([1], 9), ([], 1), ([0], 0)])
def test_a_word_count_that_does_not_fit_the_length_is_a_guest_error(words, length) -> None:
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exchange.begin(HttpRequest("GET", "/"))
    refusal = exchange.write_words(words, length)
    assert refusal is not None and f"{len(words)} words for a piece of {length} bytes" in refusal
    with pytest.raises(GuestFault) as fault:
        exchange.finish(record())
    assert fault.value.kind == "bad-export"


def test_word_pieces_count_against_max_body_bytes_and_the_piece_limit() -> None:
    exchange = BodyExchange(max_body_bytes=10)
    exchange.begin(HttpRequest("GET", "/"))
    assert "max_body_bytes = 10" in exchange.write_words(words_of(b"x" * 11), 11)
    exchange = BodyExchange(max_body_bytes=8 << 20)
    exchange.begin(HttpRequest("GET", "/"))
    too_big = PIECE_BYTES + 8
    assert "over the 1048576-byte limit" in exchange.write_words([0] * (too_big // 8), too_big)


def test_raw_pieces_join_base64_ones_under_the_same_limit() -> None:
    exchange = BodyExchange(max_body_bytes=8)
    exchange.begin(HttpRequest("GET", "/"))
    assert exchange.write_bytes(b"raw,") is None
    assert exchange.write(b64encode(b"b64").decode()) is None
    assert exchange.finish(record(b"!")).body == b"raw,b64!"
    exchange.begin(HttpRequest("GET", "/"))
    assert "max_body_bytes = 8" in exchange.write_bytes(b"123456789")
    with pytest.raises(GuestFault):
        exchange.finish(record())
