#!/usr/bin/env bun
/**
 * The Bun dev loop: one command that serves an app on a fixed port, watches its sources and
 * reloads on every save. Run with the pinned Bun from the repository root.
 *
 *   bun bun_dev.mjs --mode native --app test-apps/bun-http-handler [--entry src/index.ts] [--port 3000]
 *       `bun --hot` on the entry: Bun itself reloads the module graph in place, the server
 *       keeps its port. Real Bun APIs and real sockets (Bun.sql to a reachable Postgres).
 *
 *   bun bun_dev.mjs --mode wasm --app test-apps/bun-http-handler --dev-engine dev-engine.wasm
 *       [--config APP/warp.toml] [--python python3.11] [--port 3000]
 *       Accurate mode: the app runs as WebAssembly under the real shim host (same shims and
 *       warp.toml as production) through the dev engine, a component built ONCE
 *       (src/js/bun-sdk/src/dev/engine.js through componentize.mjs) that evaluates the app's
 *       bundle at request time. A save costs one `bun build` (~0.1 s, bun_bundle.mjs --format
 *       cjs, the same plugin and polyfills as production); no ComponentizeJS/Wizer step.
 *       Differences from production: the bundle is parsed per request and is CommonJS-shaped;
 *       the app's behaviour, imports and shims are the same.
 *
 * The PORT environment variable of the app is set to --port in both modes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const HERE = import.meta.dir;
const REPO = resolve(HERE, '../../../..');

const { values: o } = parseArgs({
  options: {
    mode: { type: 'string', default: 'native' }, app: { type: 'string' }, entry: { type: 'string', default: 'src/index.ts' },
    port: { type: 'string', default: '3000' }, 'dev-engine': { type: 'string' }, config: { type: 'string' },
    python: { type: 'string', default: 'python3' }, 'cache-dir': { type: 'string' },
  },
});
if (!o.app) throw new Error('--app DIR is required');
const app = resolve(o.app);
const entry = join(app, o.entry);
if (!existsSync(entry)) throw new Error(`entry not found: ${entry}`);
const env = { ...process.env, PORT: o.port };

let child;
if (o.mode === 'native') {
  child = spawn(process.execPath, ['--hot', entry], { cwd: app, env, stdio: 'inherit' });
} else if (o.mode === 'wasm') {
  if (!o['dev-engine'] || !existsSync(o['dev-engine'])) {
    throw new Error('--dev-engine FILE is required: build it once with componentize.mjs build --entry src/js/bun-sdk/src/dev/engine.js');
  }
  const work = join(app, '.warpgrid-dev');
  mkdirSync(work, { recursive: true });
  const bundle = join(work, 'bundle.js');
  const bundleCmd = [process.execPath, join(HERE, 'bun_bundle.mjs'), '--format', 'cjs', '--entry', relative(REPO, entry),
    '--project-dir', relative(REPO, app), '--bun-sdk', 'src/js/bun-sdk', '--sdk', 'src/js/sdk', '--out', bundle];
  child = spawn(o.python, [join(HERE, 'bun_dev_host.py'), '--engine', resolve(o['dev-engine']),
    '--config', resolve(o.config ?? join(app, 'warp.toml')), '--listen', `127.0.0.1:${o.port}`,
    ...(o['cache-dir'] ? ['--cache-dir', resolve(o['cache-dir'])] : []),
    '--watch', join(app, 'src'), '--bundle', bundle, '--', ...bundleCmd],
  { cwd: REPO, env: { ...env, PYTHONPATH: join(REPO, 'src/python') }, stdio: 'inherit' });
} else {
  throw new Error(`--mode must be native or wasm, got ${o.mode}`);
}
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
child.on('exit', (code) => process.exit(code ?? 1));
