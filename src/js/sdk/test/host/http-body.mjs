// Test double of the host's warpgrid:shim/http-body: serves `exchange.request` in base64 pieces
// and records the bytes of written pieces (base64, raw or u64 words), refusing past `exchange.limit`
// and a word count that does not fit the length, as the host does.
export const exchange = { request: new Uint8Array(0), written: [], limit: Infinity, reads: 0, calls: [] };

export function begin(request, limit = Infinity) {
  Object.assign(exchange, { request, written: [], limit, reads: 0, calls: [] });
}

export function readRequestBody(offset, maxBytes) {
  exchange.reads += 1;
  const start = Number(offset);
  return Buffer.from(exchange.request.subarray(start, start + Math.min(maxBytes, 1 << 20))).toString('base64');
}

export function writeResponseBody(piece) {
  writeResponseBytes(new Uint8Array(Buffer.from(piece, 'base64')));
}

export function writeResponseBytes(piece) {
  const bytes = Uint8Array.from(piece);
  const total = exchange.written.reduce((n, p) => n + p.length, 0) + bytes.length;
  if (total > exchange.limit) throw new Error(`response body exceeds [http] max_body_bytes = ${exchange.limit}`);
  exchange.written.push(bytes);
}

export function writeResponseWords(words, length) {
  exchange.calls.push('words');
  if (!(words instanceof BigUint64Array)) throw new TypeError('write-response-words takes a BigUint64Array');
  if (words.length !== Math.ceil(length / 8)) {
    throw new Error(`write-response-words: ${words.length} words for a piece of ${length} bytes`);
  }
  writeResponseBytes(new Uint8Array(words.buffer, words.byteOffset, length));
}
