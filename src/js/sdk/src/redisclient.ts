/** A small Redis client (RESP2) over any ByteStream; `@warpgrid/sdk/redis` binds it to the proxy. */
import { RespError, encodeCommand, parseReply, type RespValue } from './resp.js';
import { ByteQueue, type ByteStream } from './transport.js';

export class RedisClient {
  private readonly queue = new ByteQueue();
  private closed = false;

  constructor(private readonly stream: ByteStream) {}

  /** Sends one command and returns its reply; a `-ERR` reply throws RespError. */
  async sendCommand(args: Array<string | number | Uint8Array>): Promise<RespValue> {
    if (this.closed) throw new Error('redis: client is closed');
    this.stream.send(encodeCommand(args));
    for (;;) {
      const r = parseReply(this.queue.peek());
      if (r) {
        this.queue.take(r.end);
        if (r.value instanceof RespError) throw r.value;
        return r.value;
      }
      this.queue.push(this.stream.recv(64 * 1024));
    }
  }

  ping(): Promise<string> { return this.sendCommand(['PING']) as Promise<string>; }
  get(key: string): Promise<string | null> { return this.sendCommand(['GET', key]) as Promise<string | null>; }
  async set(key: string, value: string | number, opts: { EX?: number } = {}): Promise<string | null> {
    const args: Array<string | number> = ['SET', key, value];
    if (opts.EX !== undefined) args.push('EX', opts.EX);
    return this.sendCommand(args) as Promise<string | null>;
  }
  del(...keys: string[]): Promise<number> { return this.sendCommand(['DEL', ...keys]) as Promise<number>; }
  incr(key: string): Promise<number> { return this.sendCommand(['INCR', key]) as Promise<number>; }
  expire(key: string, seconds: number): Promise<number> { return this.sendCommand(['EXPIRE', key, seconds]) as Promise<number>; }
  lpush(key: string, ...values: string[]): Promise<number> { return this.sendCommand(['LPUSH', key, ...values]) as Promise<number>; }
  rpush(key: string, ...values: string[]): Promise<number> { return this.sendCommand(['RPUSH', key, ...values]) as Promise<number>; }
  lpop(key: string): Promise<string | null> { return this.sendCommand(['LPOP', key]) as Promise<string | null>; }
  lrange(key: string, start: number, stop: number): Promise<string[]> { return this.sendCommand(['LRANGE', key, start, stop]) as Promise<string[]>; }
  hset(key: string, field: string, value: string): Promise<number> { return this.sendCommand(['HSET', key, field, value]) as Promise<number>; }
  async hgetall(key: string): Promise<Record<string, string>> {
    const flat = (await this.sendCommand(['HGETALL', key])) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  }

  /** QUIT is not sent: the proxy keeps the TCP connection for the pool. */
  async quit(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }
}
