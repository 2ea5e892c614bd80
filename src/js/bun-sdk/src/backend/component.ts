/**
 * Component backend: used when the code was bundled by the WarpGrid Bun plugin and runs
 * under the shim host. It reuses @warpgrid/sdk: its pg client over the database proxy
 * (pooling and credentials are the host's), its DNS shim binding and its virtual files.
 */
import { Pool as ProxyPool } from '@warpgrid/sdk/pg';
import { lookup as shimLookup } from '@warpgrid/sdk/dns';
import { readFileSync, isVirtual } from '@warpgrid/sdk/fs';
import type { Backend, Pool, PoolConfig, QueryResult, ResolvedAddress } from '../types.ts';

class ComponentPool implements Pool {
  private readonly pool: ProxyPool;

  constructor(config: PoolConfig) {
    this.pool = new ProxyPool({
      host: config.host,
      port: config.port ?? 5432,
      database: config.database,
      user: config.user,
      poolSize: config.poolSize,
    });
  }

  async query<R = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await this.pool.query<R>(text, params);
    return { command: r.command, rowCount: r.rowCount ?? r.rows.length, rows: r.rows };
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

export const backend: Backend = {
  mode: 'component',
  createPool: (config) => new ComponentPool(config),
  async lookup(hostname: string): Promise<ResolvedAddress[]> {
    return shimLookup(hostname);
  },
  async readFile(path: string): Promise<Uint8Array> {
    return readFileSync(path);
  },
  async exists(path: string): Promise<boolean> {
    return isVirtual(path);
  },
};
