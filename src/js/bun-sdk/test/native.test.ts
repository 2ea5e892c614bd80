/**
 * @warpgrid/bun-sdk in native mode: run by bun, against a real PostgreSQL started here.
 * The same API runs in a component through the database proxy (tested under the shim host).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, dns, fs, mode, type Pool } from '../src/index.ts';
import { startPostgres, type TestPostgres } from './support/postgres.ts';

let pg: TestPostgres;
let pool: Pool;

beforeAll(async () => {
  pg = await startPostgres();
  pool = createPool({ host: '127.0.0.1', port: pg.port, database: pg.database, user: pg.user, password: pg.password, poolSize: 3 });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await pg?.stop();
});

test('mode is detected as native under bun', () => {
  expect(mode()).toBe('native');
});

describe('createPool (Bun.sql natively)', () => {
  test('parameters and typed rows', async () => {
    const r = await pool.query(
      `SELECT $1::int + 1 AS n, $2::text AS s, 9007199254740993::int8 AS big, 1.50::numeric AS num,
              '{"k":[1,2]}'::jsonb AS j, ARRAY['a','b']::text[] AS arr, true AS t,
              '2024-01-02T03:04:05Z'::timestamptz AS at, NULL::text AS nothing`,
      [41, 'héllo'],
    );
    expect(r.command).toBe('SELECT');
    expect(r.rowCount).toBe(1);
    const row = r.rows[0];
    expect(row.n).toBe(42);
    expect(row.s).toBe('héllo');
    expect(row.big).toBe('9007199254740993'); // int8 as string, like the component backend
    expect(row.num).toBe('1.50');
    expect(row.j).toEqual({ k: [1, 2] });
    expect(row.arr).toEqual(['a', 'b']);
    expect(row.t).toBe(true);
    expect(row.at).toBeInstanceOf(Date);
    expect((row.at as Date).toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(row.nothing).toBeNull();
  });

  test('command tags and row counts of DDL and DML', async () => {
    expect((await pool.query('CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE, tags text[], meta jsonb)')).command)
      .toBe('CREATE TABLE');
    const ins = await pool.query('INSERT INTO items (name, tags, meta) VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id',
      ['a', ['x'], { v: 1 }, 'b', [], null]);
    expect(ins.command).toBe('INSERT');
    expect(ins.rowCount).toBe(2);
    expect(ins.rows.map((r) => r.id)).toEqual([1, 2]);
    const upd = await pool.query('UPDATE items SET name = name || $1', ['!']);
    expect([upd.command, upd.rowCount]).toEqual(['UPDATE', 2]);
    const sel = await pool.query('SELECT name, tags, meta FROM items ORDER BY id');
    expect(sel.rows).toEqual([{ name: 'a!', tags: ['x'], meta: { v: 1 } }, { name: 'b!', tags: [], meta: null }]);
    const del = await pool.query('DELETE FROM items WHERE id = $1', [1]);
    expect([del.command, del.rowCount]).toEqual(['DELETE', 1]);
  });

  test('server errors carry the SQLSTATE in code, as in a component', async () => {
    await pool.query('CREATE TABLE uniq (k text PRIMARY KEY)');
    await pool.query('INSERT INTO uniq VALUES ($1)', ['x']);
    const dup = await pool.query('INSERT INTO uniq VALUES ($1)', ['x']).catch((e) => e);
    expect(dup.name).toBe('DatabaseError');
    expect(dup.code).toBe('23505');
    expect(dup.message).toContain('duplicate key');
    const syntax = await pool.query('SELEC 1').catch((e) => e);
    expect(syntax.code).toBe('42601');
  });

  test('poolSize bounds the connections used by concurrent queries', async () => {
    const small = createPool({ host: '127.0.0.1', port: pg.port, database: pg.database, user: pg.user, password: pg.password, poolSize: 2 });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => small.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')),
      );
      const pids = new Set(results.map((r) => r.rows[0].pid));
      expect(pids.size).toBeGreaterThanOrEqual(1);
      expect(pids.size).toBeLessThanOrEqual(2);
    } finally {
      await small.end();
    }
  });

  test('wrong password is refused by the server', async () => {
    const bad = createPool({ host: '127.0.0.1', port: pg.port, database: pg.database, user: pg.user, password: 'wrong' });
    const err = await bad.query('SELECT 1').catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/password|authentication/i);
    await bad.end();
  });

  test('createPool validates its config and opens nothing until the first query', () => {
    expect(() => createPool({} as never)).toThrow(/needs \{host\}/);
    expect(() => createPool({ host: 'h', poolSize: 0 })).toThrow(/poolSize/);
    // No server listens on port 1: creating the pool must still succeed (lazy).
    expect(createPool({ host: '127.0.0.1', port: 1 })).toBeDefined();
  });
});

describe('dns (Bun resolver natively)', () => {
  test('lookup and resolve localhost', async () => {
    const found = await dns.lookup('localhost');
    expect(found.some((a) => a.address === '127.0.0.1' && a.family === 4)).toBe(true);
    expect(await dns.resolve('127.0.0.1')).toEqual(['127.0.0.1']);
  });

  test('an unknown name rejects', async () => {
    await expect(dns.lookup('no-such-host.invalid')).rejects.toThrow();
  });
});

describe('fs (real files natively)', () => {
  test('readFile as bytes and text, exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-bun-fs-'));
    try {
      const path = join(dir, 'a.txt');
      writeFileSync(path, 'héllo\n');
      expect(await fs.readFile(path, 'utf8')).toBe('héllo\n');
      expect(Array.from(await fs.readFile(path))).toEqual(Array.from(new TextEncoder().encode('héllo\n')));
      expect(await fs.exists(path)).toBe(true);
      expect(await fs.exists(join(dir, 'missing'))).toBe(false);
      await expect(fs.readFile(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
