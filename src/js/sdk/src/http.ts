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
 * `warmUp` gives every fresh instance a warm start (see its comment).
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
export function serve(app: FetchApp | FetchHandler, options: ServeOptions = {}): HttpHandler {
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

/** What `serve()` returns: the http-handler export. */
export interface HttpHandler {
  handle(req: WitRequest): Promise<WitResponse>;
}

/**
 * Sends each of `requests` (`"GET /"`, `"GET /users/1"`) through `handler` once, for a warm
 * start. ComponentizeJS runs the module's top-level code at build time and snapshots the engine
 * after it, so
 *
 *   export const httpHandler = serve(app);
 *   await warmUp(httpHandler, ['GET /']);
 *
 * builds the router and compiles each warmed route's code into the component's memory image:
 * every fresh instance (one per request) starts where a warm one would be. Without it the JS
 * engine does that lazily on each instance's first (and only) request, several times the cost
 * of the request itself (figures in docs/PERFORMANCE.md).
 *
 * The requests run while the component is being built, where no host interface exists: a warmed
 * route must not read the environment, files, DNS, a database or a request body beyond 4 KiB,
 * nor answer more than 4 KiB (the build stops with ComponentizeJS naming the missing import),
 * and must not leave behind state a real request would see. A 5xx answer stops the build here.
 */
export async function warmUp(handler: HttpHandler, requests: string[]): Promise<void> {
  for (const line of requests) {
    const [method, uri, ...rest] = line.trim().split(/\s+/);
    if (!method || !uri?.startsWith('/') || rest.length > 0) {
      throw new Error(`warmUp: ${JSON.stringify(line)} is not "METHOD /path", e.g. "GET /"`);
    }
    const res = await handler.handle({ method, uri, headers: [], body: new Uint8Array() });
    if (res.status >= 500) {
      const detail = new TextDecoder().decode(res.body).trim();
      throw new Error(`warmUp: ${method} ${uri} answered ${res.status}; warm only routes that work without the host: ${detail}`);
    }
  }
}
