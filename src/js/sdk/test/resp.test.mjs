import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, parseReply, RespError } from '../dist/resp.js';
import { RedisClient } from '../dist/redisclient.js';
import { ScriptedStream } from './helpers.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();

test('commands encode as arrays of bulk strings (UTF-8 lengths)', () => {
  assert.equal(dec.decode(encodeCommand(['SET', 'k', 'é', 5])), '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$1\r\n5\r\n');
});

test('replies of every RESP2 type parse', () => {
  assert.deepEqual(parseReply(enc.encode('+OK\r\n')), { value: 'OK', end: 5 });
  assert.equal(parseReply(enc.encode(':42\r\n')).value, 42);
  assert.equal(parseReply(enc.encode('$-1\r\n')).value, null);
  assert.equal(parseReply(enc.encode('$5\r\nhello\r\n')).value, 'hello');
  assert.deepEqual(parseReply(enc.encode('*3\r\n$1\r\na\r\n:1\r\n*-1\r\n')).value, ['a', 1, null]);
  const err = parseReply(enc.encode('-ERR wrong type\r\n')).value;
  assert.ok(err instanceof RespError);
  assert.equal(err.message, 'ERR wrong type');
});

test('partial replies return null until complete', () => {
  const full = enc.encode('*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n');
  for (let i = 0; i < full.length; i++) assert.equal(parseReply(full.subarray(0, i)), null, `prefix ${i}`);
  assert.deepEqual(parseReply(full).value, ['foo', 'bar']);
});

test('an unknown type byte is an error', () => {
  assert.throws(() => parseReply(enc.encode('?x\r\n')), /unexpected reply type/);
});

test('client sends commands and reads chunked replies', async () => {
  const s = new ScriptedStream([enc.encode('+OK\r\n'), enc.encode('$5\r\nvalue\r\n'), enc.encode('-ERR boom\r\n')], 3);
  const r = new RedisClient(s);
  assert.equal(await r.set('k', 'value'), 'OK');
  assert.equal(await r.get('k'), 'value');
  await assert.rejects(r.incr('k'), /ERR boom/);
  assert.equal(dec.decode(s.sent[1]), '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
  await r.quit();
  assert.equal(s.closed, true);
  await assert.rejects(r.get('k'), /closed/);
});
