/**
 * `warpgrid.database`: byte-stream connections through the host's pooled
 * database proxy (WIT `warpgrid:shim/database-proxy@0.1.0`). The guest speaks
 * the database's own wire protocol; the host holds credentials, does TLS and
 * resets session state between guests.
 */
import * as proxy from 'warpgrid:shim/database-proxy@0.1.0';
import { WarpGridError, witErrorCase } from './errors.js';
import type { ByteStream } from './transport.js';

export type Protocol = 'postgres' | 'mysql' | 'redis';

export interface ConnectConfig {
  protocol: Protocol;
  host: string;
  port: number;
  database?: string;
  /** Pool size the host should keep for this endpoint (default 10). */
  poolSize?: number;
}

/** One proxied connection: `{send, recv, close}`. */
export interface DbConnection extends ByteStream {
  readonly handle: bigint;
  readonly closed: boolean;
}

const RECV_CHUNK = 64 * 1024;

class ProxyConnection implements DbConnection {
  readonly handle: bigint;
  private isClosed = false;

  constructor(handle: bigint) {
    this.handle = handle;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(data: Uint8Array): void {
    this.ensureOpen('send');
    let offset = 0;
    while (offset < data.length) {
      let n: number;
      try {
        n = proxy.send(this.handle, data.subarray(offset));
      } catch (err) {
        throw new WarpGridError(`database send failed: ${witErrorCase(err)}`, witErrorCase(err));
      }
      if (n <= 0) throw new WarpGridError('database send accepted no bytes', 'closed');
      offset += n;
    }
  }

  recv(maxBytes: number = RECV_CHUNK): Uint8Array {
    this.ensureOpen('recv');
    try {
      return proxy.recv(this.handle, maxBytes);
    } catch (err) {
      throw new WarpGridError(`database recv failed: ${witErrorCase(err)}`, witErrorCase(err));
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    proxy.close(this.handle);
  }

  private ensureOpen(op: string): void {
    if (this.isClosed) throw new WarpGridError(`database ${op} on a closed connection`, 'closed');
  }
}

/** Opens a proxied connection; throws WarpGridError with the WIT `db-error` case as `code`. */
export function connect(config: ConnectConfig): DbConnection {
  if (!config || !config.protocol || !config.host || !config.port) {
    throw new WarpGridError('database.connect needs {protocol, host, port}', 'invalid-config');
  }
  try {
    const handle = proxy.connect({
      protocol: config.protocol,
      host: config.host,
      port: config.port,
      database: config.database,
      poolSize: config.poolSize ?? 10,
    });
    return new ProxyConnection(handle);
  } catch (err) {
    const code = witErrorCase(err);
    throw new WarpGridError(`database.connect to ${config.host}:${config.port} failed: ${code}`, code);
  }
}
