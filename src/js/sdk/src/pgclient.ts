/**
 * A `pg.Client`-compatible subset over any ByteStream: connect, query(text,
 * params) with the extended protocol, typed rows, end. `@warpgrid/sdk/pg`
 * binds it to the database proxy; tests drive it with a scripted stream.
 */
import {
  FieldDescription, extendedQuery, parseCommandTag, parseDataRow, parseErrorFields,
  parseRowDescription, parseValue, passwordMessage, serializeParam, splitMessage,
  startupMessage, terminateMessage,
} from './pgproto.js';
import { ByteQueue, type ByteStream } from './transport.js';

export interface QueryResult<R = Record<string, unknown>> {
  command: string;
  rowCount: number | null;
  rows: R[];
  fields: FieldDescription[];
}

export interface QueryConfig {
  text: string;
  values?: unknown[];
}

/** A server ErrorResponse, with node-postgres' field names. */
export class DatabaseError extends Error {
  readonly severity?: string;
  readonly code?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: string;

  constructor(fields: Record<string, string>) {
    super(fields.M ?? 'unknown database error');
    this.name = 'DatabaseError';
    this.severity = fields.S;
    this.code = fields.C;
    this.detail = fields.D;
    this.hint = fields.H;
    this.position = fields.P;
  }
}

export interface ClientOptions {
  user?: string;
  database?: string;
  password?: string;
  applicationName?: string;
}

type Message = { type: string; payload: Uint8Array };

export class PgClient {
  readonly parameters: Record<string, string> = {};
  private readonly queue = new ByteQueue();
  private connected = false;
  private ended = false;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly stream: ByteStream, private readonly options: ClientOptions = {}) {}

  /** Startup handshake (trust or cleartext password; the WarpGrid host answers it for pooled connections). */
  async connect(): Promise<void> {
    if (this.connected) throw new Error('Client has already been connected. You cannot reuse a client.');
    const params: Record<string, string> = { user: this.options.user ?? 'postgres', client_encoding: 'UTF8' };
    if (this.options.database) params.database = this.options.database;
    if (this.options.applicationName) params.application_name = this.options.applicationName;
    this.stream.send(startupMessage(params));
    for (;;) {
      const msg = this.readMessage();
      if (msg.type === 'R') {
        const kind = new DataView(msg.payload.buffer, msg.payload.byteOffset).getInt32(0);
        if (kind === 0) continue; // AuthenticationOk
        if (kind === 3) {
          if (this.options.password === undefined) throw new Error('pg: server asked for a password and none was configured');
          this.stream.send(passwordMessage(this.options.password));
          continue;
        }
        throw new Error(`pg: authentication method ${kind} is not supported; let the WarpGrid host authenticate (credentials stay on the host)`);
      }
      if (msg.type === 'S') {
        const [k, v] = new TextDecoder().decode(msg.payload).split('\0');
        this.parameters[k] = v;
      } else if (msg.type === 'E') {
        throw new DatabaseError(parseErrorFields(msg.payload));
      } else if (msg.type === 'Z') {
        this.connected = true;
        return;
      }
      // K (BackendKeyData) and N (notices) need no action.
    }
  }

  /** `query(text, values)` or `query({text, values})`; queries run one at a time, in call order. */
  query<R = Record<string, unknown>>(textOrConfig: string | QueryConfig, values?: unknown[]): Promise<QueryResult<R>> {
    const text = typeof textOrConfig === 'string' ? textOrConfig : textOrConfig.text;
    const params = (typeof textOrConfig === 'string' ? values : textOrConfig.values) ?? [];
    const run = this.pending.then(() => this.runQuery<R>(text, params));
    this.pending = run.catch(() => undefined);
    return run;
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.connected) this.stream.send(terminateMessage());
    } finally {
      this.stream.close();
    }
  }

  private async runQuery<R>(text: string, values: unknown[]): Promise<QueryResult<R>> {
    if (!this.connected || this.ended) throw new Error('pg: client is not connected (call connect() first, and not after end())');
    this.stream.send(extendedQuery(text, values.map(serializeParam)));
    let fields: FieldDescription[] = [];
    const rows: R[] = [];
    let tag = { command: '', rowCount: null as number | null };
    let error: DatabaseError | null = null;
    for (;;) {
      const msg = this.readMessage();
      switch (msg.type) {
        case '1': case '2': case 'n': case 'N': case 'S': break;
        case 'T': fields = parseRowDescription(msg.payload); break;
        case 'D': {
          const raw = parseDataRow(msg.payload);
          const row: Record<string, unknown> = {};
          raw.forEach((v, i) => { row[fields[i].name] = parseValue(v, fields[i].dataTypeID); });
          rows.push(row as R);
          break;
        }
        case 'C': tag = parseCommandTag(new TextDecoder().decode(msg.payload.subarray(0, -1))); break;
        case 'I': tag = { command: '', rowCount: null }; break;
        case 'E': error = new DatabaseError(parseErrorFields(msg.payload)); break;
        case 'Z':
          if (error) throw error;
          return { command: tag.command, rowCount: tag.rowCount, rows, fields };
        default: throw new Error(`pg: unexpected message '${msg.type}' during query`);
      }
    }
  }

  private readMessage(): Message {
    for (;;) {
      const m = splitMessage(this.queue.peek());
      if (m) {
        this.queue.take(m.size);
        return { type: m.type, payload: m.payload.slice() };
      }
      this.queue.push(this.stream.recv(64 * 1024));
    }
  }
}
