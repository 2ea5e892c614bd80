declare module 'warpgrid:shim/http-body@0.1.0' {
  /**
   * At most `max-bytes` (capped at 1 MiB) of the current request's body from `offset`;
   * empty at or past the end.
   */
  export function readRequestBody(offset: bigint, maxBytes: number): Uint8Array;
  /**
   * Appends `piece` (at most 1 MiB) to the current response's body. An error names the
   * limit that refused it ([http] max_body_bytes); the host then answers 502 `too-large`.
   */
  export function writeResponseBody(piece: Uint8Array): void;
}
