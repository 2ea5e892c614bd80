/**
 * wasi_http.ts with the build-time warm start test-apps/ts-http-handler uses (`warmUp` in
 * @warpgrid/sdk/http): the same two requests run while ComponentizeJS builds the component, so
 * the snapshot `wasmtime serve` instantiates per request holds hono's router and these routes
 * compiled. Measured next to the stock build, so this host is compared with a peer built alike.
 */
import { app } from './wasi_http';

for (const path of ['/', '/users/1']) {
  const res = await app.fetch(new Request(`http://localhost${path}`));
  if (res.status >= 500) throw new Error(`warm-up GET ${path} answered ${res.status}`);
  await res.arrayBuffer();
}
