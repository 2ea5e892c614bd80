/**
 * The Bun compatibility cases: one check per package, run inside a WarpGrid component built by
 * the Bun path (bun build + the WarpGrid plugin + ComponentizeJS) by run_matrix.mjs. Each `code`
 * is an ES module exporting `async check(env) -> {ok, detail, partial?}`; `env` is Bun.env (the
 * component's WASI environment; the matrix passes DATABASE_* of a loopback Postgres). Cases
 * are written as Bun code (Bun.env, `export default app` style where a framework serves).
 * `replacement` is what we suggest when the package does not work.
 */
export const CASES = [
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
  const nf = (await app.fetch(new Request('http://t/nope'))).status;
  return { ok: a.hi === 'ada' && a.q === '1' && b === 'ping' && nf === 404, detail: JSON.stringify({ a, b, nf }) };
}`,
  },
  {
    name: 'elysia',
    replacement: 'hono (same routing/validation style, runs on web standards)',
    code: `
import { Elysia, t } from 'elysia';
// Elysia finds the path by skipping the first 11 characters of the URL (scheme + a host of
// at least 4 characters), so requests use http://localhost/, as real ones do.
export async function check() {
  const app = new Elysia()
    .get('/hello/:name', ({ params, query }) => ({ hi: params.name, q: query.x }))
    .post('/user', ({ body }) => ({ created: body.name }), { body: t.Object({ name: t.String() }) });
  const a = await (await app.handle(new Request('http://localhost/hello/ada?x=1'))).json();
  const good = await app.handle(new Request('http://localhost/user', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"bo"}' }));
  const bad = await app.handle(new Request('http://localhost/user', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":1}' }));
  const g = await good.json();
  const ok = a.hi === 'ada' && a.q === '1' && good.status === 200 && g.created === 'bo' && bad.status === 422;
  return { ok, detail: JSON.stringify({ a, g, bad: bad.status }) };
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
  const nf = (await router.fetch(new Request('http://t/nope'))).status;
  return { ok: res.status === 200 && body.hi === 'ada' && body.q === '1' && nf === 404, detail: JSON.stringify({ body, nf }) };
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
  return { ok: good.success && !bad.success && bad.error.issues.length === 3, detail: 'issues=' + (bad.success ? 0 : bad.error.issues.length) };
}`,
  },
  {
    name: '@sinclair/typebox',
    replacement: 'zod or valibot',
    code: `
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
export async function check() {
  const User = Type.Object({ name: Type.String({ minLength: 2 }), age: Type.Integer({ minimum: 1 }) });
  const good = Value.Check(User, { name: 'Ada', age: 36 });
  const errors = [...Value.Errors(User, { name: 'A', age: 0 })].length;
  return { ok: good && errors === 2, detail: 'valid=' + good + ' errors=' + errors };
}`,
  },
  {
    name: 'valibot',
    replacement: 'zod',
    code: `
import * as v from 'valibot';
export async function check() {
  const User = v.object({ name: v.pipe(v.string(), v.minLength(2)), email: v.pipe(v.string(), v.email()) });
  const good = v.safeParse(User, { name: 'Ada', email: 'ada@example.com' });
  const bad = v.safeParse(User, { name: 'A', email: 'nope' });
  return { ok: good.success && !bad.success && bad.issues.length === 2, detail: 'issues=' + (bad.issues?.length ?? 0) };
}`,
  },
  {
    name: 'jose',
    replacement: '@noble/hashes HMAC + manual JWT, or verify tokens on the host',
    code: `
import { SignJWT, jwtVerify } from 'jose';
export async function check() {
  const secret = new TextEncoder().encode('a-string-secret-at-least-256-bits-long');
  const jwt = await new SignJWT({ sub: 'user-7' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('2h').sign(secret);
  const { payload } = await jwtVerify(jwt, secret);
  let rejected = false;
  try { await jwtVerify(jwt, new TextEncoder().encode('another-secret-that-is-also-long-enough!')); } catch { rejected = true; }
  return { ok: payload.sub === 'user-7' && rejected, detail: 'HS256 sign+verify, wrong key rejected=' + rejected };
}`,
  },
  {
    name: '@noble/hashes',
    replacement: 'crypto.subtle.digest',
    code: `
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { bytesToHex } from '@noble/hashes/utils.js';
export async function check() {
  const h = bytesToHex(sha256(new TextEncoder().encode('abc')));
  const mac = bytesToHex(hmac(sha256, new TextEncoder().encode('key'), new TextEncoder().encode('The quick brown fox jumps over the lazy dog')));
  const ok = h === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    && mac === 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8';
  return { ok, detail: 'sha256(abc)=' + h.slice(0, 16) + '… hmac ok=' + ok };
}`,
  },
  {
    name: 'nanoid',
    replacement: 'crypto.randomUUID()',
    code: `
import { nanoid, customAlphabet } from 'nanoid';
export async function check() {
  const a = nanoid(), b = nanoid(), c = customAlphabet('0123456789', 8)();
  return { ok: a.length === 21 && a !== b && /^[0-9]{8}$/.test(c), detail: a + ' ' + c };
}`,
  },
  {
    name: 'uuid',
    replacement: 'crypto.randomUUID()',
    code: `
import { v4, v7, v5, validate, version } from 'uuid';
export async function check() {
  const a = v4(), b = v7(), c = v5('hello', v5.URL);
  const ok = [a, b, c].every(validate) && version(a) === 4 && version(b) === 7 && version(c) === 5 && c === v5('hello', v5.URL) && a !== v4();
  return { ok, detail: [a, b, c].join(' ') };
}`,
  },
  {
    name: 'drizzle-orm',
    replacement: 'kysely, or SQL through createPool',
    code: `
import { pgTable, serial, text, integer } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/pg-proxy';
import { eq, and, gt } from 'drizzle-orm';
import { createPool } from '@warpgrid/bun-sdk';
const items = pgTable('drizzle_items', { id: serial('id').primaryKey(), name: text('name').notNull(), qty: integer('qty').notNull() });
export async function check(env) {
  if (!env.DATABASE_PORT) return { ok: false, detail: 'needs DATABASE_* (the matrix passes a loopback Postgres)' };
  const pool = createPool({ host: env.DATABASE_HOST, port: Number(env.DATABASE_PORT), database: env.DATABASE_NAME, user: env.DATABASE_USER });
  // drizzle's proxy driver: drizzle builds the SQL, createPool runs it through the host's database proxy.
  const db = drizzle(async (sql, params) => ({ rows: (await pool.query(sql, params)).rows.map((row) => Object.values(row)) }));
  await pool.query('CREATE TABLE IF NOT EXISTS drizzle_items (id serial PRIMARY KEY, name text NOT NULL, qty integer NOT NULL)');
  await pool.query('TRUNCATE drizzle_items RESTART IDENTITY');
  await db.insert(items).values([{ name: 'apple', qty: 3 }, { name: 'pear', qty: 0 }, { name: 'plum', qty: 7 }]);
  const rows = await db.select().from(items).where(and(gt(items.qty, 0), eq(items.name, 'plum')));
  const q = db.select().from(items).where(eq(items.id, 1)).toSQL();
  return { ok: rows.length === 1 && rows[0].qty === 7 && /where "drizzle_items"."id" = \\$1/.test(q.sql), detail: JSON.stringify(rows) + ' ' + q.sql };
}`,
  },
  {
    name: 'kysely',
    replacement: 'drizzle-orm, or SQL through createPool',
    code: `
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { createPool } from '@warpgrid/bun-sdk';
/** A kysely Driver over createPool (the host's database proxy). */
function warpgridDriver(pool) {
  const connection = { async executeQuery(q) { const r = await pool.query(q.sql, [...q.parameters]); return { rows: r.rows, numAffectedRows: BigInt(r.rowCount) }; }, async *streamQuery() { throw new Error('streaming not supported'); } };
  return { async init() {}, async acquireConnection() { return connection; }, async beginTransaction() {}, async commitTransaction() {}, async rollbackTransaction() {}, async releaseConnection() {}, async destroy() {} };
}
export async function check(env) {
  if (!env.DATABASE_PORT) return { ok: false, detail: 'needs DATABASE_* (the matrix passes a loopback Postgres)' };
  const pool = createPool({ host: env.DATABASE_HOST, port: Number(env.DATABASE_PORT), database: env.DATABASE_NAME, user: env.DATABASE_USER });
  const db = new Kysely({ dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => warpgridDriver(pool),
    createIntrospector: (d) => new PostgresIntrospector(d), createQueryCompiler: () => new PostgresQueryCompiler() } });
  await pool.query('CREATE TABLE IF NOT EXISTS kysely_people (id serial PRIMARY KEY, name text NOT NULL, age int NOT NULL)');
  await pool.query('TRUNCATE kysely_people RESTART IDENTITY');
  await db.insertInto('kysely_people').values([{ name: 'ada', age: 36 }, { name: 'bo', age: 7 }]).execute();
  const adults = await db.selectFrom('kysely_people').select(['name', 'age']).where('age', '>=', 18).orderBy('id').execute();
  const compiled = db.selectFrom('kysely_people').selectAll().where('id', '=', 1).compile();
  return { ok: adults.length === 1 && adults[0].name === 'ada' && compiled.sql.includes('$1'), detail: JSON.stringify(adults) + ' ' + compiled.sql };
}`,
  },
  {
    name: 'date-fns',
    replacement: 'dayjs',
    code: `
import { addDays, differenceInDays, formatISO, parseISO } from 'date-fns';
export async function check() {
  const d = addDays(parseISO('2024-02-28T12:00:00Z'), 2);
  const diff = differenceInDays(parseISO('2024-03-10T00:00:00Z'), parseISO('2024-03-01T00:00:00Z'));
  return { ok: d.toISOString() === '2024-03-01T12:00:00.000Z' && diff === 9, detail: d.toISOString() + ' diff=' + diff + ' ' + formatISO(d, { representation: 'date' }) };
}`,
  },
  {
    name: 'lodash',
    replacement: 'es-toolkit or native Array/Object methods',
    code: `
import _ from 'lodash';
export async function check() {
  const t = _.template('hi <%= name %>')({ name: 'ada' });
  const g = _.groupBy([1.3, 2.1, 2.4], Math.floor);
  const m = _.merge({ a: { b: 1 } }, { a: { c: 2 } });
  return { ok: t === 'hi ada' && g[2].length === 2 && m.a.b === 1 && m.a.c === 2, detail: t + ' ' + JSON.stringify(g) };
}`,
  },
  {
    name: 'superjson',
    replacement: 'JSON with explicit Date/BigInt handling',
    code: `
import superjson from 'superjson';
export async function check() {
  const value = { at: new Date('2024-01-02T03:04:05Z'), tags: new Set(['a']), m: new Map([['k', 1]]), big: 10n };
  const back = superjson.parse(superjson.stringify(value));
  const ok = back.at instanceof Date && back.at.getTime() === value.at.getTime() && back.tags.has('a') && back.m.get('k') === 1 && back.big === 10n;
  return { ok, detail: superjson.stringify(value).slice(0, 120) };
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
  return { ok: d.format('YYYY-MM-DD HH:mm') === '2024-03-01 12:00', detail: d.format('YYYY-MM-DD HH:mm') };
}`,
  },
  {
    name: '@hono/zod-validator',
    replacement: 'validate with zod inside the handler',
    code: `
import { Hono } from 'hono';
import { z } from 'zod';
import { zValidator } from '@hono/zod-validator';
export async function check() {
  const app = new Hono().post('/u', zValidator('json', z.object({ name: z.string().min(2) })), (c) => c.json({ ok: c.req.valid('json').name }));
  const req = (body) => app.fetch(new Request('http://t/u', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
  const good = await req('{"name":"ada"}'), bad = await req('{"name":"a"}');
  return { ok: good.status === 200 && (await good.json()).ok === 'ada' && bad.status === 400, detail: 'good=' + good.status + ' bad=' + bad.status };
}`,
  },
  {
    name: 'ulid',
    replacement: 'uuid v7',
    code: `
import { ulid, decodeTime } from 'ulid';
export async function check() {
  const a = ulid(), b = ulid();
  const t = decodeTime(a);
  return { ok: /^[0-9A-HJKMNP-TV-Z]{26}$/.test(a) && a !== b && Math.abs(t - Date.now()) < 60000, detail: a + ' t=' + t };
}`,
  },
  {
    name: 'postgres',
    replacement: 'createPool from @warpgrid/bun-sdk (Bun.sql natively, the database proxy in a component)',
    code: `
import postgres from 'postgres';
export async function check(env) {
  const sql = postgres({ host: env.DATABASE_HOST, port: Number(env.DATABASE_PORT), database: env.DATABASE_NAME, username: env.DATABASE_USER, max: 1 });
  const rows = await sql\`SELECT 1 + 1 AS n\`;
  await sql.end();
  return { ok: rows[0].n === 2, detail: JSON.stringify(rows) };
}`,
  },
  {
    name: 'arktype',
    replacement: 'zod or valibot',
    code: `
import { type } from 'arktype';
export async function check() {
  const User = type({ name: 'string >= 2', age: 'number.integer > 0' });
  const good = User({ name: 'Ada', age: 36 });
  const bad = User({ name: 'A', age: -1 });
  const ok = !(good instanceof type.errors) && bad instanceof type.errors;
  return { ok, detail: ok ? 'errors: ' + bad.summary.replace(/\\n/g, '; ') : JSON.stringify(good) };
}`,
  },
];

/** Native-binding packages: they cannot load into any WebAssembly component (no .node addons). */
export const NATIVE = [
  { name: 'better-sqlite3', why: 'C++ addon (.node) built by node-gyp; no addons in a component', replacement: 'createPool (Postgres through the database proxy); sql.js (SQLite compiled to Wasm) for an in-memory database' },
  { name: 'sharp', why: 'libvips through a C++ addon (@img/sharp-linux-x64 .node)', replacement: 'do image work in a native service, or a pure-Wasm codec bundled with the app' },
  { name: 'bcrypt', why: 'C++ addon (.node) via node-gyp-build', replacement: 'bcryptjs (pure JS, same hashes) or @noble/hashes scrypt/pbkdf2' },
  { name: 'canvas', why: 'Cairo through a C++ addon (.node)', replacement: 'render on the client or in a native service; SVG strings for simple charts' },
];
