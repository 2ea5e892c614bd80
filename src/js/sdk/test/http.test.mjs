import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, toFetchRequest, warmUp } from '../dist/http.js';
import { asWords } from '../dist/body.js';
import { formatAddress } from '../dist/net.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

test('WIT request becomes a fetch Request with an absolute URL, headers and body', async () => {
  const r = toFetchRequest({ method: 'post', uri: '/items/7?x=1', headers: [['host', 'api.local'], ['x-a', '1']], body: enc.encode('{"a":1}') });
  assert.equal(r.method, 'POST');
  assert.equal(r.url, 'http://api.local/items/7?x=1');
  assert.equal(r.headers.get('x-a'), '1');
  assert.equal(await r.text(), '{"a":1}');
  const g = toFetchRequest({ method: 'GET', uri: '/', headers: [], body: new Uint8Array(0) });
  assert.equal(g.url, 'http://localhost/');
});

test('serve() adapts a fetch app (object or function) to handle()', async () => {
  const app = {
    async fetch(req) {
      const u = new URL(req.url);
      const body = req.method === 'POST' ? await req.text() : u.pathname;
      return new Response(body, { status: 201, headers: { 'content-type': 'text/plain', 'x-n': '2' } });
    },
  };
  const h = serve(app);
  const res = await h.handle({ method: 'POST', uri: '/echo', headers: [], body: enc.encode('ping') });
  assert.equal(res.status, 201);
  assert.equal(dec.decode(res.body), 'ping');
  assert.deepEqual(res.headers.find(([k]) => k === 'x-n'), ['x-n', '2']);
  const fn = serve((req) => new Response(new URL(req.url).pathname));
  assert.equal(dec.decode((await fn.handle({ method: 'GET', uri: '/p', headers: [], body: new Uint8Array() })).body), '/p');
});

test('a throwing app gives a 500 naming the error instead of trapping', async () => {
  const h = serve({ fetch() { throw new TypeError('bad thing'); } });
  const res = await h.handle({ method: 'GET', uri: '/', headers: [], body: new Uint8Array() });
  assert.equal(res.status, 500);
  assert.match(dec.decode(res.body), /TypeError: bad thing/);
});

test('addresses format as IPv4 and RFC 5952 IPv6', () => {
  assert.equal(formatAddress(Uint8Array.from([10, 0, 0, 7]), false), '10.0.0.7');
  const v6 = new Uint8Array(16); v6[15] = 1;
  assert.equal(formatAddress(v6, true), '::1');
  const v6b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(formatAddress(v6b, true), '2001:db8::1');
});

test('a request body beyond the record is read from the host; a large response is written in pieces', async () => {
  const { begin, exchange } = await import('warpgrid:shim/http-body@0.1.0');
  const MiB = 1 << 20;
  const inline = 4096;
  const whole = new Uint8Array(2 * MiB + inline + 5).map((_, i) => (i * 7) & 255);
  begin(whole);
  const h = serve((req) => req.arrayBuffer().then((b) => new Response(new Uint8Array(b).reverse())));
  const res = await h.handle({ method: 'POST', uri: '/echo', headers: [], body: whole.slice(0, inline) });
  assert.equal(exchange.reads, 4); // three pieces (1 MiB, 1 MiB, 5 bytes), then the empty end
  assert.equal(res.body.length, 0);
  assert.deepEqual(exchange.written.map((p) => p.length), [MiB, MiB, inline + 5]);
  assert.deepEqual(exchange.calls, ['words', 'words', 'words']); // the last one zero-padded
  const sent = new Uint8Array(whole.length);
  let at = 0;
  for (const p of exchange.written) { sent.set(p, at); at += p.length; }
  assert.deepEqual(sent, whole.slice().reverse());
});

test('asWords views whole aligned words in place and copies anything else, zero-padded', () => {
  const memory = new Uint8Array(24).map((_, i) => i + 1);
  const aligned = asWords(memory.subarray(8, 24));
  assert.equal(aligned.buffer, memory.buffer);
  assert.deepEqual([...aligned], [0x100f0e0d0c0b0a09n, 0x1817161514131211n]); // little-endian
  const odd = asWords(memory.subarray(3, 14)); // 11 bytes at an unaligned offset
  assert.notEqual(odd.buffer, memory.buffer);
  assert.deepEqual(new Uint8Array(odd.buffer), Uint8Array.from([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 0, 0, 0, 0]));
  assert.equal(asWords(new Uint8Array(0)).length, 0);
});

test('bodies that fit the record never call the host', async () => {
  const { begin, exchange } = await import('warpgrid:shim/http-body@0.1.0');
  begin(new Uint8Array(0));
  const h = serve((req) => req.text().then((t) => new Response(t.toUpperCase())));
  const res = await h.handle({ method: 'POST', uri: '/', headers: [], body: enc.encode('small') });
  assert.equal(dec.decode(res.body), 'SMALL');
  const edge = await h.handle({ method: 'POST', uri: '/', headers: [], body: enc.encode('x'.repeat(4095)) });
  assert.equal(edge.body.length, 4095);
  assert.equal(exchange.reads, 0);
  assert.equal(exchange.written.length, 0);
});

test('a response over the host limit stops at the refusal and leaves the record empty', async () => {
  const { begin, exchange } = await import('warpgrid:shim/http-body@0.1.0');
  begin(new Uint8Array(0), (1 << 20) + 10);
  const h = serve(() => new Response(new Uint8Array(3 << 20)));
  const res = await h.handle({ method: 'GET', uri: '/', headers: [], body: new Uint8Array(0) });
  assert.equal(res.body.length, 0);
  assert.deepEqual(exchange.written.map((p) => p.length), [1 << 20]);
});

test('warmUp sends each request once and stops at a 5xx or a malformed line', async () => {
  const seen = [];
  const h = serve((req) => {
    const path = new URL(req.url).pathname;
    seen.push(`${req.method} ${path}`);
    return new Response(path === '/boom' ? 'no database here' : 'ok', { status: path === '/boom' ? 503 : 200 });
  });
  await warmUp(h, ['GET /', '  get /users/1 ']);
  assert.deepEqual(seen, ['GET /', 'GET /users/1']);
  await assert.rejects(warmUp(h, ['GET /boom']), /GET \/boom answered 503.*no database here/);
  await assert.rejects(warmUp(h, ['/']), /is not "METHOD \/path"/);
  await assert.rejects(warmUp(h, ['GET / HTTP/1.1']), /is not "METHOD \/path"/);
  assert.equal(seen.length, 3);
});
