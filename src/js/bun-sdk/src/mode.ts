/**
 * Which of the two modes this code runs in, detected at run time:
 *
 * - `native`: the process is Bun itself (`bun run`, `bun test`): there is a
 *   real `Bun` global with a version string, real sockets and `Bun.sql`.
 * - `component`: the code was bundled by the WarpGrid Bun plugin and runs
 *   inside a WebAssembly component under the shim host: there is no `Bun`
 *   global (user code sees the polyfill through an import the plugin adds),
 *   and host services come from the `warpgrid:shim` imports.
 *
 * The backend module is chosen by the resolver with the same signal (package
 * `imports` "#backend": the `bun` condition natively, `default` for the
 * browser-target bundle); `checkBackend` makes a mismatch a clear error
 * instead of a confusing failure (e.g. a bundle built with `--target=bun`).
 */
export type Mode = 'native' | 'component';

export function detectMode(): Mode {
  const bun = (globalThis as { Bun?: { version?: unknown } }).Bun;
  return bun && typeof bun.version === 'string' ? 'native' : 'component';
}

export function checkBackend(backendMode: Mode): void {
  const mode = detectMode();
  if (mode !== backendMode) {
    throw new Error(
      `@warpgrid/bun-sdk: running in ${mode} mode but the ${backendMode} backend was bundled ` +
        `(${mode === 'native' ? 'run the sources with bun, do not load a component bundle' : 'build with the WarpGrid Bun plugin (bun build --target=browser), not --target=bun'})`,
    );
  }
}
