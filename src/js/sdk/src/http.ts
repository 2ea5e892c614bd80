/**
 * Serves a fetch-style app (`app.fetch(Request) -> Response | Promise<Response>`,
 * e.g. hono) as the `warpgrid:shim/http-handler@0.1.0` export:
 *
 *   import { serve } from '@warpgrid/sdk/http';
 *   export const httpHandler = serve(app);
 *
 * ComponentizeJS maps the WIT export interface `http-handler` to the ES export
 * `httpHandler`; an async `handle` works (the engine runs its event loop until
 * the promise settles). Bodies beyond one record cross through `./body.ts`.
 */
import { sendResponseBody, wholeRequestBody } from './body.js';

/** The WIT `request` record as ComponentizeJS passes it. */
export interface WitRequest {
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** The WIT `response` record. */
export interface WitResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface FetchApp {
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response>;
}

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface ServeOptions {
  /** Origin used to build absolute URLs when the request has no Host header. */
  defaultOrigin?: string;
  /** Value passed as the second argument of `app.fetch` (hono's `c.env`). */
  env?: unknown;
}

const encoder = new TextEncoder();

/** Builds a fetch `Request` from the WIT record (absolute URL from the Host header). */
export function toFetchRequest(req: WitRequest, options: ServeOptions = {}): Request {
  const host = req.headers.find(([k]) => k.toLowerCase() === 'host')?.[1];
  const origin = host ? `http://${host}` : options.defaultOrigin ?? 'http://localhost';
  const uri = req.uri.startsWith('/') ? req.uri : `/${req.uri}`;
  const method = req.method.toUpperCase();
  const headers = new Headers();
  for (const [k, v] of req.headers) headers.append(k, v);
  const hasBody = method !== 'GET' && method !== 'HEAD' && req.body.length > 0;
  const request = new Request(origin + uri, { method, headers, body: hasBody ? new Uint8Array(req.body) : undefined });
  // Fetch's text() decodes UTF-8 with replacement (U+FFFD for each invalid sequence), as Node
  // and browsers do; the engine's own text() throws on invalid bytes instead, which turned a
  // binary body into a 502. The body stays readable exactly once, as with the original.
  Object.defineProperty(request, 'text', {
    value: async () => replacingDecoder.decode(await request.arrayBuffer()),
  });
  return request;
}

const replacingDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Reads a fetch `Response` into the WIT record (all headers, body bytes). */
export async function fromFetchResponse(res: Response): Promise<WitResponse> {
  const headers: Array<[string, string]> = [];
  res.headers.forEach((value, key) => headers.push([key, value]));
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers, body };
}

/** A 500 response naming the error, so a handler bug does not trap the instance. */
export function errorResponse(err: unknown): WitResponse {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return {
    status: 500,
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body: encoder.encode(`Internal Server Error\n${message}\n`),
  };
}

/** Wraps a fetch-style app (object with `fetch`, or a bare function) as the http-handler export. */
export function serve(app: FetchApp | FetchHandler, options: ServeOptions = {}) {
  const fetchFn: FetchHandler = typeof app === 'function'
    ? app
    : (request) => app.fetch(request, options.env);
  return {
    async handle(req: WitRequest): Promise<WitResponse> {
      try {
        const whole = { ...req, body: wholeRequestBody(req.body) };
        const res = await fromFetchResponse(await fetchFn(toFetchRequest(whole, options)));
        return { ...res, body: sendResponseBody(res.body) };
      } catch (err) {
        return errorResponse(err);
      }
    },
  };
}
