/**
 * The component's http-handler export for a Bun entry. The WarpGrid bundler plugin generates
 * the bundle's entry module as
 *
 *   import { lazyHttpHandler } from '@warpgrid/bun-sdk/runtime';
 *   export const httpHandler = lazyHttpHandler(() => import('./<the app entry>'), '<entry>');
 *
 * The app is loaded on the first request, not at build time. Under Bun, a service's top-level
 * code runs when the process starts, with the real environment: `const db = createPool({ host:
 * Bun.env.DATABASE_HOST })`, `port: Number(Bun.env.PORT)`. ComponentizeJS runs module top
 * level under Wizer at build time, where host calls (the environment, files) are not
 * allowed and whose values would be frozen into the component. Loading the app lazily keeps
 * Bun's semantics: the bundle's dynamic import is an in-bundle lazy module (no fetch), and the
 * host gives each request a fresh instance, so the app's top level sees that request's
 * environment. Measured cost: see docs/domains/06-bun.md.
 *
 * What is served is what Bun itself would serve: the server of a `Bun.serve(...)` call made
 * while the entry loaded, else the entry's `export default { fetch, routes?, error? }` (any
 * object with a `fetch` method, e.g. a hono app). Requests cross as the WIT records through
 * @warpgrid/sdk/http's adapter (a throwing app becomes a 500 naming the error).
 */
import { serve as httpHandlerOf } from '@warpgrid/sdk/http';
import { installFetch } from '@warpgrid/sdk/fetch';
import { Server, servedServer, type ServeOptions } from './polyfills/serve.ts';
import { env } from './polyfills/index.ts';

// In the component, `fetch` reaches other services of the deployment (`http://<name>.<ns>.warp.local`)
// through warpgrid:shim/http-client, as with @warpgrid/sdk (natively, Bun's own fetch is used).
installFetch();

/** The server a loaded entry module serves; throws naming the entry when it serves nothing. */
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

/** The http-handler export: loads the entry on the first request, then serves it. */
export function lazyHttpHandler(load: () => Promise<Record<string, unknown>>, entryName: string) {
  let server: Server | null = null;
  return httpHandlerOf(async (request: Request) => {
    server ??= serverFor(await load(), entryName);
    return server.fetch(request);
  });
}
