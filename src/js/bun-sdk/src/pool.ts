/**
 * `createPool({host, database, poolSize}).query(sql, params)`: a Postgres pool that is Bun.sql
 * natively and the host's pooled database proxy inside a component. Same result shape in both.
 *
 *   import { createPool } from '@warpgrid/bun-sdk';
 *   const db = createPool({ host: 'db.prod.warp.local', database: 'app', poolSize: 5 });
 *   const { rows } = await db.query('SELECT * FROM users WHERE id = $1', [7]);
 *
 * Creating a pool opens nothing: connections are made on the first query, so a pool may be
 * created in module top-level code (which runs at build time in a component).
 */
import { backend } from './backend.ts';
import type { Pool, PoolConfig, QueryResult } from './types.ts';

export type { Pool, PoolConfig, QueryResult };

class LazyPool implements Pool {
  private inner: Pool | null = null;

  constructor(private readonly config: PoolConfig) {
    if (!config || typeof config.host !== 'string' || !config.host) {
      throw new TypeError('createPool needs {host} (and usually database, poolSize)');
    }
    if (config.poolSize !== undefined && (!Number.isInteger(config.poolSize) || config.poolSize < 1)) {
      throw new TypeError(`createPool: poolSize must be a positive integer, got ${config.poolSize}`);
    }
  }

  private pool(): Pool {
    this.inner ??= backend().createPool(this.config);
    return this.inner;
  }

  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.pool().query<R>(sql, params);
  }

  async end(): Promise<void> {
    await this.inner?.end();
    this.inner = null;
  }
}

export function createPool(config: PoolConfig): Pool {
  return new LazyPool(config);
}
