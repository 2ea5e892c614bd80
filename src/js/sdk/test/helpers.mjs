/** A scripted ByteStream: replies are queued per send, delivered in small chunks to exercise framing. */
export class ScriptedStream {
  constructor(replies, chunk = 7) {
    this.replies = replies.map((r) => Uint8Array.from(r));
    this.sent = [];
    this.inbox = new Uint8Array(0);
    this.chunk = chunk;
    this.closed = false;
  }
  send(data) {
    this.sent.push(Uint8Array.from(data));
    const next = this.replies.shift();
    if (next) {
      const merged = new Uint8Array(this.inbox.length + next.length);
      merged.set(this.inbox); merged.set(next, this.inbox.length);
      this.inbox = merged;
    }
  }
  recv(max) {
    if (this.inbox.length === 0) throw new Error('ScriptedStream: recv with nothing scripted (client waited for a reply that never comes)');
    const n = Math.min(max, this.chunk, this.inbox.length);
    const out = this.inbox.slice(0, n);
    this.inbox = this.inbox.slice(n);
    return out;
  }
  close() { this.closed = true; }
}

const enc = new TextEncoder();

/** Builds a backend message: type byte, int32 length, payload. */
export function msg(type, ...parts) {
  const body = [];
  for (const p of parts) {
    if (typeof p === 'string') body.push(...enc.encode(p), 0);
    else if (p instanceof Uint8Array || Array.isArray(p)) body.push(...p);
  }
  const len = body.length + 4;
  return [type.charCodeAt(0), (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, ...body];
}

export const int16 = (n) => [(n >> 8) & 255, n & 255];
export const int32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
