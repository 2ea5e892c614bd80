/**
 * Stand-ins for the component's imports, so `bun test` can load a WarpGrid bundle in Bun
 * and call its http-handler export directly: a check of the bundle's wiring (entry, polyfill
 * injection, lazy loading). The real imports are tested with the component under the shim host.
 */
import { plugin } from 'bun';

export const fake = {
  env: [] as Array<[string, string]>,
  files: new Map<string, Uint8Array>(),
};

plugin({
  name: 'warpgrid-fake-shims',
  setup(build) {
    build.module('wasi:cli/environment@0.2.12', () => ({
      loader: 'object',
      exports: { getEnvironment: () => fake.env },
    }));
    build.module('warpgrid:shim/filesystem@0.1.0', () => ({
      loader: 'object',
      exports: {
        readVirtual: (p: string) => fake.files.get(p),
        isVirtual: (p: string) => fake.files.has(p),
        listVirtualPaths: () => [...fake.files.keys()],
      },
    }));
    for (const name of ['dns', 'database-proxy']) {
      build.module(`warpgrid:shim/${name}@0.1.0`, () => ({
        loader: 'object',
        exports: new Proxy({}, { get: (_t, k) => () => { throw new Error(`fake ${name}.${String(k)} not available`); } }),
      }));
    }
  },
});
