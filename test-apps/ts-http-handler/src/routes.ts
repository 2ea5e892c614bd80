/**
 * The app's portable routes: plain hono, no `@warpgrid/sdk`, so the same code also runs on
 * other hosts (benchmarks/side_by_side.py serves it with `wasmtime serve`, Node and Bun to
 * compare them with this host). index.ts adds the routes that need the WarpGrid shims.
 */
import { Hono } from 'hono';

/** GET / (HTML), GET /api/info (JSON), GET /users/:id (path params + query), POST /echo. */
export function portableRoutes(runtime: string): Hono {
  const app = new Hono();

  app.get('/', (c) =>
    c.html('<!doctype html><html><head><title>WarpGrid</title></head><body><h1>Hello from WarpGrid</h1></body></html>'));

  app.get('/api/info', (c) =>
    c.json({ service: 'ts-http-handler', runtime, greeting: process.env.GREETING ?? null }));

  app.get('/users/:id', (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || id <= 0) return c.json({ error: 'id must be a positive integer' }, 400);
    return c.json({ id, name: `user-${id}`, full: c.req.query('full') === '1' });
  });

  app.post('/echo', async (c) => {
    const text = await c.req.text();
    const type = c.req.header('content-type') ?? '';
    if (type.includes('application/json')) {
      try {
        return c.json({ echo: JSON.parse(text) });
      } catch {
        return c.json({ error: 'body is not valid JSON' }, 400);
      }
    }
    return c.text(text);
  });

  return app;
}
