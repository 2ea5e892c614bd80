/**
 * T6 analytics service (Bun, `bun_component`): records events in Postgres through the Bun SDK
 * (`createPool`: Bun.sql natively, the host's database proxy in a component).
 *
 *   POST /events        {"type": string, "user_id"?: number} -> 201 {"id", "type", "total"};
 *                       422 when user_id names no user (asked of the user service with `fetch`)
 *   GET  /events/stats  {"total": n, "by_type": {"<type>": n, ...}}
 *
 * Postgres endpoint from DATABASE_HOST / DATABASE_PORT / DATABASE_NAME / DATABASE_USER. The user
 * service (Go) is called with the ordinary `fetch`: in the component the host routes
 * http://users.t6.warp.local to it ([http_client] allow in warp.toml).
 */
import { createPool } from '@warpgrid/bun-sdk';

const db = createPool({
  host: Bun.env.DATABASE_HOST ?? 'localhost',
  port: Number(Bun.env.DATABASE_PORT ?? 5432),
  database: Bun.env.DATABASE_NAME ?? 'postgres',
  user: Bun.env.DATABASE_USER ?? 'postgres',
  poolSize: 4,
});

const EVENTS_TABLE = `CREATE TABLE IF NOT EXISTS t6_events (
  id serial PRIMARY KEY, type text NOT NULL, user_id integer,
  created_at timestamptz NOT NULL DEFAULT now())`;

const usersUrl = () => Bun.env.USERS_URL ?? 'http://users.t6.warp.local';

/** Why an event's user_id cannot be recorded, or null when the user service knows the user. */
async function unknownUser(userId: number): Promise<Response | null> {
  const user = await fetch(`${usersUrl()}/users/${userId}`);
  if (user.ok) return null;
  if (user.status === 404) return Response.json({ error: `user ${userId} does not exist` }, { status: 422 });
  return Response.json({ error: `user service answered ${user.status}`, detail: await user.text() }, { status: 502 });
}

let tableReady = false;
async function events() {
  if (!tableReady) {
    await db.query(EVENTS_TABLE);
    tableReady = true;
  }
  return db;
}

Bun.serve({
  port: Number(Bun.env.PORT ?? 3001),
  routes: {
    '/events': {
      POST: async (req: Request) => {
        const body = (await req.json().catch(() => null)) as { type?: unknown; user_id?: unknown } | null;
        if (!body || typeof body.type !== 'string' || !body.type) {
          return Response.json({ error: 'body must be JSON {"type": string, "user_id"?: number}' }, { status: 400 });
        }
        const userId = typeof body.user_id === 'number' ? body.user_id : null;
        const refusal = userId === null ? null : await unknownUser(userId);
        if (refusal) return refusal;
        const pool = await events();
        const r = await pool.query<{ id: number }>('INSERT INTO t6_events (type, user_id) VALUES ($1, $2) RETURNING id', [body.type, userId]);
        const total = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM t6_events');
        return Response.json({ id: r.rows[0].id, type: body.type, total: total.rows[0].n }, { status: 201 });
      },
    },
    '/events/stats': async () => {
      const r = await (await events()).query<{ type: string; n: number }>(
        'SELECT type, count(*)::int AS n FROM t6_events GROUP BY type ORDER BY type');
      const byType: Record<string, number> = {};
      let total = 0;
      for (const row of r.rows) {
        byType[row.type] = row.n;
        total += row.n;
      }
      return Response.json({ total, by_type: byType });
    },
  },
  fetch() {
    return Response.json({ error: 'not found' }, { status: 404 });
  },
  error(err) {
    return Response.json({ error: err.message }, { status: 502 });
  },
});
