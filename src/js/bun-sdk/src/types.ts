/** The shapes both backends share, so application code is the same in both modes. */

export interface PoolConfig {
  /** Database host: a name (`db.prod.warp.local` under WarpGrid, resolved by the host) or an address. */
  host: string;
  port?: number;
  database?: string;
  /** Natively: the login user. In a component the host holds credentials; it is informational. */
  user?: string;
  /** Natively only (the host holds credentials in a component); default `$PGPASSWORD`. */
  password?: string;
  /** Connections kept open: by Bun.sql natively, by the host's proxy pool in a component. */
  poolSize?: number;
}

export interface QueryResult<R = Record<string, unknown>> {
  /** SQL command of the statement (`SELECT`, `INSERT`, `CREATE TABLE`, ...). */
  command: string;
  /** Rows affected or returned. */
  rowCount: number;
  /** Rows as objects: int2/int4/float8 -> number, int8/numeric -> string, json/jsonb parsed, timestamps -> Date, arrays -> arrays. */
  rows: R[];
}

export interface Pool {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Closes the pool's connections (natively); a no-op in a component (the host owns the pool). */
  end(): Promise<void>;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** What a backend provides; `src/backend/{native,component}.ts` implement it. */
export interface Backend {
  readonly mode: 'native' | 'component';
  createPool(config: PoolConfig): Pool;
  lookup(hostname: string): Promise<ResolvedAddress[]>;
  readFile(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
}
