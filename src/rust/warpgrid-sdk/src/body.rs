//! Bodies larger than one WIT record carries (`warpgrid:shim/http-body`, see `wit/shim.wit`).
//!
//! The Python host can only call a component through wasmtime's C API, which lifts a
//! `list<u8>` byte by byte against a fixed per-call budget (one list above ~2.6 MiB traps). So
//! the host puts at most the first [`INLINE_BODY_BYTES`] of a request body in the record, and
//! the rest, like a response body above that size, crosses in pieces of at most that size.

use crate::bindings::warpgrid::shim::http_body as wit;

/// The most body bytes one record or one call carries (1 MiB).
pub const INLINE_BODY_BYTES: usize = 1 << 20;

/// The whole request body: `inline` plus what the host holds beyond it.
pub fn whole_request_body(mut body: Vec<u8>) -> Vec<u8> {
    if body.len() != INLINE_BODY_BYTES {
        return body;
    }
    loop {
        let piece = wit::read_request_body(body.len() as u64, INLINE_BODY_BYTES as u32);
        if piece.is_empty() {
            return body;
        }
        body.extend_from_slice(&piece);
    }
}

/// Sends a response body above [`INLINE_BODY_BYTES`] to the host in pieces and returns what
/// stays in the record (empty then; `body` itself when it fits). A refusal (over the host's
/// `max_body_bytes`) ends the sending: the host answers 502 for this response.
pub fn send_response_body(body: Vec<u8>) -> Vec<u8> {
    if body.len() <= INLINE_BODY_BYTES {
        return body;
    }
    for piece in body.chunks(INLINE_BODY_BYTES) {
        if wit::write_response_body(piece).is_err() {
            break;
        }
    }
    Vec::new()
}
