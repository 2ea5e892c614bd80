/**
 * PostgreSQL frontend/backend protocol v3: message encoders and decoders used
 * by `@warpgrid/sdk/pg`. Pure functions over bytes (no I/O), unit-tested.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Builds one message: optional type byte, int32 length (self-inclusive), payload. */
class Writer {
  private parts: number[] = [];

  byte(b: number): this { this.parts.push(b & 0xff); return this; }
  int16(n: number): this { this.parts.push((n >> 8) & 0xff, n & 0xff); return this; }
  int32(n: number): this { this.parts.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff); return this; }
  bytes(b: Uint8Array): this { for (const x of b) this.parts.push(x); return this; }
  cstring(s: string): this { return this.bytes(enc.encode(s)).byte(0); }

  message(type: string | null): Uint8Array {
    const body = this.parts;
    const head = type === null ? 0 : 1;
    const out = new Uint8Array(head + 4 + body.length);
    if (type !== null) out[0] = type.charCodeAt(0);
    new DataView(out.buffer).setInt32(head, 4 + body.length);
    out.set(body, head + 4);
    return out;
  }
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** StartupMessage (protocol 3.0) with user/database parameters. */
export function startupMessage(params: Record<string, string>): Uint8Array {
  const w = new Writer().int32(196608);
  for (const [k, v] of Object.entries(params)) w.cstring(k).cstring(v);
  return w.byte(0).message(null);
}

export function passwordMessage(password: string): Uint8Array {
  return new Writer().cstring(password).message('p');
}

/** Parse (unnamed statement; parameter types left to the server). */
export function parseMessage(text: string, name = ''): Uint8Array {
  return new Writer().cstring(name).cstring(text).int16(0).message('P');
}

/** Bind: all parameters in text format (null -> length -1), all results in text format. */
export function bindMessage(params: Array<string | null>, portal = '', statement = ''): Uint8Array {
  const w = new Writer().cstring(portal).cstring(statement).int16(0).int16(params.length);
  for (const p of params) {
    if (p === null) { w.int32(-1); continue; }
    const b = enc.encode(p);
    w.int32(b.length).bytes(b);
  }
  return w.int16(0).message('B');
}

export function describePortalMessage(portal = ''): Uint8Array {
  return new Writer().byte('P'.charCodeAt(0)).cstring(portal).message('D');
}

export function executeMessage(portal = '', maxRows = 0): Uint8Array {
  return new Writer().cstring(portal).int32(maxRows).message('E');
}

export function syncMessage(): Uint8Array {
  return new Writer().message('S');
}

export function terminateMessage(): Uint8Array {
  return new Writer().message('X');
}

/** The extended-protocol sequence for one query: Parse, Bind, Describe, Execute, Sync. */
export function extendedQuery(text: string, params: Array<string | null>): Uint8Array {
  return concat([parseMessage(text), bindMessage(params), describePortalMessage(), executeMessage(), syncMessage()]);
}

/** A whole backend message, or null when `buf` holds only part of one. */
export function splitMessage(buf: Uint8Array): { type: string; payload: Uint8Array; size: number } | null {
  if (buf.length < 5) return null;
  const len = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(1);
  if (len < 4) throw new Error(`pg protocol: bad message length ${len}`);
  if (buf.length < 1 + len) return null;
  return { type: String.fromCharCode(buf[0]), payload: buf.subarray(5, 1 + len), size: 1 + len };
}

/** Sequential reader of a message payload. */
export class Reader {
  private off = 0;
  private view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  int16(): number { const v = this.view.getInt16(this.off); this.off += 2; return v; }
  int32(): number { const v = this.view.getInt32(this.off); this.off += 4; return v; }
  bytes(n: number): Uint8Array { const v = this.buf.subarray(this.off, this.off + n); this.off += n; return v; }
  cstring(): string {
    const end = this.buf.indexOf(0, this.off);
    if (end < 0) throw new Error('pg protocol: unterminated string');
    const s = dec.decode(this.buf.subarray(this.off, end));
    this.off = end + 1;
    return s;
  }
  get done(): boolean { return this.off >= this.buf.length; }
}

export interface FieldDescription {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: 'text' | 'binary';
}

export function parseRowDescription(payload: Uint8Array): FieldDescription[] {
  const r = new Reader(payload);
  const n = r.int16();
  const fields: FieldDescription[] = [];
  for (let i = 0; i < n; i++) {
    fields.push({
      name: r.cstring(), tableID: r.int32(), columnID: r.int16(), dataTypeID: r.int32(),
      dataTypeSize: r.int16(), dataTypeModifier: r.int32(), format: r.int16() === 1 ? 'binary' : 'text',
    });
  }
  return fields;
}

/** DataRow values as raw bytes (null for SQL NULL). */
export function parseDataRow(payload: Uint8Array): Array<Uint8Array | null> {
  const r = new Reader(payload);
  const n = r.int16();
  const out: Array<Uint8Array | null> = [];
  for (let i = 0; i < n; i++) {
    const len = r.int32();
    out.push(len < 0 ? null : r.bytes(len));
  }
  return out;
}

/** ErrorResponse / NoticeResponse fields keyed by their one-letter codes (S, C, M, D, ...). */
export function parseErrorFields(payload: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < payload.length && payload[i] !== 0) {
    const code = String.fromCharCode(payload[i]);
    const end = payload.indexOf(0, i + 1);
    out[code] = dec.decode(payload.subarray(i + 1, end));
    i = end + 1;
  }
  return out;
}

/** "INSERT 0 3" -> {command: 'INSERT', rowCount: 3}; "SELECT 2" -> 2. */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const parts = tag.split(' ');
  const last = Number(parts[parts.length - 1]);
  return { command: parts[0], rowCount: parts.length > 1 && Number.isFinite(last) ? last : null };
}

/** Type OIDs with a JS mapping (the rest stay strings, like node-postgres). */
export const OID = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, text: 25, oid: 26, json: 114,
  float4: 700, float8: 701, varchar: 1043, date: 1082, timestamp: 1114, timestamptz: 1184,
  numeric: 1700, uuid: 2950, jsonb: 3802, int4Array: 1007, textArray: 1009,
} as const;

function parseTextArray(text: string): Array<string | null> {
  // Simple one-dimensional arrays: {a,b,"c d",NULL}
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  const out: Array<string | null> = [];
  let cur = '', quoted = false, wasQuoted = false;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (quoted) {
      if (ch === '\\') cur += inner[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') { quoted = true; wasQuoted = true; }
    else if (ch === ',') { out.push(!wasQuoted && cur === 'NULL' ? null : cur); cur = ''; wasQuoted = false; }
    else cur += ch;
  }
  out.push(!wasQuoted && cur === 'NULL' ? null : cur);
  return out;
}

function parseBytea(text: string): Uint8Array {
  if (!text.startsWith('\\x')) throw new Error('pg: only hex bytea output is supported');
  const out = new Uint8Array((text.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 + i * 2, 2), 16);
  return out;
}

/** Converts one text-format value by type OID, matching node-postgres defaults (int8/numeric stay strings). */
export function parseValue(raw: Uint8Array | null, oid: number): unknown {
  if (raw === null) return null;
  const text = dec.decode(raw);
  switch (oid) {
    case OID.bool: return text === 't';
    case OID.int2: case OID.int4: case OID.oid: return Number(text);
    case OID.float4: case OID.float8: return Number(text);
    case OID.json: case OID.jsonb: return JSON.parse(text);
    case OID.bytea: return parseBytea(text);
    case OID.timestamptz: return new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
    case OID.timestamp: return new Date(`${text.replace(' ', 'T')}Z`);
    case OID.date: return new Date(`${text}T00:00:00Z`);
    case OID.int4Array: return parseTextArray(text).map((v) => (v === null ? null : Number(v)));
    case OID.textArray: return parseTextArray(text);
    default: return text;
  }
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Serializes a query parameter to its text form (node-postgres conventions). */
export function serializeParam(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${toHex(value)}`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) {
    return `{${value.map((v) => {
      const s = serializeParam(v);
      return s === null ? 'NULL' : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    }).join(',')}}`;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
