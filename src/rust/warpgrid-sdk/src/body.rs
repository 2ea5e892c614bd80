//! Bodies beyond the record (`warpgrid:shim/http-body`, see `wit/shim.wit`).
//!
//! The Python host can only call a component through wasmtime's C API, which lifts a
//! `list<u8>` as one value per byte (and traps above ~2.6 MiB in one call), while a `string`
//! crosses as one copy. So the host puts at most the first [`INLINE_BODY_BYTES`] of a request
//! body in the record, and the rest, like a response body above that size, crosses as base64
//! pieces of at most [`PIECE_BYTES`] decoded.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::bindings::warpgrid::shim::http_body as wit;

/// The most body bytes the http-handler records carry (4 KiB).
pub const INLINE_BODY_BYTES: usize = 4 << 10;
/// The most body bytes one http-body call carries (1 MiB).
pub const PIECE_BYTES: usize = 1 << 20;

/// The whole request body: `inline` plus what the host holds beyond it.
pub fn whole_request_body(mut body: Vec<u8>) -> Vec<u8> {
    if body.len() != INLINE_BODY_BYTES {
        return body;
    }
    loop {
        let piece = wit::read_request_body(body.len() as u64, PIECE_BYTES as u32);
        if piece.is_empty() {
            return body;
        }
        STANDARD
            .decode_vec(piece.as_bytes(), &mut body)
            .expect("warpgrid http-body: the host sent a piece that is not base64");
    }
}

/// Sends a response body above [`INLINE_BODY_BYTES`] to the host in pieces and returns what
/// stays in the record (empty then; `body` itself when it fits). A refusal (over the host's
/// `max_body_bytes`) ends the sending: the host answers 502 for this response.
pub fn send_response_body(body: Vec<u8>) -> Vec<u8> {
    if body.len() <= INLINE_BODY_BYTES {
        return body;
    }
    let mut text = String::with_capacity(body.len().min(PIECE_BYTES).div_ceil(3) * 4);
    for piece in body.chunks(PIECE_BYTES) {
        text.clear();
        STANDARD.encode_string(piece, &mut text);
        if wit::write_response_body(&text).is_err() {
            break;
        }
    }
    Vec::new()
}
