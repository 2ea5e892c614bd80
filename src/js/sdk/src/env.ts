/**
 * `process.env` from the WASI environment (`wasi:cli/environment`).
 *
 * Module top-level code runs at build time under Wizer, where host imports
 * trap, so the environment is read lazily on first access (at request time)
 * through a Proxy. `installProcessEnv()` runs when the SDK is imported.
 */
import { getEnvironment } from 'wasi:cli/environment@0.2.12';

let cache: Record<string, string> | null = null;

/** The guest's environment as a plain object (read once per instance). */
export function environment(): Record<string, string> {
  if (cache === null) {
    cache = Object.create(null) as Record<string, string>;
    for (const [k, v] of getEnvironment()) cache[k] = v;
  }
  return cache;
}

/** A live view of `environment()`: reads and writes go to it (process.env, Bun.env). */
export function lazyEnv(): Record<string, string | undefined> {
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_t, key) => (typeof key === 'string' ? environment()[key] : undefined),
    set: (_t, key, value) => {
      if (typeof key === 'string') environment()[key] = String(value);
      return true;
    },
    deleteProperty: (_t, key) => {
      if (typeof key === 'string') delete environment()[key];
      return true;
    },
    has: (_t, key) => typeof key === 'string' && key in environment(),
    ownKeys: () => Object.keys(environment()),
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string' || !(key in environment())) return undefined;
      return { value: environment()[key], writable: true, enumerable: true, configurable: true };
    },
  });
}

/** Defines `globalThis.process.env` (and a minimal `process`) when the runtime has none. */
export function installProcessEnv(): void {
  const g = globalThis as { process?: { env?: unknown } & Record<string, unknown> };
  if (!g.process) {
    g.process = { env: lazyEnv(), argv: [], platform: 'wasi', versions: {}, nextTick: (fn: (...a: unknown[]) => void, ...args: unknown[]) => queueMicrotask(() => fn(...args)) };
  } else if (!g.process.env) {
    g.process.env = lazyEnv();
  }
}
