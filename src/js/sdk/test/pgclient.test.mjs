import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgClient, DatabaseError } from '../dist/pgclient.js';
import { splitMessage } from '../dist/pgproto.js';
import { ScriptedStream, msg, int16, int32 } from './helpers.mjs';

const handshake = [
  ...msg('R', int32(0)),
  ...msg('S', 'server_version', '15.8'),
  ...msg('K', [...int32(1), ...int32(2)]),
  ...msg('Z', [73]), // ReadyForQuery, idle
];

function field(name, oid) {
  return [...new TextEncoder().encode(name), 0, ...int32(0), ...int16(0), ...int32(oid), ...int16(-1 & 0xffff), ...int32(-1), ...int16(0)];
}

function dataRow(values) {
  const out = [...int16(values.length)];
  for (const v of values) {
    if (v === null) out.push(...int32(-1));
    else { const b = new TextEncoder().encode(v); out.push(...int32(b.length), ...b); }
  }
  return out;
}

test('connect completes the startup handshake and records parameters', async () => {
  const s = new ScriptedStream([handshake]);
  const c = new PgClient(s, { user: 'app', database: 'shop' });
  await c.connect();
  assert.equal(c.parameters.server_version, '15.8');
  assert.equal(splitMessage(Uint8Array.from([0, ...s.sent[0]])) !== null, true);
});

test('query returns typed rows, fields and the row count', async () => {
  const reply = [
    ...msg('1'), ...msg('2'),
    ...msg('T', [...int16(3), ...field('id', 23), ...field('name', 25), ...field('active', 16)]),
    ...msg('D', dataRow(['1', 'ada', 't'])),
    ...msg('D', dataRow(['2', null, 'f'])),
    ...msg('C', 'SELECT 2'),
    ...msg('Z', [73]),
  ];
  const s = new ScriptedStream([handshake, reply]);
  const c = new PgClient(s);
  await c.connect();
  const r = await c.query('SELECT id, name, active FROM users WHERE id > $1', [0]);
  assert.deepEqual(r.rows, [{ id: 1, name: 'ada', active: true }, { id: 2, name: null, active: false }]);
  assert.equal(r.rowCount, 2);
  assert.equal(r.command, 'SELECT');
  assert.deepEqual(r.fields.map((f) => f.name), ['id', 'name', 'active']);
  // The query went out as one extended-protocol batch.
  const types = [];
  let rest = s.sent[1];
  while (rest.length) { const m = splitMessage(rest); types.push(m.type); rest = rest.subarray(m.size); }
  assert.deepEqual(types, ['P', 'B', 'D', 'E', 'S']);
});

test('a server error rejects with DatabaseError after ReadyForQuery', async () => {
  const reply = [...msg('E', 'SERROR', 'C42P01', 'Mrelation "nope" does not exist', ''), ...msg('Z', [73])];
  const s = new ScriptedStream([handshake, reply]);
  const c = new PgClient(s);
  await c.connect();
  await assert.rejects(c.query('SELECT * FROM nope'), (err) => err instanceof DatabaseError && err.code === '42P01');
});

test('query before connect and unsupported auth fail with clear errors', async () => {
  const c = new PgClient(new ScriptedStream([]));
  await assert.rejects(c.query('SELECT 1'), /not connected/);
  const sasl = new PgClient(new ScriptedStream([msg('R', int32(10))]));
  await assert.rejects(sasl.connect(), /authentication method 10 is not supported/);
});

test('end sends Terminate and closes the stream', async () => {
  const s = new ScriptedStream([handshake]);
  const c = new PgClient(s);
  await c.connect();
  await c.end();
  assert.equal(String.fromCharCode(s.sent.at(-1)[0]), 'X');
  assert.equal(s.closed, true);
});
