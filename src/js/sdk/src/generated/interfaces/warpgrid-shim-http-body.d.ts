declare module 'warpgrid:shim/http-body@0.1.0' {
  /**
   * At most `max-bytes` (capped at 1 MiB) of the current request's body from `offset`, as
   * base64; empty at or past the end.
   */
  export function readRequestBody(offset: bigint, maxBytes: number): string;
  /**
   * Appends the bytes `piece` encodes (base64, at most 1 MiB decoded) to the current
   * response's body. An error names what was refused: a piece that is not base64, or one that
   * takes the body past [http] max_body_bytes (the host then answers 502 `too-large`).
   */
  export function writeResponseBody(piece: string): void;
  /**
   * `write-response-body` for raw bytes: for guests whose runtime lowers a byte array much
   * faster than a string (ComponentizeJS lowers strings at ~0.4 us per character, a
   * Uint8Array as one copy); the host then pays per byte instead (see the interface notes).
   */
  export function writeResponseBytes(piece: Uint8Array): void;
  /**
   * `write-response-bytes` with the piece's bytes packed eight to a `u64`, little-endian
   * (the order of linear memory, so a guest passes its bytes' own memory), the last word
   * zero-padded: `words` holds exactly ceil(`length` / 8) of them. A host on wasmtime's C
   * API lifts a list one value at a time, so this costs it an eighth of `list<u8>`.
   */
  export function writeResponseWords(words: BigUint64Array, length: number): void;
}
