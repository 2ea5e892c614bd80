/**
 * bun-http-handler: a Bun + hono service, unchanged between `bun run src/index.ts` (native,
 * listens on $PORT) and the WarpGrid component (bun_component: the bundler plugin turns
 * `export default { fetch }` into the http-handler export and Bun.env/Bun.file into shims).
 *
 * Same routes and answers as test-apps/ts-http-handler (T4), so T5's transcript can be
 * compared with T4's: GET / (HTML), GET /api/info (JSON, Bun.env.GREETING), GET /users/:id
 * (params + query, 400 on a bad id), POST /echo (text or JSON), GET /dns/:host, GET
 * /files/etc/hosts (Bun.file), POST /notes, GET /notes, GET /notes/:id (Postgres through
 * createPool: Bun.sql natively, the host's database proxy in a component), JSON 404.
 */
import { Hono } from 'hono';
import { createPool, dns } from '@warpgrid/bun-sdk';

const app = new Hono();

app.get('/', (c) =>
  c.html('<!doctype html><html><head><title>WarpGrid</title></head><body><h1>Hello from WarpGrid</h1></body></html>'));

app.get('/api/info', (c) =>
  c.json({ service: 'bun-http-handler', runtime: 'bun', greeting: Bun.env.GREETING ?? null }));

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

app.get('/dns/:host', async (c) => {
  try {
    return c.json({ host: c.req.param('host'), addresses: await dns.resolve(c.req.param('host')) });
  } catch (err) {
    return c.json({ error: String((err as Error).message) }, 502);
  }
});

app.get('/files/etc/hosts', async (c) => c.text(await Bun.file('/etc/hosts').text()));

// One pool for the process; creating it opens nothing (safe in top-level code).
const db = createPool({
  host: Bun.env.DATABASE_HOST ?? 'localhost',
  port: Number(Bun.env.DATABASE_PORT ?? 5432),
  database: Bun.env.DATABASE_NAME ?? 'postgres',
  user: Bun.env.DATABASE_USER ?? 'postgres',
  poolSize: 4,
});

const NOTES_TABLE = `CREATE TABLE IF NOT EXISTS notes (
  id serial PRIMARY KEY, title text NOT NULL, tags text[] NOT NULL DEFAULT '{}',
  meta jsonb, created_at timestamptz NOT NULL DEFAULT now())`;

app.post('/notes', async (c) => {
  const body = await c.req.json<{ title?: string; tags?: string[]; meta?: unknown }>().catch(() => null);
  if (!body || typeof body.title !== 'string' || !body.title) return c.json({ error: 'body must be JSON with a title' }, 400);
  await db.query(NOTES_TABLE);
  const r = await db.query('INSERT INTO notes (title, tags, meta) VALUES ($1, $2, $3) RETURNING *',
    [body.title, body.tags ?? [], body.meta ?? null]);
  return c.json(r.rows[0], 201);
});

app.get('/notes', async (c) => {
  await db.query(NOTES_TABLE);
  const r = await db.query('SELECT id, title, tags, meta, created_at FROM notes ORDER BY id');
  return c.json({ count: r.rowCount, notes: r.rows });
});

app.get('/notes/:id', async (c) => {
  const id = Number(c.req.param('id'));
  if (!Number.isInteger(id) || id <= 0) return c.json({ error: 'id must be a positive integer' }, 400);
  await db.query(NOTES_TABLE);
  const row = (await db.query('SELECT * FROM notes WHERE id = $1', [id])).rows[0];
  return row ? c.json(row) : c.json({ error: `note ${id} not found` }, 404);
});

app.onError((err, c) => c.json({ error: err.message }, 502));

app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));

export default {
  port: Number(Bun.env.PORT ?? 3000),
  fetch: app.fetch,
};
