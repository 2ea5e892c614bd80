/** RESP2 (Redis serialization protocol): command encoding and reply parsing. Pure, unit-tested. */
const enc = new TextEncoder();
const dec = new TextDecoder();

export type RespValue = string | number | null | Uint8Array | RespValue[] | RespError;

/** A `-ERR ...` reply. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: Array<string | number | Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = a instanceof Uint8Array ? a : enc.encode(String(a));
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode('\r\n'));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function lineEnd(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

/**
 * Parses one reply from the start of `buf`. Returns the value and bytes used,
 * or null when `buf` holds only part of a reply. Bulk strings decode as UTF-8
 * strings unless `binary` is set.
 */
export function parseReply(buf: Uint8Array, offset = 0, binary = false): { value: RespValue; end: number } | null {
  if (offset >= buf.length) return null;
  const eol = lineEnd(buf, offset + 1);
  if (eol < 0) return null;
  const line = dec.decode(buf.subarray(offset + 1, eol));
  const next = eol + 2;
  switch (String.fromCharCode(buf[offset])) {
    case '+': return { value: line, end: next };
    case '-': return { value: new RespError(line), end: next };
    case ':': return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      const data = buf.subarray(next, next + len);
      return { value: binary ? data.slice() : dec.decode(data), end: next + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, pos, binary);
        if (!item) return null;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`RESP: unexpected reply type byte 0x${buf[offset].toString(16)}`);
  }
}
