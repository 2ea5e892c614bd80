/**
 * ts-redis-client: a notification service (the TS part of scenario T6) that
 * keeps a Redis list as its queue, through the WarpGrid database proxy.
 * Redis endpoint from the environment: REDIS_HOST (default localhost),
 * REDIS_PORT (default 6379).
 *   GET  /               service description (no Redis call)
 *   GET  /health         PING
 *   POST /notifications  RPUSH the body onto the queue, INCR the counter
 *   GET  /notifications  LRANGE the queue and the counter
 *   POST /notifications/pop  LPOP one notification
 */
import { Hono } from 'hono';
import '@warpgrid/sdk';
import { createClient, type RedisClient } from '@warpgrid/sdk/redis';
import { serve } from '@warpgrid/sdk/http';

const QUEUE = 'notifications:queue';
const COUNTER = 'notifications:count';

/** Opens a proxied connection for one request and always hands it back to the pool. */
async function withRedis<T>(fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  const redis = createClient({
    host: process.env.REDIS_HOST ?? 'localhost',
    port: Number(process.env.REDIS_PORT ?? 6379),
  });
  try {
    return await fn(redis);
  } finally {
    await redis.quit();
  }
}

const app = new Hono();

app.get('/', (c) => c.json({ service: 'ts-redis-client', queue: QUEUE }));

app.get('/health', async (c) => c.json({ redis: await withRedis((r) => r.ping()) }));

app.post('/notifications', async (c) => {
  const message = (await c.req.text()).trim();
  if (!message) return c.json({ error: 'empty notification body' }, 400);
  const result = await withRedis(async (r) => ({ length: await r.rpush(QUEUE, message), total: await r.incr(COUNTER) }));
  return c.json(result, 201);
});

app.get('/notifications', async (c) => c.json(await withRedis(async (r) => ({
  queue: await r.lrange(QUEUE, 0, -1),
  total: Number((await r.get(COUNTER)) ?? 0),
}))));

app.post('/notifications/pop', async (c) => {
  const next = await withRedis((r) => r.lpop(QUEUE));
  return next === null ? c.json({ error: 'queue is empty' }, 404) : c.json({ notification: next });
});

app.onError((err, c) => c.json({ error: err.message }, 502));

export const httpHandler = serve(app);
