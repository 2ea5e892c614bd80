/**
 * ts-http-handler: a hono app served as the WarpGrid http-handler export.
 * Routes: GET / (HTML), GET /api/info (JSON, includes process.env.GREETING),
 * GET /users/:id (path params + query), POST /echo (body echo), GET /dns/:host
 * (warpgrid.dns.resolve), GET /files/etc/hosts (warpgrid.fs.readFile), and the
 * T4 scenario (hono + Postgres through the database proxy): POST /notes,
 * GET /notes, GET /notes/:id. Postgres endpoint from DATABASE_HOST,
 * DATABASE_PORT, DATABASE_NAME, DATABASE_USER (credentials stay on the host).
 */
import { warpgrid } from '@warpgrid/sdk';
import { serve, warmUp } from '@warpgrid/sdk/http';
import { Client } from '@warpgrid/sdk/pg';
import { portableRoutes } from './routes';

// GET /, /api/info, /users/:id, POST /echo: src/routes.ts (shared with benchmarks/side_by_side.py).
const app = portableRoutes('componentize-js');

app.get('/dns/:host', async (c) => {
  try {
    return c.json({ host: c.req.param('host'), addresses: await warpgrid.dns.resolve(c.req.param('host')) });
  } catch (err) {
    return c.json({ error: String((err as Error).message) }, 502);
  }
});

app.get('/files/etc/hosts', async (c) => c.text(await warpgrid.fs.readFile('/etc/hosts', 'utf8')));

/** One proxied Postgres connection per request, always handed back to the host pool. */
async function withDb<T>(fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({
    host: process.env.DATABASE_HOST ?? 'localhost',
    port: Number(process.env.DATABASE_PORT ?? 5432),
    database: process.env.DATABASE_NAME ?? 'postgres',
    user: process.env.DATABASE_USER ?? 'postgres',
  });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

const NOTES_TABLE = `CREATE TABLE IF NOT EXISTS notes (
  id serial PRIMARY KEY, title text NOT NULL, tags text[] NOT NULL DEFAULT '{}',
  meta jsonb, created_at timestamptz NOT NULL DEFAULT now())`;

app.post('/notes', async (c) => {
  const body = await c.req.json<{ title?: string; tags?: string[]; meta?: unknown }>().catch(() => null);
  if (!body || typeof body.title !== 'string' || !body.title) return c.json({ error: 'body must be JSON with a title' }, 400);
  const note = await withDb(async (db) => {
    await db.query(NOTES_TABLE);
    const r = await db.query('INSERT INTO notes (title, tags, meta) VALUES ($1, $2, $3) RETURNING *',
      [body.title, body.tags ?? [], body.meta ?? null]);
    return r.rows[0];
  });
  return c.json(note, 201);
});

app.get('/notes', async (c) => c.json(await withDb(async (db) => {
  await db.query(NOTES_TABLE);
  const r = await db.query('SELECT id, title, tags, meta, created_at FROM notes ORDER BY id');
  return { count: r.rowCount, notes: r.rows };
})));

app.get('/notes/:id', async (c) => {
  const id = Number(c.req.param('id'));
  if (!Number.isInteger(id) || id <= 0) return c.json({ error: 'id must be a positive integer' }, 400);
  const row = await withDb(async (db) => {
    await db.query(NOTES_TABLE);
    return (await db.query('SELECT * FROM notes WHERE id = $1', [id])).rows[0];
  });
  return row ? c.json(row) : c.json({ error: `note ${id} not found` }, 404);
});

app.onError((err, c) => c.json({ error: err.message }, 502));

app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));

export const httpHandler = serve(app);

// Build-time warm start: ComponentizeJS snapshots the engine after these two requests, so each
// fresh instance starts with hono's router built and these routes compiled. Both routes answer
// without the host (nothing exists of it at build time).
await warmUp(httpHandler, ['GET /', 'GET /users/1']);
