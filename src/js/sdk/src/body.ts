/**
 * Bodies larger than one WIT record carries (`warpgrid:shim/http-body`, see wit/shim.wit).
 *
 * Why: the Python host can only call a component through wasmtime's C API, which lifts a
 * `list<u8>` byte by byte against a fixed per-call budget, so one list above ~2.6 MiB traps.
 * The host therefore puts at most the first `INLINE_BODY_BYTES` of a request body in the
 * record; the rest, and a response body above that size, cross in pieces of at most that size.
 */
import { readRequestBody, writeResponseBody } from 'warpgrid:shim/http-body@0.1.0';

export const INLINE_BODY_BYTES = 1 << 20;

/** The whole request body: `inline` plus what the host holds beyond it. */
export function wholeRequestBody(inline: Uint8Array): Uint8Array {
  if (inline.length !== INLINE_BODY_BYTES) return inline;
  const pieces: Uint8Array[] = [inline];
  let total = inline.length;
  for (;;) {
    const piece = readRequestBody(BigInt(total), INLINE_BODY_BYTES);
    if (piece.length === 0) break;
    pieces.push(piece);
    total += piece.length;
  }
  const whole = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    whole.set(piece, offset);
    offset += piece.length;
  }
  return whole;
}

/**
 * Sends a response body above `INLINE_BODY_BYTES` to the host in pieces and returns what stays in
 * the record (empty then; `body` itself when it fits). A refusal (over the host's
 * max_body_bytes) ends the sending: the host answers 502 for this response.
 */
export function sendResponseBody(body: Uint8Array): Uint8Array {
  if (body.length <= INLINE_BODY_BYTES) return body;
  try {
    for (let offset = 0; offset < body.length; offset += INLINE_BODY_BYTES) {
      writeResponseBody(body.subarray(offset, offset + INLINE_BODY_BYTES));
    }
  } catch {
    // Refused: the host already knows and answers for it.
  }
  return new Uint8Array(0);
}
