#!/usr/bin/env bun
/**
 * Request latency of the same Bun app run natively by bun and as a component under the shim host,
 * measured in one run with one client (this process, keep-alive fetch, sequential requests).
 *
 *   bun benchmarks/bun_request_p50.mjs --component app.wasm --python BIN [--config warp.toml]
 *       [--n 200] [--paths /users/7?full=1,/api/info]
 *
 * Native: `bun run test-apps/bun-http-handler/src/index.ts` with PORT and the warp.toml's [env].
 * Host: `python -m warpgrid serve --config warp.toml app.wasm` (compiled-code cache in
 * /tmp/warpgrid-bench-cache). After 20 warm-up requests per path, N timed requests per path
 * alternate between the two servers, so load changes hit both alike. Prints p50/p90/min per side
 * and the ratio of the p50s. Each request uses a new connection (`Connection: close`) unless
 * --keep-alive: with keep-alive the host's answers took a constant ~47 ms (min 46.8 ms) against
 * ~9 ms on fresh connections, the signature of Nagle + delayed ACK on the host's socket.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const REPO = resolve(import.meta.dir, '..');
const { values: o } = parseArgs({
  options: {
    component: { type: 'string' }, python: { type: 'string', default: 'python3' }, n: { type: 'string', default: '200' },
    config: { type: 'string', default: join(REPO, 'test-apps/bun-http-handler/warp.toml') },
    paths: { type: 'string', default: '/users/7?full=1,/api/info' },
    'keep-alive': { type: 'boolean', default: false },
  },
});
if (!o.component) throw new Error('--component app.wasm is required');

/** The [env] table of warp.toml (flat string keys only), for the native run. */
function tomlEnv(text) {
  const env = {};
  let inEnv = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inEnv = t === '[env]';
    else if (inEnv) {
      const m = t.match(/^([A-Za-z_][\w]*)\s*=\s*"([^"]*)"/);
      if (m) env[m[1]] = m[2];
    }
  }
  return env;
}

async function waitUp(url, child) {
  const deadline = Date.now() + 900_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited ${child.exitCode}`);
    try { await fetch(url); return; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await Bun.sleep(100);
  }
}

const nativePort = 18500 + Math.floor(Math.random() * 200);
const hostPort = nativePort + 300;
const native = spawn(process.execPath, ['run', join(REPO, 'test-apps/bun-http-handler/src/index.ts')], {
  cwd: join(REPO, 'test-apps/bun-http-handler'), stdio: 'ignore',
  env: { ...process.env, ...tomlEnv(readFileSync(o.config, 'utf8')), PORT: String(nativePort) },
});
const host = spawn(o.python, ['-m', 'warpgrid', 'serve', '--config', o.config, '--listen', `127.0.0.1:${hostPort}`,
  '--cache-dir', '/tmp/warpgrid-bench-cache', resolve(o.component)],
{ cwd: REPO, stdio: 'ignore', env: { ...process.env, PYTHONPATH: join(REPO, 'src/python') } });
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length * 0.5)], p90: s[Math.floor(s.length * 0.9)], min: s[0] };
};
try {
  const bases = { native: `http://127.0.0.1:${nativePort}`, host: `http://127.0.0.1:${hostPort}` };
  await waitUp(bases.native + '/', native);
  await waitUp(bases.host + '/', host);
  for (const path of o.paths.split(',')) {
    const t = { native: [], host: [] };
    for (let i = 0; i < 20; i++) for (const side of ['native', 'host']) await (await fetch(bases[side] + path)).arrayBuffer();
    for (let i = 0; i < Number(o.n); i++) {
      for (const side of ['native', 'host']) {
        const t0 = performance.now();
        const res = await fetch(bases[side] + path, o['keep-alive'] ? {} : { headers: { connection: 'close' }, keepalive: false });
        await res.arrayBuffer();
        t[side].push(performance.now() - t0);
        if (res.status >= 500) throw new Error(`${side} ${path}: HTTP ${res.status}`);
      }
    }
    const a = stats(t.native), b = stats(t.host);
    console.log(`${path}: native bun p50 ${a.p50.toFixed(2)} ms (p90 ${a.p90.toFixed(2)}, min ${a.min.toFixed(2)}); ` +
      `component under the host p50 ${b.p50.toFixed(2)} ms (p90 ${b.p90.toFixed(2)}, min ${b.min.toFixed(2)}); ratio ${(b.p50 / a.p50).toFixed(1)}x (n=${o.n} each)`);
  }
} finally {
  native.kill('SIGTERM');
  host.kill('SIGTERM');
}
