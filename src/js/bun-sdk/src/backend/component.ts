/**
 * Component backend: used when the code was bundled by the WarpGrid Bun plugin and runs
 * under the shim host. It reuses @warpgrid/sdk: its pg client over the database proxy
 * (pooling and credentials are the host's), its DNS shim binding and its virtual files.
 */
import { Pool as ProxyPool } from '@warpgrid/sdk/pg';
import { lookup as shimLookup } from '@warpgrid/sdk/dns';
import { readFileSync, isVirtual } from '@warpgrid/sdk/fs';
import type { Backend, Pool, PoolConfig, QueryResult, ResolvedAddress } from '../types.ts';

/** A pool of @warpgrid/sdk's pg client, in the SDK's Pool shape. */
function componentPool(config: PoolConfig): Pool {
  const pool = new ProxyPool({
    host: config.host,
    port: config.port ?? 5432,
    database: config.database,
    user: config.user,
    poolSize: config.poolSize,
  });
  return {
    async query<R = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<QueryResult<R>> {
      const r = await pool.query<R>(text, params);
      return { command: r.command, rowCount: r.rowCount ?? r.rows.length, rows: r.rows };
    },
    end: () => pool.end(),
  };
}

export const backend: Backend = {
  mode: 'component',
  createPool: componentPool,
  lookup: async (hostname: string): Promise<ResolvedAddress[]> => shimLookup(hostname),
  readFile: async (path: string): Promise<Uint8Array> => readFileSync(path),
  exists: async (path: string): Promise<boolean> => isVirtual(path),
};
