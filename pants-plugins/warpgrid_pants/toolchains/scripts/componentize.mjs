#!/usr/bin/env node
/**
 * WarpGrid's ComponentizeJS build recipe: TS/JS entry -> one ESM bundle (esbuild)
 * -> a WebAssembly component (pinned, patched ComponentizeJS) that is
 * byte-identical for identical inputs.
 *
 * Subcommands (all paths may be relative to the current directory):
 *
 *   apply-patches  --toolchain DIR --patches DIR
 *       Applies patches/componentize-js/*.patch (git format-patch form) to
 *       DIR/node_modules/@bytecodealliance/componentize-js. Run once after
 *       `npm ci --ignore-scripts` of third_party/js/componentize.
 *
 *   prepare-engine --toolchain DIR --wasm-tools BIN --out FILE
 *       Writes the deterministic StarlingMonkey engine (see "Determinism").
 *       Depends only on the toolchain, so it is cached once per pin.
 *
 *   typecheck --toolchain DIR --project FILE
 *       `tsc --noEmit -p FILE` with the toolchain's pinned TypeScript.
 *
 *   build --entry FILE --wit DIR --out FILE --toolchain DIR
 *         [--world warpgrid:shim/http-service] [--project-dir DIR]
 *         [--sdk DIR] [--engine FILE | --wasm-tools BIN]
 *         [--enable-feature http|fetch-event]... [--bundle-out FILE]
 *         [--node-client-aliases]
 *       Bundles the entry with esbuild (dependencies resolved from the
 *       project's node_modules, installed by `npm ci` from its lockfile),
 *       then componentizes it for the WIT world. --node-client-aliases (needs
 *       --sdk) bundles `pg` and `ioredis` imports as the SDK's compatible
 *       subsets over the database proxy (the npm packages need Node's net/tls).
 *
 * Determinism. Upstream output differs between runs (ComponentizeJS issue
 * #321) because Wizer snapshots the engine heap after running the JS top
 * level, and that heap depends on:
 *   1. WASI random_get during initialization: SpiderMonkey hash-code
 *      scramblers, Math.random state and wasi-libc's seeds take random bytes,
 *      which change hash-table layouts and hence the allocation order of the
 *      whole heap;
 *   2. WASI clock_time_get during initialization (Date.now(), GC timers);
 *   3. host paths of ComponentizeJS's randomly named work directory, passed
 *      to the guest as the initializer path, --strip-path-prefix and a
 *      preopen name.
 * (3) is fixed by patches/componentize-js/0002. (1) and (2) are fixed here:
 * prepare-engine rewrites the engine so that its calls to random_get and
 * clock_time_get go through wrappers that, while a global flag is set, return
 * a seeded splitmix64 stream and a clock that starts at 2024-01-01T00:00:00Z
 * and advances 1 us per read; the exported Wizer entry point
 * `componentize.wizer` is wrapped to clear the flag when initialization ends,
 * so Wizer snapshots flag=0 and the running component gets real host
 * randomness and time. The seed is derived from the bundle, the world and the
 * WIT files (a per-application value, like upstream's per-build seed, but
 * reproducible).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync, rmSync,
  existsSync, mkdirSync, copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const DEFAULT_WORLD = 'warpgrid:shim/http-service';
const DEFAULT_DISABLED_FEATURES = ['http', 'fetch-event'];
const CJS_PACKAGE = 'node_modules/@bytecodealliance/componentize-js';
/** Marker seed written by prepare-engine; in [2^62, 2^63) so its signed LEB128 is always 10 bytes. */
const SEED_MARKER = 0x5747534545445f30n; // "WGSEED_0"
/** Text that patch 0002 puts into componentize.js: proves the toolchain was patched. */
const PATCH_PROOF = '/__componentize_sources';

class RecipeError extends Error {}

function fail(message) {
  throw new RecipeError(message);
}

function requireOption(opts, name, hint) {
  if (!opts[name]) fail(`missing --${name}: ${hint}`);
  return opts[name];
}

function requireFile(path, what, fix) {
  if (!existsSync(path)) fail(`${what} not found: ${path}\n  fix: ${fix}`);
  return path;
}

function run(cmd, args, what, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env });
  if (r.error) fail(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (${cmd} ${args.join(' ')}):\n${r.stderr}`);
  return r;
}

// ---------------------------------------------------------------- patches

/** Applies every NNNN-*.patch in order; names the patch and git's hunk report on failure. */
function applyPatches({ toolchain, patches }) {
  const pkgDir = resolve(requireOption({ toolchain }, 'toolchain', 'the npm ci directory of third_party/js/componentize'), CJS_PACKAGE);
  requireFile(join(pkgDir, 'package.json'), 'componentize-js package', 'run `npm ci --ignore-scripts` in the toolchain directory first');
  const dir = resolve(requireOption({ patches }, 'patches', 'the patches/componentize-js directory'));
  const series = readdirSync(dir).filter((f) => /^\d{4}-.*\.patch$/.test(f)).sort();
  if (series.length === 0) fail(`no NNNN-name.patch files in ${dir}`);
  if (readFileSync(join(pkgDir, 'src/componentize.js'), 'utf8').includes(PATCH_PROOF)) {
    console.log(`componentize-js already patched: ${pkgDir}`);
    return;
  }
  // Keep git from treating an enclosing repository as the patch root.
  const env = { ...process.env, GIT_CEILING_DIRECTORIES: dirname(pkgDir) };
  for (const name of series) {
    const patch = join(dir, name);
    const check = spawnSync('git', ['apply', '--check', '--verbose', '-p1', patch], { cwd: pkgDir, encoding: 'utf8', env });
    if (check.status !== 0) {
      fail(`patch ${name} does not apply to componentize-js in ${pkgDir}:\n${check.stderr}` +
        '  fix: rebase the patch onto the pinned componentize-js version (docs/FORK-MAINTENANCE.md)');
    }
    run('git', ['-C', pkgDir, 'apply', '-p1', patch], `applying ${name}`, env);
    console.log(`applied ${name}`);
  }
}

// ----------------------------------------------------------------- engine

/** The WAT fragment appended to the engine: deterministic init-time random/clock, see the header. */
function determinismWat({ randomGet, clockTimeGet, initFunc }) {
  return `
  (global $warpgrid_det (mut i32) (i32.const 1))
  (global $warpgrid_rng (mut i64) (i64.const ${SEED_MARKER}))
  (global $warpgrid_clock (mut i64) (i64.const 1704067200000000000))
  (func $warpgrid_next (result i64) (local $z i64)
    global.get $warpgrid_rng
    i64.const 0x9e3779b97f4a7c15
    i64.add
    global.set $warpgrid_rng
    global.get $warpgrid_rng
    local.tee $z
    local.get $z
    i64.const 30
    i64.shr_u
    i64.xor
    i64.const 0xbf58476d1ce4e5b9
    i64.mul
    local.tee $z
    local.get $z
    i64.const 27
    i64.shr_u
    i64.xor
    i64.const 0x94d049bb133111eb
    i64.mul
    local.tee $z
    local.get $z
    i64.const 31
    i64.shr_u
    i64.xor)
  (func $warpgrid_random_get (param $buf i32) (param $len i32) (result i32) (local $i i32)
    global.get $warpgrid_det
    i32.eqz
    if
      local.get $buf
      local.get $len
      call ${randomGet}
      return
    end
    block $done
      loop $fill
        local.get $i
        local.get $len
        i32.ge_u
        br_if $done
        local.get $buf
        local.get $i
        i32.add
        call $warpgrid_next
        i64.store8
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $fill
      end
    end
    i32.const 0)
  (func $warpgrid_clock_time_get (param $id i32) (param $precision i64) (param $out i32) (result i32)
    global.get $warpgrid_det
    i32.eqz
    if
      local.get $id
      local.get $precision
      local.get $out
      call ${clockTimeGet}
      return
    end
    global.get $warpgrid_clock
    i64.const 1000
    i64.add
    global.set $warpgrid_clock
    local.get $out
    global.get $warpgrid_clock
    i64.store
    i32.const 0)
  (func $warpgrid_init
    call ${initFunc}
    i32.const 0
    global.set $warpgrid_det)
`;
}

/** Index of a core-wasm import, from wasm-tools' WAT. */
function importIndex(wat, module, name) {
  const re = new RegExp(`^  \\(import "${module}" "${name}" \\(func \\(;(\\d+);\\) \\(type (\\d+)\\)`, 'm');
  const m = wat.match(re);
  if (!m) fail(`engine does not import ${module}.${name}: unexpected StarlingMonkey build`);
  return Number(m[1]);
}

function prepareEngine({ toolchain, 'wasm-tools': wasmTools, out }) {
  const engine = requireFile(
    resolve(requireOption({ toolchain }, 'toolchain', 'the npm ci directory of third_party/js/componentize'), CJS_PACKAGE, 'lib/starlingmonkey_embedding.wasm'),
    'StarlingMonkey engine', 'run `npm ci --ignore-scripts` in the toolchain directory');
  requireOption({ 'wasm-tools': wasmTools }, 'wasm-tools', 'path to the pinned wasm-tools binary');
  requireOption({ out }, 'out', 'where to write the deterministic engine');
  const work = mkdtempSync(join(tmpdir(), 'warpgrid-engine-'));
  try {
    const watPath = join(work, 'engine.wat');
    run(wasmTools, ['print', engine, '-o', watPath], 'wasm-tools print of the engine');
    let wat = readFileSync(watPath, 'utf8');
    const randomGet = importIndex(wat, 'wasi_snapshot_preview1', 'random_get');
    const clockTimeGet = importIndex(wat, 'wasi_snapshot_preview1', 'clock_time_get');
    const exp = wat.match(/^  \(export "componentize\.wizer" \(func (\d+)\)\)$/m);
    if (!exp) fail('engine has no `componentize.wizer` export: unexpected StarlingMonkey build');
    const initFunc = Number(exp[1]);
    const initType = wat.match(new RegExp(`^  \\(func \\(;${initFunc};\\) \\(type (\\d+)\\)`, 'm'));
    if (!initType || !new RegExp(`^  \\(type \\(;${initType[1]};\\) \\(func\\)\\)$`, 'm').test(wat)) {
      fail('`componentize.wizer` is not a () -> () function: unexpected StarlingMonkey build');
    }
    // Any other use of the two imports (tail calls, ref.func, tables) would bypass the wrappers.
    for (const idx of [randomGet, clockTimeGet]) {
      const other = new RegExp(`(return_call|ref\\.func) ${idx}\\b|^  \\(elem .*\\bfunc\\b[^)]*\\b${idx}\\b`, 'm');
      if (other.test(wat)) fail(`engine references import ${idx} other than by direct call: wrapper rewrite unsafe`);
    }
    let calls = 0;
    wat = wat.replace(new RegExp(`^(\\s+)call (${randomGet}|${clockTimeGet})$`, 'gm'), (_, ws, idx) => {
      calls += 1;
      return `${ws}call ${Number(idx) === randomGet ? '$warpgrid_random_get' : '$warpgrid_clock_time_get'}`;
    });
    if (calls === 0) fail('found no calls to random_get/clock_time_get in the engine');
    wat = wat.replace(`  (export "componentize.wizer" (func ${initFunc}))`, '  (export "componentize.wizer" (func $warpgrid_init))');
    // New functions must come after every existing one (indices stay put): insert before the data segments.
    const dataAt = wat.search(/^  \(data /m);
    if (dataAt < 0) fail('engine has no data segments: unexpected StarlingMonkey build');
    wat = wat.slice(0, dataAt) + determinismWat({ randomGet, clockTimeGet, initFunc }) + wat.slice(dataAt);
    writeFileSync(watPath, wat);
    run(wasmTools, ['parse', watPath, '-o', resolve(out)], 'wasm-tools parse of the rewritten engine');
    seedOffset(readFileSync(resolve(out))); // proves the marker is findable
    console.log(`deterministic engine: ${out} (${calls} random/clock call sites wrapped)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function signedLeb128(value) {
  const bytes = [];
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return Buffer.from(bytes);
  }
}

/** Offset of the marker seed's `i64.const` immediate; it must occur exactly once. */
function seedOffset(engine) {
  const needle = Buffer.concat([Buffer.from([0x42]), signedLeb128(SEED_MARKER)]);
  const first = engine.indexOf(needle);
  if (first < 0 || engine.indexOf(needle, first + 1) >= 0) {
    fail('deterministic engine: the seed marker is missing or not unique; re-run prepare-engine');
  }
  return first + 1;
}

/** Engine copy whose init-time random stream starts from `seed` (a 10-byte LEB, so sizes stay fixed). */
function seededEngine(engine, seed) {
  const copy = Buffer.from(engine);
  const value = (seed & 0x3fffffffffffffffn) | 0x4000000000000000n;
  signedLeb128(value).copy(copy, seedOffset(engine));
  return copy;
}

// ------------------------------------------------------------------ build

function hashTree(hash, dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      hash.update(`d:${name}\0`);
      hashTree(hash, p);
    } else {
      hash.update(`f:${name}\0`).update(readFileSync(p)).update('\0');
    }
  }
}

/** Node database clients that cannot run in a component, and their SDK stand-ins. */
const NODE_CLIENT_ALIASES = { pg: 'pg', ioredis: 'ioredis' };

/**
 * esbuild plugin: `@warpgrid/sdk[/sub]` resolves to the SDK's TypeScript sources;
 * with `aliases`, `pg` and `ioredis` resolve to the SDK's compatible subsets.
 */
function warpgridSdkPlugin(sdkDir, aliases) {
  return {
    name: 'warpgrid-sdk',
    setup(build) {
      if (aliases) {
        build.onResolve({ filter: /^(pg|ioredis)$/ }, (args) => ({
          path: join(sdkDir, 'src', `${NODE_CLIENT_ALIASES[args.path]}.ts`),
        }));
      }
      build.onResolve({ filter: /^@warpgrid\/sdk(\/[\w-]+)?$/ }, (args) => {
        const sub = args.path.slice('@warpgrid/sdk'.length).replace(/^\//, '') || 'index';
        const file = join(sdkDir, 'src', `${sub}.ts`);
        if (!existsSync(file)) {
          return { errors: [{ text: `@warpgrid/sdk has no module "${sub}" (looked for ${file})` }] };
        }
        return { path: file };
      });
    },
  };
}

// For an http-service world the bundle's entry is this adapter (written next to the project, at
// a fixed name so the bundle stays byte-identical): the user's module unchanged, plus an
// `httpHandler` export made from its default export (a hono app, `export default { fetch }`)
// when it does not export one itself. Existing fetch-style apps then need no WarpGrid code.
const ADAPTER_NAME = '.warpgrid-http-entry.mjs';

function httpAdapterSource(entryFromProject) {
  const target = JSON.stringify(`./${entryFromProject}`);
  return [
    '// Generated by WarpGrid (componentize.mjs): the http-handler export of an http-service.',
    `import * as user from ${target};`,
    "import { serve } from '@warpgrid/sdk/http';",
    `export * from ${target};`,
    'export const httpHandler = user.httpHandler ??',
    "  (user.default && (typeof user.default === 'function' || typeof user.default.fetch === 'function')",
    '    ? serve(user.default) : undefined);',
    '',
  ].join('\n');
}

async function bundle({ esbuild, entry, projectDir, sdkDir, aliases, outFile }) {
  const plugins = sdkDir ? [warpgridSdkPlugin(sdkDir, aliases)] : [];
  const result = await esbuild.build({
    absWorkingDir: projectDir,
    entryPoints: [relative(projectDir, entry)],
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    mainFields: ['module', 'main'],
    // Entries generated outside the project (e.g. the compatibility matrix) still see its packages.
    nodePaths: [join(projectDir, 'node_modules')],
    conditions: ['worker', 'browser', 'import', 'default'],
    target: 'es2022',
    // WIT interfaces are ESM imports that ComponentizeJS binds.
    external: ['warpgrid:*', 'wasi:*'],
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    charset: 'utf8',
    sourcemap: false,
    logLevel: 'silent',
    plugins,
  }).catch((err) => {
    const msgs = (err.errors || []).map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    fail(`esbuild could not bundle ${entry}:\n${msgs.join('\n') || err.message}\n` +
      '  fix: install dependencies with `npm ci` in the project directory, or replace packages that need Node built-ins');
  });
  return result;
}

async function build(opts) {
  const toolchain = resolve(requireOption(opts, 'toolchain', 'the npm ci directory of third_party/js/componentize'));
  const entry = resolve(requireFile(requireOption(opts, 'entry', 'the TS/JS entry file'), 'entry file', 'check the entry path'));
  const witDir = resolve(requireFile(requireOption(opts, 'wit', 'the WIT directory (wit/)'), 'WIT directory', 'point --wit at the wit/ directory'));
  const out = resolve(requireOption(opts, 'out', 'the output component path'));
  const world = opts.world || DEFAULT_WORLD;
  const projectDir = resolve(opts['project-dir'] || dirname(entry));
  const sdkDir = opts.sdk ? resolve(opts.sdk) : null;
  const aliases = Boolean(opts['node-client-aliases']);
  if (aliases && !sdkDir) fail('--node-client-aliases needs --sdk (the aliases point into @warpgrid/sdk)');
  const cjsDir = join(toolchain, CJS_PACKAGE);
  requireFile(join(cjsDir, 'package.json'), 'componentize-js', 'run `npm ci --ignore-scripts` in the toolchain directory');
  if (!readFileSync(join(cjsDir, 'src/componentize.js'), 'utf8').includes(PATCH_PROOF)) {
    fail(`componentize-js in ${toolchain} is not patched\n  fix: node componentize.mjs apply-patches --toolchain ${toolchain} --patches patches/componentize-js`);
  }
  const enabled = [].concat(opts['enable-feature'] || []);
  for (const f of enabled) {
    if (!DEFAULT_DISABLED_FEATURES.includes(f)) fail(`--enable-feature ${f}: only ${DEFAULT_DISABLED_FEATURES.join(', ')} can be re-enabled`);
  }
  const disableFeatures = DEFAULT_DISABLED_FEATURES.filter((f) => !enabled.includes(f));

  const esbuild = (await import(pathToFileURL(join(toolchain, 'node_modules/esbuild/lib/main.js')).href)).default;
  const { componentize } = await import(pathToFileURL(join(cjsDir, 'src/componentize.js')).href);

  const work = mkdtempSync(join(tmpdir(), 'warpgrid-componentize-'));
  try {
    const bundlePath = join(work, 'bundle.js');
    let bundleEntry = entry;
    if (world.split('/').pop().split('@')[0] === 'http-service' && sdkDir) {
      bundleEntry = join(projectDir, ADAPTER_NAME);
      writeFileSync(bundleEntry, httpAdapterSource(relative(projectDir, entry).split('\\').join('/')));
    }
    await bundle({ esbuild, entry: bundleEntry, projectDir, sdkDir, aliases, outFile: bundlePath });
    if (opts['bundle-out']) copyFileSync(bundlePath, resolve(opts['bundle-out']));

    let engineBytes;
    if (opts.engine) {
      engineBytes = readFileSync(requireFile(resolve(opts.engine), 'deterministic engine', 'run prepare-engine'));
    } else {
      const prepared = join(work, 'engine.det.wasm');
      prepareEngine({ toolchain, 'wasm-tools': opts['wasm-tools'] || 'wasm-tools', out: prepared });
      engineBytes = readFileSync(prepared);
    }
    const seedHash = createHash('sha256').update(readFileSync(bundlePath)).update(`\0${world}\0`);
    hashTree(seedHash, witDir);
    const seed = seedHash.digest().readBigUInt64LE(0);
    const enginePath = join(work, 'engine.wasm');
    writeFileSync(enginePath, seededEngine(engineBytes, seed));

    // ComponentizeJS maps "/" to the bundle's directory for Wizer; run from there
    // so the guest sees the fixed relative name "bundle.js".
    const cwd = process.cwd();
    process.chdir(work);
    let component;
    try {
      ({ component } = await componentize({
        sourcePath: bundlePath,
        witPath: witDir,
        worldName: world,
        disableFeatures,
        engine: enginePath,
      }).catch((err) => {
        const message = String(err && err.message || err);
        if (/httpHandler|http-handler|export/i.test(message)) {
          fail(`ComponentizeJS: ${message}\n  WarpGrid: ${relative(projectDir, entry)} must provide the ` +
            `world's exports. For ${world}: \`export default app\` (a hono-style app, or \`{ fetch }\`), ` +
            "or `export const httpHandler = serve(app)` with `serve` from `@warpgrid/sdk/http`");
        }
        throw err;
      }));
    } finally {
      process.chdir(cwd);
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, component);
    const sha = createHash('sha256').update(component).digest('hex');
    console.log(`${out}: ${component.length} bytes sha256 ${sha}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// -------------------------------------------------------------- typecheck

function typecheck({ toolchain, project }) {
  const tsc = requireFile(resolve(requireOption({ toolchain }, 'toolchain', 'the npm ci directory of third_party/js/componentize'), 'node_modules/typescript/bin/tsc'),
    'TypeScript compiler', 'run `npm ci --ignore-scripts` in the toolchain directory');
  const tsconfig = requireFile(resolve(requireOption({ project }, 'project', 'the tsconfig.json to check')), 'tsconfig', 'point --project at the app tsconfig.json');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', tsconfig], { encoding: 'utf8' });
  if (r.status !== 0) fail(`type errors in ${tsconfig}:\n${r.stdout}${r.stderr}`);
  console.log(`typecheck ok: ${tsconfig}`);
}

// ------------------------------------------------------------------- main

const USAGE = 'usage: componentize.mjs apply-patches|prepare-engine|typecheck|build [options] (see the header of this file)';

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      toolchain: { type: 'string' }, patches: { type: 'string' }, 'wasm-tools': { type: 'string' },
      out: { type: 'string' }, entry: { type: 'string' }, wit: { type: 'string' }, world: { type: 'string' },
      'project-dir': { type: 'string' }, sdk: { type: 'string' }, engine: { type: 'string' },
      'enable-feature': { type: 'string', multiple: true }, 'bundle-out': { type: 'string' },
      project: { type: 'string' }, 'node-client-aliases': { type: 'boolean' },
    },
    strict: true,
  });
  if (command === 'apply-patches') applyPatches(values);
  else if (command === 'prepare-engine') prepareEngine(values);
  else if (command === 'build') await build(values);
  else if (command === 'typecheck') typecheck(values);
  else fail(USAGE);
}

main().catch((err) => {
  console.error(`componentize: ${err instanceof RecipeError ? err.message : err.stack || err}`);
  process.exit(1);
});
