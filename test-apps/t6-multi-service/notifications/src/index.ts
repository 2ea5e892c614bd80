/**
 * T6 notification service (TypeScript on ComponentizeJS): drains the Redis queue the gateway
 * fills and acknowledges each notification.
 *
 *   POST /process   LPOP one notification from `t6:notifications`, look its user up in the
 *                   user service with the ordinary `fetch` (routed by the host to
 *                   users.t6.warp.local), RPUSH it to `t6:notifications:acked` with the
 *                   recipient's email: 200 {"acknowledged": {...}, "acked_total": n},
 *                   404 when the queue is empty, 502 when the user service fails
 *   GET  /stats     {"pending": LLEN queue, "acked": acked count}
 *
 * Redis through the database proxy (REDIS_HOST / REDIS_PORT); the host holds the password.
 */
import { Hono } from 'hono';
import '@warpgrid/sdk';
import { createClient, type RedisClient } from '@warpgrid/sdk/redis';
import { serve } from '@warpgrid/sdk/http';

const QUEUE = 't6:notifications';
const ACKED = 't6:notifications:acked';
/** The user service's base URL (read per request: top-level code runs at build time). */
const usersUrl = () => process.env.USERS_URL ?? 'http://users.t6.warp.local';

async function withRedis<T>(fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  const redis = createClient({ host: process.env.REDIS_HOST ?? 'localhost', port: Number(process.env.REDIS_PORT ?? 6379) });
  try {
    return await fn(redis);
  } finally {
    await redis.quit();
  }
}

interface Notification { user_id: number; kind: string }

const app = new Hono();

app.post('/process', async (c) => {
  const raw = await withRedis((r) => r.lpop(QUEUE));
  if (raw === null) return c.json({ error: 'queue is empty' }, 404);
  const notification = JSON.parse(raw) as Notification;
  const user = await fetch(`${usersUrl()}/users/${notification.user_id}`);
  if (!user.ok) {
    await withRedis((r) => r.lpush(QUEUE, raw)); // not acknowledged: back at the head of the queue
    return c.json({ error: `user service answered ${user.status}`, detail: await user.text() }, 502);
  }
  const { email } = (await user.json()) as { email: string };
  const acknowledged = { ...notification, to: email };
  const ackedTotal = await withRedis((r) => r.rpush(ACKED, JSON.stringify(acknowledged)));
  return c.json({ acknowledged, acked_total: ackedTotal });
});

app.get('/stats', async (c) => c.json(await withRedis(async (r) => ({
  pending: (await r.lrange(QUEUE, 0, -1)).length,
  acked: (await r.lrange(ACKED, 0, -1)).length,
}))));

app.onError((err, c) => c.json({ error: err.message }, 502));

export const httpHandler = serve(app);
