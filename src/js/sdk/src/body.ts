/**
 * Bodies beyond the record (`warpgrid:shim/http-body`, see wit/shim.wit).
 *
 * Why: the Python host can only call a component through wasmtime's C API, which lifts a
 * `list<u8>` as one value per byte (and traps above ~2.6 MiB in one call), while a string
 * crosses as one copy. So the host puts at most the first `INLINE_BODY_BYTES` of a request body
 * in the record and hands the rest over as base64 pieces of at most `PIECE_BYTES` decoded
 * (decoded here by the engine's native `Uint8Array.fromBase64`, ~2 ms per MiB; atob where that
 * is missing, e.g. Node 20). The response goes the other way as `write-response-words` pieces:
 * the bytes' own memory viewed as little-endian u64 words. ComponentizeJS lowers a JS string at
 * ~0.4 us per character (~400 ms per MiB of base64, measured) but a typed array as one copy,
 * and the host lifts a list one value at a time: ~80 ms per MiB as `list<u8>`, ~6 ms as
 * `list<u64>`.
 */
import { readRequestBody, writeResponseWords } from 'warpgrid:shim/http-body@0.1.0';

export const INLINE_BODY_BYTES = 4 << 10;
export const PIECE_BYTES = 1 << 20;

interface Base64Uint8Array {
  fromBase64?: (text: string) => Uint8Array;
}

const native = Uint8Array as unknown as Base64Uint8Array;

function fromBase64(text: string): Uint8Array {
  if (native.fromBase64) return native.fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The whole request body: `inline` plus what the host holds beyond it. */
export function wholeRequestBody(inline: Uint8Array): Uint8Array {
  if (inline.length !== INLINE_BODY_BYTES) return inline;
  const pieces: Uint8Array[] = [inline];
  let total = inline.length;
  for (;;) {
    const piece = fromBase64(readRequestBody(BigInt(total), PIECE_BYTES));
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
 * `piece` as the u64 words `write-response-words` takes: its own memory when it is whole words
 * at an aligned offset, else a zero-padded copy.
 */
export function asWords(piece: Uint8Array): BigUint64Array {
  const count = Math.ceil(piece.length / 8);
  if (piece.byteOffset % 8 === 0 && piece.length % 8 === 0) {
    return new BigUint64Array(piece.buffer, piece.byteOffset, count);
  }
  const padded = new Uint8Array(count * 8);
  padded.set(piece);
  return new BigUint64Array(padded.buffer, 0, count);
}

/**
 * Sends a response body above `INLINE_BODY_BYTES` to the host in pieces and returns what stays in
 * the record (empty then; `body` itself when it fits). A refusal (over the host's
 * max_body_bytes) ends the sending: the host answers 502 for this response.
 */
export function sendResponseBody(body: Uint8Array): Uint8Array {
  if (body.length <= INLINE_BODY_BYTES) return body;
  try {
    for (let offset = 0; offset < body.length; offset += PIECE_BYTES) {
      const piece = body.subarray(offset, offset + PIECE_BYTES);
      writeResponseWords(asWords(piece), piece.length);
    }
  } catch {
    // Refused: the host already knows and answers for it.
  }
  return new Uint8Array(0);
}
