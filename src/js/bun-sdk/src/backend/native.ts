/**
 * Native backend: used when the code runs under Bun itself (`bun run`, `bun test`).
 * Real TCP through Bun's own Postgres client (`Bun.SQL`), Bun's resolver and real files.
 */
import type { Backend, Pool, PoolConfig, QueryResult, ResolvedAddress } from '../types.ts';

/** The parts of Bun's API this backend uses (the SDK does not depend on @types/bun). */
interface BunSqlResult extends Array<Record<string, unknown>> {
  count: number | null;
  command: string | null;
}
interface BunSql {
  unsafe(query: string, params?: unknown[]): Promise<BunSqlResult>;
  close(options?: { timeout?: number }): Promise<void>;
}
interface BunGlobal {
  SQL: new (options: Record<string, unknown>) => BunSql;
  dns: { lookup(hostname: string, options?: Record<string, unknown>): Promise<Array<{ address: string; family: number }>> };
  file(path: string): { bytes(): Promise<Uint8Array>; exists(): Promise<boolean> };
  env: Record<string, string | undefined>;
}

function bun(): BunGlobal {
  return (globalThis as unknown as { Bun: BunGlobal }).Bun;
}

class NativePool implements Pool {
  private readonly sql: BunSql;

  constructor(config: PoolConfig) {
    const env = bun().env;
    this.sql = new (bun().SQL)({
      hostname: config.host,
      port: config.port ?? 5432,
      database: config.database ?? 'postgres',
      username: config.user ?? env.PGUSER ?? 'postgres',
      password: config.password ?? env.PGPASSWORD,
      max: config.poolSize ?? 10,
    });
  }

  async query<R = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const result = await this.sql.unsafe(text, params);
    const rows = Array.from(result) as R[];
    return { command: result.command ?? '', rowCount: result.count ?? rows.length, rows };
  }

  async end(): Promise<void> {
    await this.sql.close();
  }
}

export const backend: Backend = {
  mode: 'native',
  createPool: (config) => new NativePool(config),
  async lookup(hostname: string): Promise<ResolvedAddress[]> {
    const found = await bun().dns.lookup(hostname);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  },
  readFile: (path) => bun().file(path).bytes(),
  exists: (path) => bun().file(path).exists(),
};
