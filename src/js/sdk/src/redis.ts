/**
 * `@warpgrid/sdk/redis`: a Redis client subset over the WarpGrid database proxy.
 *
 *   import { createClient } from '@warpgrid/sdk/redis';
 *   const redis = createClient({ host: 'cache.prod.warp.local', port: 6379 });
 *   await redis.set('k', 'v'); await redis.get('k'); await redis.quit();
 */
import { connect as proxyConnect } from './database.js';
import { RedisClient } from './redisclient.js';

export { RedisClient } from './redisclient.js';
export { RespError } from './resp.js';

export interface RedisOptions {
  host?: string;
  port?: number;
  /** Database number, selected by the host for the pooled connection. */
  database?: number;
  poolSize?: number;
}

export function createClient(options: RedisOptions = {}): RedisClient {
  const stream = proxyConnect({
    protocol: 'redis',
    host: options.host ?? 'localhost',
    port: options.port ?? 6379,
    database: options.database === undefined ? undefined : String(options.database),
    poolSize: options.poolSize,
  });
  return new RedisClient(stream);
}
