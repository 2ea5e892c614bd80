/**
 * @warpgrid/bun-sdk: the same service code runs natively under Bun and as a WarpGrid
 * component; the mode is detected automatically (see mode.ts).
 *
 *   import { createPool, dns, fs, mode } from '@warpgrid/bun-sdk';
 *   const db = createPool({ host: Bun.env.DATABASE_HOST!, database: 'app', poolSize: 5 });
 *   const { rows } = await db.query('SELECT $1::int AS n', [1]);
 *   const addrs = await dns.resolve('db.prod.warp.local');
 *   const hosts = await fs.readFile('/etc/hosts', 'utf8');
 */
import * as dns from './dns.ts';
import * as fs from './fs.ts';

export { createPool } from './pool.ts';
export type { Pool, PoolConfig, QueryResult, ResolvedAddress } from './types.ts';
export { detectMode as mode } from './mode.ts';
export { dns, fs };
