/**
 * `@warpgrid/sdk/pg`: a `pg.Client`-compatible subset over the WarpGrid
 * database proxy. Drop-in for the common node-postgres calls:
 *
 *   import { Client } from '@warpgrid/sdk/pg';
 *   const client = new Client({ host: 'db.prod.warp.local', port: 5432, database: 'app' });
 *   await client.connect();
 *   const { rows } = await client.query('SELECT * FROM users WHERE id = $1', [7]);
 *   await client.end();
 */
import { connect as proxyConnect } from './database.js';
import { PgClient, type ClientOptions, type QueryConfig, type QueryResult } from './pgclient.js';

export { DatabaseError, type QueryResult, type QueryConfig } from './pgclient.js';
export { OID as types } from './pgproto.js';

export interface ClientConfig extends ClientOptions {
  host?: string;
  port?: number;
  /** postgres://user@host:port/database (password and query string ignored: credentials stay on the host). */
  connectionString?: string;
  poolSize?: number;
}

function fromConnectionString(cs: string): ClientConfig {
  const url = new URL(cs);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`pg: connectionString must start with postgres://, got ${url.protocol}`);
  }
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
  };
}

export class Client {
  private inner: PgClient | null = null;
  private readonly config: ClientConfig;

  constructor(config: ClientConfig | string = {}) {
    const base = typeof config === 'string' ? { connectionString: config } : config;
    this.config = base.connectionString ? { ...fromConnectionString(base.connectionString), ...base } : base;
  }

  get parameters(): Record<string, string> {
    return this.inner?.parameters ?? {};
  }

  async connect(): Promise<void> {
    if (this.inner) throw new Error('Client has already been connected. You cannot reuse a client.');
    const stream = proxyConnect({
      protocol: 'postgres',
      host: this.config.host ?? 'localhost',
      port: this.config.port ?? 5432,
      database: this.config.database,
      poolSize: this.config.poolSize,
    });
    this.inner = new PgClient(stream, this.config);
    await this.inner.connect();
  }

  query<R = Record<string, unknown>>(textOrConfig: string | QueryConfig, values?: unknown[]): Promise<QueryResult<R>> {
    if (!this.inner) return Promise.reject(new Error('pg: call connect() before query()'));
    return this.inner.query<R>(textOrConfig, values);
  }

  async end(): Promise<void> {
    await this.inner?.end();
  }
}



export interface PoolClient extends Client {
  release(): Promise<void>;
}

/**
 * `pg.Pool` subset. Pooling itself happens on the host (database-proxy keeps
 * the TCP connections); each checkout here is a fresh proxied session.
 */
export class Pool {
  constructor(private readonly config: ClientConfig | string = {}) {}

  /** Runs one query on a checked-out connection and hands it back. */
  async query<R = Record<string, unknown>>(textOrConfig: string | QueryConfig, values?: unknown[]): Promise<QueryResult<R>> {
    const client = new Client(this.config);
    await client.connect();
    try {
      return await client.query<R>(textOrConfig, values);
    } finally {
      await client.end();
    }
  }

  /** Checks out a connection for several queries (e.g. a transaction); call `release()`. */
  async connect(): Promise<PoolClient> {
    const client = new Client(this.config) as PoolClient;
    await client.connect();
    client.release = () => client.end();
    return client;
  }

  async end(): Promise<void> {}
}

export default { Client, Pool };
