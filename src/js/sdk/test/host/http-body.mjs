// Test double of the host's warpgrid:shim/http-body: serves `exchange.request` in base64 pieces
// and records the bytes of written pieces (base64 or raw), refusing past `exchange.limit` as the
// host does.
export const exchange = { request: new Uint8Array(0), written: [], limit: Infinity, reads: 0 };

export function begin(request, limit = Infinity) {
  Object.assign(exchange, { request, written: [], limit, reads: 0 });
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
