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

/**
 * Bun's PostgresError carries the SQLSTATE in `errno` and a Bun code (`ERR_POSTGRES_...`) in
 * `code`; node-postgres and the component backend (@warpgrid/sdk's pg client) put the SQLSTATE
 * in `code`. Re-throw in that shape, so `err.code === '23505'` works in both modes.
 */
function databaseError(err: unknown): unknown {
  const e = err as { name?: string; errno?: unknown; message?: string } & Record<string, unknown>;
  if (!e || e.name !== 'PostgresError' || typeof e.errno !== 'string' || !/^[0-9A-Z]{5}$/.test(e.errno)) return err;
  const out = new Error(e.message, { cause: err }) as Error & Record<string, unknown>;
  out.name = 'DatabaseError';
  out.code = e.errno;
  for (const k of ['severity', 'detail', 'hint', 'position']) if (e[k] !== undefined) out[k] = e[k];
  return out;
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
    let result: BunSqlResult;
    try {
      result = await this.sql.unsafe(text, params);
    } catch (err) {
      throw databaseError(err);
    }
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
