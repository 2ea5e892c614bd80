/**
 * The component polyfills of Bun.file and Bun.serve, checked against real Bun: the same
 * calls on real Bun.file / a real Bun.serve listener must give the same answers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WarpGridBunFile, mimeType } from '../src/polyfills/file.ts';
import { Server, serve, servedServer, resetServed, type ServeOptions } from '../src/polyfills/serve.ts';

let dir: string;
const diskReader = (p: string) => {
  try {
    return new Uint8Array(readFileSync(p));
  } catch {
    return undefined;
  }
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wg-bun-poly-'));
  writeFileSync(join(dir, 'a.txt'), 'héllo wörld\n');
  writeFileSync(join(dir, 'd.json'), '{"k":[1,2,{"x":null}]}');
  writeFileSync(join(dir, 'b.bin'), new Uint8Array([0, 1, 2, 250, 255]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Bun.file polyfill vs real Bun.file', () => {
  for (const name of ['a.txt', 'd.json', 'b.bin']) {
    test(`reads ${name} like Bun`, async () => {
      const path = join(dir, name);
      const real = Bun.file(path);
      const poly = new WarpGridBunFile(path, diskReader);
      expect(poly.size).toBe(real.size);
      expect(poly.type).toBe(real.type);
      expect(poly.name).toBe(real.name!);
      expect(await poly.exists()).toBe(await real.exists());
      expect(await poly.text()).toBe(await real.text());
      expect(Array.from(await poly.bytes())).toEqual(Array.from(await real.bytes()));
      expect(new Uint8Array(await poly.arrayBuffer())).toEqual(new Uint8Array(await real.arrayBuffer()));
      expect(await new Response(poly.stream()).text()).toBe(await new Response(real.stream()).text());
      expect(await poly.slice(1, 4).text()).toBe(await real.slice(1, 4).text());
    });
  }

  test('json()', async () => {
    const path = join(dir, 'd.json');
    expect(await new WarpGridBunFile(path, diskReader).json()).toEqual(await Bun.file(path).json());
  });

  test('a missing file: size 0, exists false, the same ENOENT error', async () => {
    const path = join(dir, 'missing.txt');
    const real = Bun.file(path);
    const poly = new WarpGridBunFile(path, diskReader);
    expect(poly.size).toBe(real.size);
    expect(await poly.exists()).toBe(false);
    const [a, b] = await Promise.all([real.text().catch((e) => e), poly.text().catch((e) => e)]);
    expect([b.code, b.errno, b.syscall, b.message]).toEqual([a.code, a.errno, a.syscall, a.message]);
  });

  test('MIME types match Bun for common extensions', () => {
    for (const name of ['x.txt', 'x.html', 'x.css', 'x.js', 'x.json', 'x.wasm', 'x.png', 'x.svg', 'x.csv', 'x.md', 'x.xml', 'x.unknown', 'noext']) {
      expect(mimeType(`/d/${name}`)).toBe(Bun.file(`/d/${name}`).type);
    }
  });

  test('writes fail with EROFS (virtual files are read-only)', async () => {
    const poly = new WarpGridBunFile('/etc/hosts', diskReader);
    await expect(poly.write()).rejects.toMatchObject({ code: 'EROFS' });
    await expect(poly.delete()).rejects.toMatchObject({ code: 'EROFS' });
  });
});

/** Options exercising routes, params, methods, static responses, fallthrough and errors. */
function options(): ServeOptions {
  return {
    port: 0,
    routes: {
      '/static': new Response('static body', { headers: { 'x-kind': 'static' } }),
      '/users/:id': (req: Request & { params?: Record<string, string> }) => Response.json({ params: req.params }),
      '/orgs/:org/repos/:repo': (req: Request & { params?: Record<string, string> }) => Response.json(req.params),
      '/api/items': {
        GET: () => Response.json({ items: [1, 2] }),
        POST: async (req: Request) => Response.json({ got: await req.json() }, { status: 201 }),
      },
      '/users/me': () => new Response('exact beats param'),
      '/files/*': (req: Request) => new Response(`wild ${new URL(req.url).pathname}`),
      '/boom': () => {
        throw new Error('kaput');
      },
    },
    fetch(req: Request) {
      return new Response(`fallback ${req.method} ${new URL(req.url).pathname}`, { status: 404 });
    },
    error(err: Error) {
      return new Response(`handled: ${err.message}`, { status: 500 });
    },
  };
}

const REQUESTS: Array<[string, string, string?]> = [
  ['GET', '/static'], ['GET', '/users/42'], ['GET', '/users/a%20b'], ['GET', '/users/me'],
  ['GET', '/orgs/wg/repos/sdk'], ['GET', '/api/items'], ['POST', '/api/items', '{"n":1}'],
  ['GET', '/files/a/b.txt'], ['GET', '/nowhere'], ['GET', '/boom'],
];

describe('Bun.serve polyfill vs a real Bun.serve', () => {
  let real: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    real = Bun.serve({ ...(options() as Parameters<typeof Bun.serve>[0]), hostname: '127.0.0.1' });
  });
  afterAll(() => real.stop(true));

  for (const [method, path, body] of REQUESTS) {
    test(`${method} ${path} answers the same`, async () => {
      const poly = new Server(options());
      const init = { method, body, headers: body ? { 'content-type': 'application/json' } : undefined };
      const a = await fetch(`http://127.0.0.1:${real.port}${path}`, init);
      const b = await poly.fetch(new Request(`http://localhost${path}`, init));
      expect(b.status).toBe(a.status);
      expect(await b.text()).toBe(await a.text());
      if (path === '/static') expect(b.headers.get('x-kind')).toBe(a.headers.get('x-kind'));
    });
  }
});

describe('Bun.serve registration', () => {
  test('one server per component; port from options or env', () => {
    resetServed();
    const s = serve({ fetch: () => new Response('x') }, { PORT: '8081' });
    expect(servedServer()).toBe(s);
    expect(s.port).toBe(8081);
    expect(String(s.url)).toBe('http://localhost:8081/');
    expect(() => serve({ fetch: () => new Response('y') })).toThrow(/called twice/);
    resetServed();
  });

  test('needs fetch or routes', () => {
    expect(() => new Server({} as ServeOptions)).toThrow(/fetch handler or routes/);
  });

  test('reload swaps handlers, stop answers 503', async () => {
    const s = new Server({ fetch: () => new Response('one') });
    expect(await (await s.fetch(new Request('http://x/'))).text()).toBe('one');
    s.reload({ fetch: () => new Response('two') });
    expect(await (await s.fetch(new Request('http://x/'))).text()).toBe('two');
    s.stop();
    expect((await s.fetch(new Request('http://x/'))).status).toBe(503);
  });
});
