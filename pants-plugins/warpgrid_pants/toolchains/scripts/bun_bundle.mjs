#!/usr/bin/env bun
/**
 * WarpGrid Bun bundle step: a Bun service (entry + installed node_modules) -> ONE ESM file
 * that `componentize.mjs build` turns into an http-service component. Run it with the pinned
 * Bun (third_party/upstreams.toml [bun]):
 *
 *   bun bun_bundle.mjs --entry APP/src/index.ts --project-dir APP \
 *       --bun-sdk src/js/bun-sdk --sdk src/js/sdk --out bundle.js [--root DIR]
 *
 * It is `bun build --target=browser --format=esm` through Bun's JS API, because the build
 * needs the WarpGrid bundler plugin (src/js/bun-sdk/src/bundler/plugin.ts): Bun APIs become
 * WASI/shim-backed polyfills and the bundle exports `httpHandler`. No network; inputs are
 * the given paths only; `--root` (default: the current directory) is what paths inside the
 * bundle are relative to (the script builds from there), so keep the same layout (e.g. the
 * repository's) for identical output.
 *
 * Fails (exit 1, message naming the file and the step) when an input is missing, the bundle
 * has errors, or the output imports anything other than the world's `warpgrid:*`/`wasi:*`
 * interfaces (ComponentizeJS binds only those).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

class BundleError extends Error {}

function fail(message) {
  throw new BundleError(message);
}

function requirePath(opts, name, what) {
  if (!opts[name]) fail(`missing --${name}: ${what}`);
  const path = resolve(opts[name]);
  if (!existsSync(path)) fail(`--${name}: ${what} not found: ${path}`);
  return path;
}

/** Import specifiers left in the bundle that ComponentizeJS would not bind. */
function strayImports(code) {
  const found = new Set();
  const re = /(?:^|[\s;])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of code.matchAll(re)) {
    const spec = m[1] ?? m[2];
    if (!/^(warpgrid|wasi):/.test(spec)) found.add(spec);
  }
  return [...found];
}

/** require() targets left in a cjs bundle other than the world's interfaces. */
function strayRequires(code) {
  const found = new Set();
  for (const m of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) if (!/^(warpgrid|wasi):/.test(m[1])) found.add(m[1]);
  return [...found];
}

async function main() {
  const { values: opts } = parseArgs({
    args: process.argv.slice(2),
    options: {
      entry: { type: 'string' }, 'project-dir': { type: 'string' }, 'bun-sdk': { type: 'string' },
      sdk: { type: 'string' }, out: { type: 'string' }, root: { type: 'string' }, format: { type: 'string' },
    },
    strict: true,
  });
  const entry = requirePath(opts, 'entry', 'the Bun entry file');
  const projectDir = requirePath(opts, 'project-dir', 'the app directory (package.json, node_modules)');
  const bunSdkDir = requirePath(opts, 'bun-sdk', 'src/js/bun-sdk');
  const sdkDir = requirePath(opts, 'sdk', 'src/js/sdk');
  const root = resolve(opts.root ?? '.');
  if (!opts.out) fail('missing --out: where to write the bundle');
  // esm: the component bundle. cjs: the dev loop's bundle, evaluated by the dev engine
  // (src/js/bun-sdk/src/dev/engine.js), where the world's interfaces become require() calls.
  const format = opts.format ?? 'esm';
  if (format !== 'esm' && format !== 'cjs') fail(`--format must be esm or cjs, got ${format}`);
  const out = resolve(opts.out);
  if (!existsSync(join(projectDir, 'package.json'))) fail(`no package.json in --project-dir ${projectDir}`);

  const pluginPath = join(bunSdkDir, 'src/bundler/plugin.ts');
  if (!existsSync(pluginPath)) fail(`the WarpGrid Bun bundler plugin is missing: ${pluginPath}`);
  const { warpgridBunPlugin, entryServes, ENTRY } = await import(pathToFileURL(pluginPath).href);
  if (!entryServes(readFileSync(entry, 'utf8'))) {
    fail(`${entry} serves nothing: a Bun entry must call Bun.serve({ fetch(req) { ... } }) or ` +
      '`export default { fetch(req) { ... } }` (a hono app: `export default app`)');
  }

  // Bun names modules in the bundle (`// path` comments) relative to the working directory,
  // whatever `root` says: build from the root so the bundle is the same in every sandbox.
  process.chdir(root);
  const result = await Bun.build({
    entrypoints: [ENTRY],
    root,
    target: 'browser',
    format,
    splitting: false,
    minify: false,
    sourcemap: 'none',
    // As componentize.mjs bundles TypeScript apps: worker/browser exports of dependencies.
    conditions: ['worker', 'browser'],
    // The world's interfaces are ESM imports that ComponentizeJS binds.
    external: ['warpgrid:*', 'wasi:*'],
    define: {
      'process.env.NODE_ENV': '"production"',
      __WARPGRID_BUN_VERSION__: JSON.stringify(Bun.version),
      __WARPGRID_BUN_REVISION__: JSON.stringify(Bun.revision),
    },
    plugins: [warpgridBunPlugin({ entry, projectDir, bunSdkDir, sdkDir, root })],
    throw: false,
  });
  if (!result.success) {
    const logs = result.logs.map((l) => `  ${l.position ? `${l.position.file}:${l.position.line}: ` : ''}${l.message}`);
    fail(`bun build of ${entry} failed:\n${logs.join('\n')}\n` +
      '  fix: install dependencies from the lockfile in the app directory, and replace packages that need Node or Bun built-ins');
  }
  const chunks = result.outputs.filter((o) => o.kind === 'entry-point' || o.kind === 'chunk');
  if (chunks.length !== 1 || result.outputs.length !== 1) {
    fail(`bun build of ${entry} produced ${result.outputs.length} files (${result.outputs.map((o) => o.path).join(', ')}); ` +
      'expected one ESM file (assets and dynamic chunks cannot go into a component)');
  }
  const code = await chunks[0].text();
  const stray = format === 'esm' ? strayImports(code) : strayRequires(code);
  if (stray.length) {
    fail(`the bundle of ${entry} still imports ${stray.join(', ')}: only warpgrid:*/wasi:* imports can be bound by ComponentizeJS`);
  }
  const exported = format === 'esm' ? /\bexport\s*\{[^}]*\bhttpHandler\b/ : /\bhttpHandler\b/;
  if (!exported.test(code)) fail(`the bundle of ${entry} does not export httpHandler (plugin entry missing)`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  const sha = new Bun.CryptoHasher('sha256').update(code).digest('hex');
  console.log(`${out}: ${Buffer.byteLength(code)} bytes sha256 ${sha}`);
}

main().catch((err) => {
  console.error(`bun_bundle: ${err instanceof BundleError ? err.message : err.stack || err}`);
  process.exit(1);
});
