/**
 * bun-postgres-client: a plain `Bun.serve({ routes })` service (no framework) over Postgres,
 * unchanged between `bun run src/index.ts` and the WarpGrid component.
 *
 *   GET  /health          {"ok":true,"mode":"native"|"component","postgres":<server_version_num>}
 *   POST /users           {"name","email"} -> 201 the row (400 when invalid, 409 on a duplicate email)
 *   GET  /users           {"count","users":[...]} ordered by id
 *   GET  /users/:id       the row, or 404
 *   DELETE /users/:id     204, or 404
 *   GET  /slow?ms=N       waits N ms with Bun.sleep (at most 1000), answers {"slept":N}
 *   anything else         404 {"error":"not found"}
 *
 * Postgres endpoint from DATABASE_HOST / DATABASE_PORT / DATABASE_NAME / DATABASE_USER (and
 * natively PGPASSWORD); in a component the host holds the credentials.
 */
import { createPool, mode } from '@warpgrid/bun-sdk';

const db = createPool({
  host: Bun.env.DATABASE_HOST ?? 'localhost',
  port: Number(Bun.env.DATABASE_PORT ?? 5432),
  database: Bun.env.DATABASE_NAME ?? 'postgres',
  user: Bun.env.DATABASE_USER ?? 'postgres',
  poolSize: 4,
});

const USERS_TABLE = `CREATE TABLE IF NOT EXISTS bun_users (
  id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now())`;

let tableReady = false;
async function users() {
  if (!tableReady) {
    await db.query(USERS_TABLE);
    tableReady = true;
  }
  return db;
}

function userId(req: Request & { params?: Record<string, string> }): number | null {
  const id = Number(req.params?.id);
  return Number.isInteger(id) && id > 0 ? id : null;
}

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 3000),
  routes: {
    '/health': async () => {
      const r = await db.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
      return Response.json({ ok: true, mode: mode(), postgres: r.rows[0].v });
    },
    '/users': {
      GET: async () => {
        const r = await (await users()).query('SELECT id, name, email, created_at FROM bun_users ORDER BY id');
        return Response.json({ count: r.rowCount, users: r.rows });
      },
      POST: async (req: Request) => {
        const body = (await req.json().catch(() => null)) as { name?: unknown; email?: unknown } | null;
        if (!body || typeof body.name !== 'string' || typeof body.email !== 'string' || !body.email.includes('@')) {
          return Response.json({ error: 'body must be JSON {"name": string, "email": string with @}' }, { status: 400 });
        }
        try {
          const r = await (await users()).query(
            'INSERT INTO bun_users (name, email) VALUES ($1, $2) RETURNING id, name, email, created_at', [body.name, body.email]);
          return Response.json(r.rows[0], { status: 201 });
        } catch (err) {
          if ((err as { code?: string }).code === '23505') { // unique_violation, in both modes
            return Response.json({ error: `email ${body.email} already exists` }, { status: 409 });
          }
          throw err;
        }
      },
    },
    '/users/:id': {
      GET: async (req: Request) => {
        const id = userId(req);
        if (id === null) return Response.json({ error: 'id must be a positive integer' }, { status: 400 });
        const r = await (await users()).query('SELECT id, name, email, created_at FROM bun_users WHERE id = $1', [id]);
        return r.rows[0] ? Response.json(r.rows[0]) : Response.json({ error: `user ${id} not found` }, { status: 404 });
      },
      DELETE: async (req: Request) => {
        const id = userId(req);
        if (id === null) return Response.json({ error: 'id must be a positive integer' }, { status: 400 });
        const r = await (await users()).query('DELETE FROM bun_users WHERE id = $1', [id]);
        return r.rowCount ? new Response(null, { status: 204 }) : Response.json({ error: `user ${id} not found` }, { status: 404 });
      },
    },
    '/slow': async (req: Request) => {
      const ms = Math.min(1000, Math.max(0, Number(new URL(req.url).searchParams.get('ms') ?? 0) || 0));
      await Bun.sleep(ms);
      return Response.json({ slept: ms });
    },
  },
  fetch() {
    return Response.json({ error: 'not found' }, { status: 404 });
  },
  error(err) {
    return Response.json({ error: err.message }, { status: 502 });
  },
});

console.log(`bun-postgres-client (${mode()}) on ${server.url}`);
