declare module 'warpgrid:shim/http-handler@0.1.0' {
  export function handle(request: Request): Response;
  export interface Request {
    method: string,
    /**
     * Path and query, e.g. "/users/7?full=1".
     */
    uri: string,
    headers: Array<[string, string]>,
    body: Uint8Array,
  }
  export interface Response {
    status: number,
    headers: Array<[string, string]>,
    body: Uint8Array,
  }
}
