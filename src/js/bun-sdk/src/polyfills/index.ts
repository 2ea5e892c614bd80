/**
 * The `Bun` API inside a WarpGrid component, and the module `bun` (`import { serve } from
 * 'bun'`). The WarpGrid Bun bundler plugin makes every application file that mentions `Bun`
 * import this object, so user code does not change:
 *
 * - `Bun.env` is `process.env`, read from `wasi:cli/environment` (lazily: top-level code runs
 *   at build time under Wizer, where host calls are not allowed);
 * - `Bun.file(path)` reads the host's virtual files through `warpgrid:shim/filesystem`
 *   (read-only: writes fail with EROFS);
 * - `Bun.sleep(ms)` is a timer on the component's event loop;
 * - `Bun.serve(options)` registers the handler that the http-handler export calls.
 *
 * Other Bun APIs are not provided (reading them gives undefined, so feature detection works).
 */
import { readVirtual } from 'warpgrid:shim/filesystem@0.1.0';
import { installProcessEnv, lazyEnv } from '@warpgrid/sdk/env';
import { WarpGridBunFile, erofs } from './file.ts';
import { Server, serve as registerServe, type ServeOptions } from './serve.ts';

declare const __WARPGRID_BUN_VERSION__: string | undefined;
declare const __WARPGRID_BUN_REVISION__: string | undefined;
declare const __WARPGRID_BUN_MAIN__: string | undefined;

installProcessEnv();

/**
 * Bun.env: a view of the WASI environment, read on first access (at request time), shared
 * with the `process.env` that @warpgrid/sdk installs (both read and write `environment()`).
 */
export const env = lazyEnv();

/** The Bun version that bundled this component (Bun.version under Bun). */
export const version: string = typeof __WARPGRID_BUN_VERSION__ === 'string' ? __WARPGRID_BUN_VERSION__ : '0.0.0';
export const revision: string = typeof __WARPGRID_BUN_REVISION__ === 'string' ? __WARPGRID_BUN_REVISION__ : '';
export const main: string = typeof __WARPGRID_BUN_MAIN__ === 'string' ? __WARPGRID_BUN_MAIN__ : '';
export const argv: string[] = [];

export function file(path: string | URL, options?: { type?: string }): WarpGridBunFile {
  if (typeof path === 'number') throw new TypeError('Bun.file(fd): file descriptors are not available in a WarpGrid component');
  const p = path instanceof URL ? decodeURIComponent(path.pathname) : String(path);
  const absolute = p.startsWith('/') ? p : `/${p.replace(/^\.\//, '')}`;
  return new WarpGridBunFile(absolute, (q) => readVirtual(q), options);
}

export async function write(destination: string | URL | WarpGridBunFile): Promise<number> {
  const name = destination instanceof WarpGridBunFile ? destination.name : String(destination);
  throw erofs(name, 'open');
}

export function sleep(ms: number | Date): Promise<void> {
  const delay = ms instanceof Date ? ms.getTime() - Date.now() : Number(ms);
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, delay)));
}

export function serve(options: ServeOptions): Server {
  return registerServe(options, env);
}

export function nanoseconds(): number {
  return Math.round(performance.now() * 1e6);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

export function escapeHTML(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export { Server };

export const Bun = {
  env, version, revision, main, argv, file, write, sleep, serve, nanoseconds, escapeHTML,
};

export default Bun;
