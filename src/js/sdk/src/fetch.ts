/**
 * `fetch` for ComponentizeJS components: requests to other services of the deployment
 * (`http://<name>.<namespace>.warp.local/...`) go through `warpgrid:shim/http-client`.
 *
 * The engine's own fetch needs `wasi:http` (disabled in WarpGrid builds), so the SDK puts this
 * one on `globalThis.fetch` when it is imported: code written against the ordinary fetch API
 * (hono clients, ky, plain `await fetch(url)`) works unchanged. The host decides what may be
 * reached; a refused call (unknown name, not in the caller's `[http_client] allow`, another
 * host) rejects with a TypeError, as fetch does for network errors, whose message carries the
 * host's reason and whose `cause` is a WarpGridError with the code.
 */
import * as client from 'warpgrid:shim/http-client@0.1.0';
import { WarpGridError, witErrorCase } from './errors.js';

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/** The WHATWG fetch signature over the host's http-client import. */
export async function warpgridFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const headers: Array<[string, string]> = [];
  request.headers.forEach((value, key) => headers.push([key, value]));
  const body = request.method === 'GET' || request.method === 'HEAD'
    ? new Uint8Array(0)
    : new Uint8Array(await request.arrayBuffer());
  let response: client.IncomingResponse;
  try {
    response = client.send({ method: request.method, url: request.url, headers, body });
  } catch (err) {
    const reason = witErrorCase(err);
    const code = reason.split(':', 1)[0];
    throw new TypeError(`fetch ${request.method} ${request.url} failed: ${reason}`, {
      cause: new WarpGridError(reason, code),
    });
  }
  const responseHeaders = new Headers();
  for (const [k, v] of response.headers) responseHeaders.append(k, v);
  const payload = NULL_BODY_STATUS.has(response.status) || request.method === 'HEAD' ? null : new Uint8Array(response.body);
  return new Response(payload, { status: response.status, headers: responseHeaders });
}

/** Makes `globalThis.fetch` the host-routed one (done by importing the SDK). */
export function installFetch(): void {
  (globalThis as { fetch: typeof fetch }).fetch = warpgridFetch as typeof fetch;
}
