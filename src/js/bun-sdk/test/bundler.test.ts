/**
 * The WarpGrid Bun bundler plugin: `Bun.build --target=browser --format=esm` of fixture apps,
 * then the bundle is loaded in Bun with stand-in imports (support/fakeshims.ts) and its
 * http-handler export is called with WIT-shaped request records.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ENTRY, entryServes, warpgridBunPlugin } from '../src/bundler/plugin.ts';
import { fake } from './support/fakeshims.ts';

const SDK = resolve(import.meta.dir, '..');
const APP = join(SDK, 'test/fixtures/app');
const ROOT = resolve(SDK, '../../..');

// A dependency that feature-detects Bun, as many packages do. Written here rather than
// committed (node_modules is not committed): in a component it must not see the polyfill.
const DEP = join(APP, 'node_modules/probe-dep');
// Bun 1.4.5 resolves the bare imports of plugin-loaded app modules only when the working
// directory (ROOT, as in bun_bundle.mjs) has a node_modules directory; the Pants sandbox of the
// real build has one (the app's install), a fresh checkout does not. Measured: without it the
// three Bun.serve tests fail with `Could not resolve: "probe-dep"`.
// It must exist before Bun's resolver first looks there (it caches directory lookups for the
// whole `bun test` process), so it is made when this file loads, not in beforeAll.
const ROOT_MODULES = join(resolve(SDK, '../../..'), 'node_modules');
const rootModulesExisted = existsSync(ROOT_MODULES);
mkdirSync(ROOT_MODULES, { recursive: true });
mkdirSync(DEP, { recursive: true });
writeFileSync(join(DEP, 'package.json'), '{ "name": "probe-dep", "version": "1.0.0", "type": "module", "main": "index.js" }\n');
writeFileSync(join(DEP, 'index.js'), "export const depSeesBun = () => typeof Bun !== 'undefined';\n");
afterAll(() => {
  rmSync(join(APP, 'node_modules'), { recursive: true, force: true });
  if (!rootModulesExisted) rmSync(ROOT_MODULES, { recursive: true, force: true });
});

async function bundle(entry: string) {
  // Bun names bundled modules relative to the working directory (as bun_bundle.mjs does).
  process.chdir(ROOT);
  return Bun.build({
    entrypoints: [ENTRY],
    root: ROOT,
    target: 'browser',
    format: 'esm',
    external: ['warpgrid:*', 'wasi:*'],
    plugins: [warpgridBunPlugin({ entry: join(APP, 'src', entry), projectDir: APP, bunSdkDir: SDK, sdkDir: join(SDK, '../sdk'), root: ROOT })],
    throw: false,
  });
}

async function load(entry: string) {
  const result = await bundle(entry);
  expect(result.logs.map((l) => l.message)).toEqual([]);
  expect(result.success).toBe(true);
  const code = await result.outputs[0].text();
  const file = join(mkdtempSync(join(tmpdir(), 'wg-bun-bundle-')), 'bundle.mjs');
  writeFileSync(file, code);
  return { code, mod: (await import(file)) as { httpHandler: { handle(r: unknown): Promise<{ status: number; headers: [string, string][]; body: Uint8Array }> } } };
}

function request(method: string, uri: string) {
  return { method, uri, headers: [['host', 'app.test']] as [string, string][], body: new Uint8Array() };
}

async function call(mod: Awaited<ReturnType<typeof load>>['mod'], method: string, uri: string) {
  const r = await mod.httpHandler.handle(request(method, uri));
  return { status: r.status, text: new TextDecoder().decode(r.body) };
}

describe('bundling a Bun.serve({ routes, fetch }) entry', () => {
  test('one import-free ESM file: only the world\'s interfaces are imported, httpHandler exported', async () => {
    const { code } = await load('serve-style.ts');
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.every((s) => /^(warpgrid|wasi):/.test(s))).toBe(true);
    expect(code).toMatch(/export\s*\{\s*httpHandler\s*\}/);
    expect(code).not.toContain(APP); // no absolute paths: the bundle does not depend on the checkout's location
  });

  test('app files use the polyfill, dependencies keep the global Bun', async () => {
    const { code } = await load('serve-style.ts');
    const section = (name: string) => {
      const start = code.indexOf(`// ${name}\n`);
      expect(start).toBeGreaterThanOrEqual(0);
      const end = code.indexOf('\n// ', start + 1);
      return code.slice(start, end < 0 ? undefined : end);
    };
    const app = section('src/js/bun-sdk/test/fixtures/app/src/serve-style.ts');
    const polyfill = app.match(/\b(Bun\d+)\.env\b/)?.[1];
    expect(polyfill).toBeDefined(); // the polyfill import, renamed apart from the global
    expect(app).not.toMatch(/(?<![\w$])Bun\./); // no reference to the global Bun left in app code
    expect(section('src/js/bun-sdk/test/fixtures/app/node_modules/probe-dep/index.js')).toContain('typeof Bun !== "undefined"');
  });

  test('serves routes and fetch; Bun.env, Bun.file, Bun.sleep are the polyfills; deps see no Bun', async () => {
    fake.env = [['STARTED_WITH', 'request-time-env']];
    fake.files.set('/etc/app.conf', new TextEncoder().encode('key=value\n'));
    const { mod } = await load('serve-style.ts');
    expect(await call(mod, 'GET', '/hello/ada')).toEqual({ status: 200, text: 'hello ada from bun' });
    const env = JSON.parse((await call(mod, 'GET', '/env')).text);
    // The app loads on the first request, so its top level saw the request-time environment.
    // The dependency sees the global scope's Bun (the real one here, none in a component).
    expect(env).toEqual({ started: 'request-time-env', now: 'request-time-env', depSeesBun: typeof globalThis.Bun !== 'undefined' });
    expect(await call(mod, 'GET', '/file')).toEqual({ status: 200, text: 'key=value\n' });
    expect(await call(mod, 'GET', '/missing')).toEqual({ status: 200, text: 'false' });
    expect(await call(mod, 'GET', '/sleep')).toEqual({ status: 200, text: 'true' });
    expect((await call(mod, 'GET', '/elsewhere')).status).toBe(404);
  });
});

test('bundling an `export default { fetch }` entry', async () => {
  fake.env = [['STARTED_WITH', 'x']];
  const { mod } = await load('default-style.ts');
  expect(JSON.parse((await call(mod, 'POST', '/a/b?q=1')).text)).toEqual({ method: 'POST', path: '/a/b', env: 'x' });
});

test('bun:sqlite stops the build with the replacement to use', async () => {
  const result = await bundle('sqlite.ts');
  expect(result.success).toBe(false);
  expect(result.logs.map((l) => l.message).join('\n')).toContain('bun:sqlite');
  expect(result.logs.map((l) => l.message).join('\n')).toContain('createPool');
});

test('entryServes recognises the entries Bun serves', async () => {
  for (const f of ['serve-style.ts', 'default-style.ts']) expect(entryServes(await Bun.file(join(APP, 'src', f)).text())).toBe(true);
  expect(entryServes(await Bun.file(join(APP, 'src', 'nothing.ts')).text())).toBe(false);
  expect(entryServes('const app = new Hono();\nexport { app as default };')).toBe(true);
});
