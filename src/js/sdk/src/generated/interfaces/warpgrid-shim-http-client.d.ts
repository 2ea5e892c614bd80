declare module 'warpgrid:shim/http-client@0.1.0' {
  /**
   * The called service's response: its own status, or 500 when it trapped and 504 when it
   * ran past its deadline (the caller keeps running). The error string is
   * "<code>: <explanation>" with code one of `invalid-url`, `not-found` (no such service in
   * the deployment), `not-allowed` (the caller's allow-list does not name it),
   * `loop` (too many nested calls), `unavailable` (the service cannot be instantiated).
   */
  export function send(request: OutgoingRequest): IncomingResponse;
  export interface OutgoingRequest {
    method: string,
    /**
     * Absolute URL, e.g. "http://users.t6.warp.local/users/7".
     */
    url: string,
    headers: Array<[string, string]>,
    body: Uint8Array,
  }
  export interface IncomingResponse {
    status: number,
    headers: Array<[string, string]>,
    body: Uint8Array,
  }
}
