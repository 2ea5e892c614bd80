/**
 * The component's http-handler export for a Bun entry. The WarpGrid bundler plugin generates
 * the bundle's entry module as
 *
 *   import { httpHandlerFor } from '@warpgrid/bun-sdk/runtime';
 *   import * as entry from './<the app entry>';
 *   export const httpHandler = httpHandlerFor(entry, '<entry>');
 *
 * and this picks what Bun itself would serve: the server of a `Bun.serve(...)` call made while
 * the entry loaded, else the entry's `export default { fetch, routes?, error? }` (any object
 * with a `fetch` method, e.g. a hono app). The choice is made when the module loads, at build
 * time, so an entry that serves nothing fails the build instead of the first request.
 * Requests then cross as the WIT records through @warpgrid/sdk/http's adapter.
 */
import { serve as httpHandlerOf } from '@warpgrid/sdk/http';
import { Server, servedServer, type ServeOptions } from './polyfills/serve.ts';
import { env } from './polyfills/index.ts';

export function serverFor(entry: Record<string, unknown>, entryName: string): Server {
  const served = servedServer();
  if (served) return served;
  const options = entry.default as ServeOptions | undefined;
  if (options && (typeof options.fetch === 'function' || (typeof options.routes === 'object' && options.routes))) {
    return new Server(options, env);
  }
  throw new Error(
    `${entryName} serves nothing: call Bun.serve({ fetch(req) { ... } }) or ` +
      '`export default { fetch(req) { ... } }` (a hono app: `export default app`)',
  );
}

export function httpHandlerFor(entry: Record<string, unknown>, entryName: string) {
  const server = serverFor(entry, entryName);
  return httpHandlerOf((request: Request) => server.fetch(request));
}

/** The http-handler export for an entry that is loaded on the first request (see the header). */
export function lazyHttpHandler(load: () => Promise<Record<string, unknown>>, entryName: string) {
  let server: Server | null = null;
  const handler = httpHandlerOf(async (request: Request) => {
    server ??= serverFor(await load(), entryName);
    return server.fetch(request);
  });
  return handler;
}
