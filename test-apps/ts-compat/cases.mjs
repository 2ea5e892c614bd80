/**
 * The npm compatibility cases: one tiny check per package, run inside a
 * component by run_matrix.mjs. Each `code` is an ES module exporting
 * `async check(env) -> {ok, detail, partial?}`; `env` is the guest's WASI
 * environment (the matrix passes PG_PORT / REDIS_PORT of loopback servers it
 * starts). `replacement` is what we suggest when the package does not work.
 */
export const CASES = [
  {
    name: 'express',
    replacement: 'hono (fetch-style, works) or itty-router; serve with @warpgrid/sdk/http',
    code: `
import express from 'express';
export async function check() {
  const app = express();
  app.get('/hello/:name', (req, res) => res.json({ hi: req.params.name }));
  return { ok: false, detail: 'express app built, but express serves only through node:http (no fetch handler to adapt)' };
}`,
  },
  {
    name: 'hono',
    replacement: null,
    code: `
import { Hono } from 'hono';
export async function check() {
  const app = new Hono();
  app.get('/hello/:name', (c) => c.json({ hi: c.req.param('name'), q: c.req.query('x') }));
  app.post('/echo', async (c) => c.text(await c.req.text()));
  const a = await (await app.fetch(new Request('http://t/hello/ada?x=1'))).json();
  const b = await (await app.fetch(new Request('http://t/echo', { method: 'POST', body: 'ping' }))).text();
  const ok = a.hi === 'ada' && a.q === '1' && b === 'ping';
  return { ok, detail: JSON.stringify({ a, b }) };
}`,
  },
  {
    name: 'itty-router',
    replacement: 'hono',
    code: `
import { AutoRouter } from 'itty-router';
export async function check() {
  const router = AutoRouter();
  router.get('/hello/:name', ({ params, query }) => ({ hi: params.name, q: query.x }));
  const res = await router.fetch(new Request('http://t/hello/ada?x=1'));
  const body = await res.json();
  return { ok: res.status === 200 && body.hi === 'ada' && body.q === '1', detail: JSON.stringify(body) };
}`,
  },
  {
    name: 'zod',
    replacement: 'valibot',
    code: `
import { z } from 'zod';
export async function check() {
  const User = z.object({ name: z.string().min(2), age: z.number().int().positive(), email: z.string().email() });
  const good = User.safeParse({ name: 'Ada', age: 36, email: 'ada@example.com' });
  const bad = User.safeParse({ name: 'A', age: -1, email: 'nope' });
  const ok = good.success && !bad.success && bad.error.issues.length === 3;
  return { ok, detail: 'issues=' + (bad.success ? 0 : bad.error.issues.length) };
}`,
  },
  {
    name: 'jose',
    replacement: '@noble/hashes HMAC + manual JWT, or verify tokens on the host',
    code: `
import { SignJWT, jwtVerify } from 'jose';
export async function check() {
  const secret = new TextEncoder().encode('a-string-secret-at-least-256-bits-long');
  const jwt = await new SignJWT({ sub: 'user-7', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('2h').sign(secret);
  const { payload } = await jwtVerify(jwt, secret);
  let rejected = false;
  try { await jwtVerify(jwt, new TextEncoder().encode('another-secret-that-is-also-long-enough!')); } catch { rejected = true; }
  return { ok: payload.sub === 'user-7' && rejected, detail: 'HS256 sign+verify, wrong key rejected=' + rejected };
}`,
  },
  {
    name: 'nanoid',
    replacement: 'crypto.randomUUID()',
    code: `
import { nanoid, customAlphabet } from 'nanoid';
export async function check() {
  const a = nanoid(), b = nanoid(), c = customAlphabet('0123456789', 8)();
  const ok = a.length === 21 && a !== b && /^[0-9]{8}$/.test(c);
  return { ok, detail: a + ' ' + c };
}`,
  },
  {
    name: 'uuid',
    replacement: 'crypto.randomUUID()',
    code: `
import { v4, v5, v7, validate, version } from 'uuid';
export async function check() {
  const a = v4(), b = v7(), c = v5('warpgrid', v5.URL);
  const ok = validate(a) && version(a) === 4 && version(b) === 7 && c === v5('warpgrid', v5.URL) && a !== v4();
  return { ok, detail: [a, b, c].join(' ') };
}`,
  },
  {
    name: 'date-fns',
    replacement: 'dayjs',
    code: `
import { addDays, differenceInCalendarDays, formatISO, parseISO } from 'date-fns';
export async function check() {
  const d = addDays(parseISO('2024-02-28T12:00:00Z'), 2);
  const iso = d.toISOString();
  const diff = differenceInCalendarDays(parseISO('2024-03-10T00:00:00Z'), parseISO('2024-03-01T00:00:00Z'));
  return { ok: iso === '2024-03-01T12:00:00.000Z' && diff === 9, detail: iso + ' diff=' + diff + ' ' + formatISO(d) };
}`,
  },
  {
    name: 'luxon',
    replacement: 'date-fns or dayjs (no Intl needed)',
    code: `
import { DateTime, Duration } from 'luxon';
export async function check() {
  const d = DateTime.fromISO('2024-02-28T12:00:00Z', { zone: 'utc' }).plus({ days: 2 });
  const iso = d.toISO();
  const dur = Duration.fromObject({ hours: 1, minutes: 30 }).as('minutes');
  let named = 'n/a';
  try { named = DateTime.fromISO('2024-07-01T12:00:00Z').setZone('Europe/Paris').toFormat('HH:mm'); } catch (e) { named = 'threw: ' + e.message; }
  const basic = iso === '2024-03-01T12:00:00.000Z' && dur === 90;
  if (!basic) return { ok: false, detail: 'iso=' + iso + ' dur=' + dur };
  return named === '14:00' ? { ok: true, detail: iso } : { ok: true, partial: 'UTC arithmetic and formatting work; named time zones do not (no Intl): ' + named, detail: iso };
}`,
  },
  {
    name: 'lodash',
    replacement: 'lodash-es or ramda',
    code: `
import _ from 'lodash';
export async function check() {
  const g = _.groupBy([1.3, 2.1, 2.4], Math.floor);
  const t = _.template('hi <%= name %>')({ name: 'ada' });
  const m = _.merge({ a: { b: 1 } }, { a: { c: 2 } });
  const ok = _.isEqual(g, { 1: [1.3], 2: [2.1, 2.4] }) && t === 'hi ada' && _.isEqual(m, { a: { b: 1, c: 2 } }) && _.chunk([1,2,3], 2).length === 2;
  return { ok, detail: t + ' ' + JSON.stringify(g) };
}`,
  },
  {
    name: 'ramda',
    replacement: 'lodash',
    code: `
import * as R from 'ramda';
export async function check() {
  const total = R.pipe(R.filter((x) => x % 2 === 0), R.map((x) => x * 10), R.sum)([1, 2, 3, 4]);
  const idx = R.indexBy(R.prop('id'), [{ id: 'a', v: 1 }, { id: 'b', v: 2 }]);
  return { ok: total === 60 && idx.b.v === 2, detail: 'total=' + total };
}`,
  },
  {
    name: 'pg',
    replacement: '@warpgrid/sdk/pg (pg.Client subset over the database proxy)',
    aliasNote: 'pg -> @warpgrid/sdk/pg, Client/Pool subset over the database proxy',
    code: `
import pg from 'pg';
export async function check(env) {
  const client = new pg.Client({ host: '127.0.0.1', port: Number(env.PG_PORT), user: 'postgres', database: 'postgres' });
  await client.connect();
  const r = await client.query('SELECT $1::int + 1 AS n', [41]);
  await client.end();
  return { ok: r.rows[0].n === 42, detail: JSON.stringify(r.rows) };
}`,
  },
  {
    name: 'ioredis',
    replacement: '@warpgrid/sdk/redis (RESP client over the database proxy)',
    aliasNote: 'ioredis -> @warpgrid/sdk/ioredis, command subset over the database proxy',
    code: `
import Redis from 'ioredis';
export async function check(env) {
  const redis = new Redis({ host: '127.0.0.1', port: Number(env.REDIS_PORT), lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  await redis.set('compat', 'ok');
  const v = await redis.get('compat');
  redis.disconnect();
  return { ok: v === 'ok', detail: 'GET -> ' + v };
}`,
  },
  {
    name: 'valibot',
    replacement: null,
    code: `
import * as v from 'valibot';
export async function check() {
  const User = v.object({ name: v.pipe(v.string(), v.minLength(2)), email: v.pipe(v.string(), v.email()) });
  const good = v.safeParse(User, { name: 'Ada', email: 'ada@example.com' });
  const bad = v.safeParse(User, { name: 'A', email: 'x' });
  return { ok: good.success && !bad.success && bad.issues.length === 2, detail: 'issues=' + (bad.issues ? bad.issues.length : 0) };
}`,
  },
  {
    name: 'superjson',
    replacement: 'JSON with manual Date/Map revival',
    code: `
import superjson from 'superjson';
export async function check() {
  const src = { at: new Date('2024-01-02T03:04:05Z'), tags: new Set(['a']), m: new Map([['k', 1]]), big: 10n };
  const back = superjson.parse(superjson.stringify(src));
  const ok = back.at instanceof Date && back.at.getTime() === src.at.getTime() && back.tags.has('a') && back.m.get('k') === 1 && back.big === 10n;
  return { ok, detail: superjson.stringify(src).slice(0, 120) };
}`,
  },
  {
    name: 'dayjs',
    replacement: 'date-fns',
    code: `
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
dayjs.extend(utc);
export async function check() {
  const d = dayjs.utc('2024-02-28T12:00:00Z').add(2, 'day');
  const s = d.format('YYYY-MM-DD HH:mm');
  return { ok: s === '2024-03-01 12:00' && d.diff(dayjs.utc('2024-02-01'), 'day') === 29, detail: s };
}`,
  },
  {
    name: 'immer',
    replacement: 'structuredClone + plain updates',
    code: `
import { produce } from 'immer';
export async function check() {
  const base = { todos: [{ id: 1, done: false }], n: 0 };
  const next = produce(base, (d) => { d.todos[0].done = true; d.todos.push({ id: 2, done: false }); d.n++; });
  const ok = base.todos.length === 1 && !base.todos[0].done && next.todos.length === 2 && next.todos[0].done && Object.isFrozen(next);
  return { ok, detail: JSON.stringify(next) };
}`,
  },
  {
    name: 'yup',
    replacement: 'zod or valibot',
    code: `
import * as yup from 'yup';
export async function check() {
  const schema = yup.object({ name: yup.string().required().min(2), age: yup.number().positive().integer() });
  const good = await schema.validate({ name: 'Ada', age: 36 });
  let errors = [];
  try { await schema.validate({ name: 'A', age: -1 }, { abortEarly: false }); } catch (e) { errors = e.errors; }
  return { ok: good.name === 'Ada' && errors.length === 2, detail: errors.join('; ') };
}`,
  },
  {
    name: 'cookie',
    replacement: 'hono/cookie',
    code: `
import { parseCookie, stringifySetCookie } from 'cookie';
export async function check() {
  const c = parseCookie('sid=abc123; theme=dark');
  const s = stringifySetCookie({ name: 'sid', value: 'x y', httpOnly: true, maxAge: 60, path: '/' });
  const ok = c.sid === 'abc123' && c.theme === 'dark' && s.includes('sid=x%20y') && s.includes('HttpOnly');
  return { ok, detail: s };
}`,
  },
  {
    name: 'qs',
    replacement: 'URLSearchParams',
    code: `
import qs from 'qs';
export async function check() {
  const o = qs.parse('a[b][c]=1&list[]=x&list[]=y');
  const s = qs.stringify({ a: { b: 2 }, list: ['p', 'q'] }, { encode: false });
  const ok = o.a.b.c === '1' && o.list.length === 2 && s === 'a[b]=2&list[0]=p&list[1]=q';
  return { ok, detail: s };
}`,
  },
];
