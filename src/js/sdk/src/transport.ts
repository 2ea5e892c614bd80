/**
 * A byte stream to a database, as the database-proxy shim offers it. The
 * protocol clients (pg, Redis) only see this interface, so their wire logic is
 * testable with a scripted stream and runs unchanged over the proxy.
 */
export interface ByteStream {
  /** Writes all of `data` (loops over partial sends). */
  send(data: Uint8Array): void;
  /** Returns at least one byte, at most `maxBytes`; throws when the stream is closed. */
  recv(maxBytes: number): Uint8Array;
  /** Releases the connection. */
  close(): void;
}

/** Growable read buffer that hands out whole protocol frames. */
export class ByteQueue {
  private buf = new Uint8Array(0);

  get length(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): void {
    if (this.buf.length === 0) {
      this.buf = chunk.slice();
      return;
    }
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf, 0);
    next.set(chunk, this.buf.length);
    this.buf = next;
  }

  peek(): Uint8Array {
    return this.buf;
  }

  take(n: number): Uint8Array {
    const out = this.buf.subarray(0, n).slice();
    this.buf = this.buf.subarray(n);
    return out;
  }
}
