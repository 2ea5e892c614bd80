/**
 * test-apps/ts-http-handler's portable routes as a `wasi:http/proxy` component (for
 * `wasmtime serve`): ComponentizeJS attaches StarlingMonkey's `fetch` event to the
 * `wasi:http/incoming-handler` export, and hono answers the event's Request.
 */
import { portableRoutes } from '../../test-apps/ts-http-handler/src/routes';

// wasi:http has no `process`; /api/info reads process.env.GREETING as on the other hosts.
(globalThis as { process?: unknown }).process ??= { env: {} };

export const app = portableRoutes('componentize-js (wasi:http)');

addEventListener('fetch', (event) => {
  const fetchEvent = event as unknown as { request: Request; respondWith(r: Response | Promise<Response>): void };
  fetchEvent.respondWith(app.fetch(fetchEvent.request));
});
