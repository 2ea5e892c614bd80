import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startupMessage, bindMessage, extendedQuery, parseMessage, splitMessage, parseRowDescription,
  parseDataRow, parseValue, serializeParam, parseCommandTag, parseErrorFields, OID,
} from '../dist/pgproto.js';

const dec = new TextDecoder();

test('startup message has protocol 3.0, params and a terminating zero', () => {
  const m = startupMessage({ user: 'app', database: 'shop' });
  const view = new DataView(m.buffer);
  assert.equal(view.getInt32(0), m.length);
  assert.equal(view.getInt32(4), 196608);
  assert.equal(dec.decode(m.subarray(8)), 'user\0app\0database\0shop\0\0');
});

test('parse message carries the SQL text and zero declared parameter types', () => {
  const m = parseMessage('SELECT $1::int');
  assert.equal(String.fromCharCode(m[0]), 'P');
  assert.equal(dec.decode(m.subarray(5, -2)), '\0SELECT $1::int\0');
  assert.deepEqual([...m.subarray(-2)], [0, 0]);
});

test('bind encodes NULL as length -1 and text values with their byte length', () => {
  const m = bindMessage(['héllo', null]);
  const body = m.subarray(5);
  // portal "", statement "", 0 format codes, 2 params
  assert.deepEqual([...body.subarray(0, 6)], [0, 0, 0, 0, 0, 2]);
  const view = new DataView(body.buffer, body.byteOffset);
  assert.equal(view.getInt32(6), 6); // 'héllo' is 6 bytes in UTF-8
  assert.equal(dec.decode(body.subarray(10, 16)), 'héllo');
  assert.equal(view.getInt32(16), -1);
  assert.deepEqual([...body.subarray(20)], [0, 0]);
});

test('extended query is Parse, Bind, Describe, Execute, Sync in order', () => {
  const all = extendedQuery('SELECT 1', []);
  const types = [];
  let rest = all;
  while (rest.length) {
    const m = splitMessage(rest);
    types.push(m.type);
    rest = rest.subarray(m.size);
  }
  assert.deepEqual(types, ['P', 'B', 'D', 'E', 'S']);
});

test('splitMessage waits for a whole message', () => {
  const full = Uint8Array.from([0x5a, 0, 0, 0, 5, 0x49]);
  assert.equal(splitMessage(full.subarray(0, 4)), null);
  assert.equal(splitMessage(full.subarray(0, 5)), null);
  assert.deepEqual(splitMessage(full).type, 'Z');
});

test('row description and data row decode fields and NULLs', () => {
  const rd = Uint8Array.from([0, 1, ...new TextEncoder().encode('id'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 0, 4, 255, 255, 255, 255, 0, 0]);
  const [f] = parseRowDescription(rd);
  assert.equal(f.name, 'id');
  assert.equal(f.dataTypeID, OID.int4);
  const dr = Uint8Array.from([0, 2, 0, 0, 0, 2, 52, 50, 255, 255, 255, 255]);
  const [a, b] = parseDataRow(dr);
  assert.equal(dec.decode(a), '42');
  assert.equal(b, null);
});

test('values are typed by OID like node-postgres', () => {
  const t = (s) => new TextEncoder().encode(s);
  assert.equal(parseValue(t('42'), OID.int4), 42);
  assert.equal(parseValue(t('9007199254740993'), OID.int8), '9007199254740993');
  assert.equal(parseValue(t('t'), OID.bool), true);
  assert.equal(parseValue(t('1.5'), OID.float8), 1.5);
  assert.equal(parseValue(t('12.30'), OID.numeric), '12.30');
  assert.deepEqual(parseValue(t('{"a":[1]}'), OID.jsonb), { a: [1] });
  assert.deepEqual([...parseValue(t('\\x00ff'), OID.bytea)], [0, 255]);
  assert.equal(parseValue(t('2024-05-06 07:08:09.5+02'), OID.timestamptz).toISOString(), '2024-05-06T05:08:09.500Z');
  assert.equal(parseValue(t('2024-05-06'), OID.date).toISOString(), '2024-05-06T00:00:00.000Z');
  assert.deepEqual(parseValue(t('{1,NULL,3}'), OID.int4Array), [1, null, 3]);
  assert.deepEqual(parseValue(t('{a,"b c","NULL",NULL}'), OID.textArray), ['a', 'b c', 'NULL', null]);
  assert.equal(parseValue(null, OID.int4), null);
});

test('parameters serialize to text', () => {
  assert.equal(serializeParam(null), null);
  assert.equal(serializeParam(undefined), null);
  assert.equal(serializeParam(true), 'true');
  assert.equal(serializeParam(7), '7');
  assert.equal(serializeParam(new Date('2024-01-02T03:04:05Z')), '2024-01-02T03:04:05.000Z');
  assert.equal(serializeParam(Uint8Array.from([1, 171])), '\\x01ab');
  assert.equal(serializeParam({ a: 1 }), '{"a":1}');
  assert.equal(serializeParam([1, null, 'x"y']), '{"1",NULL,"x\\"y"}');
});

test('command tags and error fields', () => {
  assert.deepEqual(parseCommandTag('INSERT 0 3'), { command: 'INSERT', rowCount: 3 });
  assert.deepEqual(parseCommandTag('SELECT 2'), { command: 'SELECT', rowCount: 2 });
  assert.deepEqual(parseCommandTag('BEGIN'), { command: 'BEGIN', rowCount: null });
  const e = parseErrorFields(new TextEncoder().encode('SERROR\0C42P01\0Mrelation "x" does not exist\0\0'));
  assert.deepEqual(e, { S: 'ERROR', C: '42P01', M: 'relation "x" does not exist' });
});
