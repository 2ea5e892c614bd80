/**
 * An `ioredis`-compatible subset over the WarpGrid database proxy, used when
 * the build aliases `ioredis` to the SDK (`--node-client-aliases`): code
 * written as `new Redis({host, port})` runs unchanged for the commands below.
 * Connects lazily on the first command, so constructing the client in module
 * top-level code (which runs under Wizer, without host calls) is fine.
 */
import { connect as proxyConnect } from './database.js';
import { RedisClient } from './redisclient.js';
import type { RespValue } from './resp.js';

export interface RedisOptions {
  host?: string;
  port?: number;
  db?: number;
  lazyConnect?: boolean;
  [other: string]: unknown;
}

function normalize(a?: number | string | RedisOptions, b?: string | RedisOptions, c?: RedisOptions): RedisOptions {
  if (typeof a === 'string' && /^rediss?:\/\//.test(a)) {
    const u = new URL(a);
    return { ...(typeof b === 'object' ? b : {}), host: u.hostname, port: u.port ? Number(u.port) : 6379,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined };
  }
  if (typeof a === 'object') return a;
  const opts = (typeof b === 'object' ? b : c) ?? {};
  return { ...opts, port: a === undefined ? opts.port : Number(a), host: typeof b === 'string' ? b : opts.host };
}

export default class Redis {
  status: 'wait' | 'ready' | 'end' = 'wait';
  private client: RedisClient | null = null;
  private readonly options: RedisOptions;

  constructor(a?: number | string | RedisOptions, b?: string | RedisOptions, c?: RedisOptions) {
    this.options = normalize(a, b, c);
  }

  /** Opens the proxied connection (ioredis' explicit connect for lazyConnect clients). */
  async connect(): Promise<void> {
    this.conn();
  }

  private conn(): RedisClient {
    if (this.status === 'end') throw new Error('Connection is closed.');
    if (!this.client) {
      const stream = proxyConnect({
        protocol: 'redis', host: this.options.host ?? 'localhost', port: this.options.port ?? 6379,
        database: this.options.db === undefined ? undefined : String(this.options.db),
      });
      this.client = new RedisClient(stream);
      this.status = 'ready';
    }
    return this.client;
  }

  call(command: string, ...args: Array<string | number>): Promise<RespValue> {
    return this.conn().sendCommand([command, ...args]);
  }

  ping(): Promise<string> { return this.conn().ping(); }
  get(key: string): Promise<string | null> { return this.conn().get(key); }
  set(key: string, value: string | number, mode?: 'EX', seconds?: number): Promise<string | null> {
    return this.conn().set(key, value, mode === 'EX' && seconds !== undefined ? { EX: seconds } : {});
  }
  del(...keys: string[]): Promise<number> { return this.conn().del(...keys); }
  incr(key: string): Promise<number> { return this.conn().incr(key); }
  expire(key: string, seconds: number): Promise<number> { return this.conn().expire(key, seconds); }
  lpush(key: string, ...values: string[]): Promise<number> { return this.conn().lpush(key, ...values); }
  rpush(key: string, ...values: string[]): Promise<number> { return this.conn().rpush(key, ...values); }
  lpop(key: string): Promise<string | null> { return this.conn().lpop(key); }
  lrange(key: string, start: number, stop: number): Promise<string[]> { return this.conn().lrange(key, start, stop); }
  hset(key: string, field: string, value: string): Promise<number> { return this.conn().hset(key, field, value); }
  hgetall(key: string): Promise<Record<string, string>> { return this.conn().hgetall(key); }

  async quit(): Promise<'OK'> {
    await this.client?.quit();
    this.status = 'end';
    return 'OK';
  }

  disconnect(): void {
    void this.client?.quit();
    this.status = 'end';
  }
}

export { Redis };
