/**
 * The WarpGrid Bun bundler plugin: `Bun.build({ target: 'browser', format: 'esm', plugins:
 * [warpgridBunPlugin(...)] })` turns a Bun service into one ESM file that ComponentizeJS can
 * make an http-service component of, without changes to the service's code:
 *
 * - the bundle's entry is a generated module (`ENTRY`) that exports `httpHandler` and loads the
 *   app's entry on the first request (see runtime.ts for why not at build time, and what is
 *   served: `Bun.serve(...)` or `export default { fetch }`);
 * - every application source file (under the project directory, outside node_modules) that
 *   mentions `Bun` gets `import { Bun } from '@warpgrid/bun-sdk/polyfills'` prepended, so
 *   `Bun.file`, `Bun.env`, `Bun.sleep` and `Bun.serve` are the WASI/shim-backed polyfills,
 *   while dependencies keep seeing no `Bun` global and take their web-standard code paths;
 * - `import ... from 'bun'` resolves to the same polyfills; `bun:*` modules (bun:sqlite,
 *   bun:ffi, ...) stop the build with the replacement to use;
 * - `@warpgrid/bun-sdk[/sub]` and `@warpgrid/sdk[/sub]` resolve to the SDK sources given by
 *   path (no install step; the same layout in every sandbox).
 *
 * The bundle names modules by their path relative to the bundle root (`root`), so it does not
 * depend on where the sandbox is.
 */
import { readFileSync, existsSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';

export interface WarpGridBunPluginOptions {
  /** The app's entry file (absolute). */
  entry: string;
  /** The app's directory (absolute): its own sources get the Bun polyfill import. */
  projectDir: string;
  /** src/js/bun-sdk (absolute). */
  bunSdkDir: string;
  /** src/js/sdk (absolute): @warpgrid/sdk, whose pg client and shims the component backend uses. */
  sdkDir: string;
  /** Directory that bundle paths are relative to (absolute; the bundle root). */
  root: string;
}

/** The generated entry module's specifier (pass it as the only entrypoint). */
export const ENTRY = 'warpgrid-bun-entry';
const NAMESPACE = 'warpgrid-bun';

/** Replacements for Bun's built-in modules that a component cannot have. */
const BUN_BUILTIN_REPLACEMENTS: Record<string, string> = {
  'bun:sqlite': 'use Postgres through createPool from @warpgrid/bun-sdk (the host\'s database proxy)',
  'bun:ffi': 'native code cannot be loaded into a component; use a pure-JS or Wasm package',
  'bun:jsc': 'engine internals are not available in a component',
  'bun:test': 'tests run natively with `bun test`, not inside a component',
};

const SOURCE = /\.(?:[cm]?[jt]sx?)$/;
const MENTIONS_BUN = /\bBun\b/;

function loaderFor(path: string): 'js' | 'jsx' | 'ts' | 'tsx' {
  const ext = extname(path);
  if (ext === '.tsx') return 'tsx';
  if (ext === '.jsx') return 'jsx';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  return 'js';
}

/** `@warpgrid/bun-sdk[/sub]` -> a source file, by the package's own `exports` map. */
function bunSdkFile(bunSdkDir: string, specifier: string): string {
  const sub = specifier.slice('@warpgrid/bun-sdk'.length);
  const pkg = JSON.parse(readFileSync(join(bunSdkDir, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const target = pkg.exports[`.${sub}`];
  if (!target) {
    throw new Error(`@warpgrid/bun-sdk has no module "${specifier}" (exports: ${Object.keys(pkg.exports).join(', ')})`);
  }
  return join(bunSdkDir, target);
}

/** `@warpgrid/sdk[/sub]` -> src/<sub>.ts, as componentize.mjs resolves it for TypeScript apps. */
function sdkFile(sdkDir: string, specifier: string): string {
  const sub = specifier.slice('@warpgrid/sdk'.length).replace(/^\//, '') || 'index';
  const file = join(sdkDir, 'src', `${sub}.ts`);
  if (!existsSync(file)) throw new Error(`@warpgrid/sdk has no module "${sub}" (looked for ${file})`);
  return file;
}

function isAppSource(path: string, projectDir: string): boolean {
  const rel = relative(projectDir, path);
  return !rel.startsWith('..') && !rel.startsWith(sep) && !rel.split(sep).includes('node_modules') && SOURCE.test(path);
}

/**
 * Whether an entry's source serves something (`export default ...` or a `serve(...)` call).
 * The app is loaded at request time, so this cheap check is what makes an entry that serves
 * nothing fail the build rather than every request.
 */
export function entryServes(source: string): boolean {
  return /\bexport\s+default\b|\bexport\s*\{[^}]*\bas\s+default\b|\bserve\s*\(/.test(source);
}

/** The generated entry module: export the http-handler, load the app entry lazily. */
export function entrySource(entry: string, root: string): string {
  // Imported by absolute path (Bun resolves a plugin module's imports from the working
  // directory, not from `resolveDir`); the bundle names modules relative to `root` anyway.
  const rel = relative(root, entry).split(sep).join('/');
  const spec = entry;
  return [
    `import { lazyHttpHandler } from '@warpgrid/bun-sdk/runtime';`,
    `export const httpHandler = lazyHttpHandler(() => import(${JSON.stringify(spec)}), ${JSON.stringify(rel)});`,
    '',
  ].join('\n');
}

export function warpgridBunPlugin(options: WarpGridBunPluginOptions) {
  const o = {
    entry: resolve(options.entry),
    projectDir: resolve(options.projectDir),
    bunSdkDir: resolve(options.bunSdkDir),
    sdkDir: resolve(options.sdkDir),
    root: resolve(options.root),
  };
  const polyfills = bunSdkFile(o.bunSdkDir, '@warpgrid/bun-sdk/polyfills');
  return {
    name: 'warpgrid-bun',
    setup(build: any) {
      build.onResolve({ filter: new RegExp(`^${ENTRY}$`) }, () => ({ path: ENTRY, namespace: NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => ({
        contents: entrySource(o.entry, o.root),
        loader: 'js',
      }));
      build.onResolve({ filter: /^bun$/ }, () => ({ path: polyfills }));
      build.onResolve({ filter: /^bun:/ }, (args: { path: string; importer: string }) => {
        const why = BUN_BUILTIN_REPLACEMENTS[args.path] ?? 'Bun built-in modules are not available in a component';
        throw new Error(`${relative(o.root, args.importer)} imports "${args.path}", which a WarpGrid component cannot have: ${why}`);
      });
      build.onResolve({ filter: /^@warpgrid\/bun-sdk(\/[\w-]+)?$/ }, (args: { path: string }) => ({
        path: bunSdkFile(o.bunSdkDir, args.path),
      }));
      build.onResolve({ filter: /^@warpgrid\/sdk(\/[\w-]+)?$/ }, (args: { path: string }) => ({
        path: sdkFile(o.sdkDir, args.path),
      }));
      build.onLoad({ filter: SOURCE }, (args: { path: string }) => {
        const contents = readFileSync(args.path, 'utf8');
        if (!isAppSource(args.path, o.projectDir) || !MENTIONS_BUN.test(contents)) {
          return { contents, loader: loaderFor(args.path) };
        }
        return {
          contents: `import { Bun } from '@warpgrid/bun-sdk/polyfills';\n${contents}`,
          loader: loaderFor(args.path),
        };
      });
    },
  };
}
