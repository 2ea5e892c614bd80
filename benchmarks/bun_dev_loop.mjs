#!/usr/bin/env bun
/**
 * Dev-loop figure: time from saving a source file to the first response that shows the change,
 * for `bun_dev.mjs --mode native` (bun --hot) and `--mode wasm` (dev engine under the shim host).
 *
 *   bun benchmarks/bun_dev_loop.mjs --mode native|wasm [--rounds 5] [--port 18400]
 *       [--dev-engine FILE --python BIN --config FILE]   (wasm)
 *
 * Method: start the dev loop on test-apps/bun-http-handler, wait until GET /api/info answers,
 * then per round rewrite src/index.ts with a new marker in the /api/info answer (the file's
 * mtime changes: that is the "save"), and poll GET /api/info every 5 ms until the body carries
 * the marker. The figure is save -> first changed response, wall clock. The original file is
 * restored at the end (and on failure).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const REPO = resolve(import.meta.dir, '..');
const APP = join(REPO, 'test-apps/bun-http-handler');
const SRC = join(APP, 'src/index.ts');
const { values: o } = parseArgs({
  options: {
    mode: { type: 'string', default: 'native' }, rounds: { type: 'string', default: '5' }, port: { type: 'string', default: '18400' },
    'dev-engine': { type: 'string' }, python: { type: 'string' }, config: { type: 'string' }, 'cache-dir': { type: 'string' },
  },
});
const url = `http://127.0.0.1:${o.port}/api/info`;
const original = readFileSync(SRC, 'utf8');
const NEEDLE = "runtime: 'bun'";
if (!original.includes(NEEDLE)) throw new Error(`${SRC} no longer contains ${NEEDLE}`);

const args = [join(REPO, 'pants-plugins/warpgrid_pants/toolchains/scripts/bun_dev.mjs'), '--mode', o.mode, '--app', APP, '--port', o.port];
if (o.mode === 'wasm') args.push('--dev-engine', o['dev-engine'], '--python', o.python ?? 'python3', ...(o.config ? ['--config', o.config] : []), ...(o['cache-dir'] ? ['--cache-dir', o['cache-dir']] : []));
const dev = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GREETING: 'dev' } });

async function body() {
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
  } catch {
    return null;
  }
}

const times = [];
try {
  const ready = Date.now() + 900_000;
  while ((await body()) === null) {
    if (Date.now() > ready) throw new Error('dev server did not answer within 900 s');
    await Bun.sleep(50);
  }
  for (let i = 0; i < Number(o.rounds); i++) {
    const marker = `bun-${o.mode}-${Date.now()}-${i}`;
    const t0 = performance.now();
    writeFileSync(SRC, original.replace(NEEDLE, `runtime: '${marker}'`));
    for (;;) {
      const b = await body();
      if (b && b.includes(marker)) break;
      if (performance.now() - t0 > 60_000) throw new Error(`no changed response within 60 s (last: ${b})`);
      await Bun.sleep(5);
    }
    times.push(performance.now() - t0);
    console.log(`round ${i + 1}: save -> changed response ${(times.at(-1) / 1000).toFixed(3)} s`);
    await Bun.sleep(300);
  }
} finally {
  writeFileSync(SRC, original);
  dev.kill('SIGTERM');
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`${o.mode}: n=${times.length} median ${(sorted[Math.floor(sorted.length / 2)] / 1000).toFixed(3)} s, min ${(sorted[0] / 1000).toFixed(3)} s, max ${(sorted.at(-1) / 1000).toFixed(3)} s`);
