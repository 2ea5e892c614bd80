/**
 * The dev-loop engine: a component built ONCE (per toolchain) that runs whatever app bundle the
 * dev host currently serves, so an edit needs a ~0.1 s `bun build` instead of a ~10 s
 * ComponentizeJS + Wizer build.
 *
 * On each request (a fresh instance, as always under the shim host) it reads the app's bundle
 * from the host's virtual file BUNDLE_PATH (the dev host replaces that file after every
 * rebuild), evaluates it as a CommonJS-format bundle (bun_bundle.mjs --format cjs) whose
 * `require` of a world interface returns this component's own binding of it, and hands the
 * request to the bundle's httpHandler. Dev only: the bundle is parsed per request, and the
 * production component (bun_component) evaluates nothing at run time but the app.
 */
import * as filesystem from 'warpgrid:shim/filesystem@0.1.0';
import * as dns from 'warpgrid:shim/dns@0.1.0';
import * as databaseProxy from 'warpgrid:shim/database-proxy@0.1.0';
import * as signals from 'warpgrid:shim/signals@0.1.0';
import * as threading from 'warpgrid:shim/threading@0.1.0';
import * as environment from 'wasi:cli/environment@0.2.12';

export const BUNDLE_PATH = '/warpgrid/dev/bundle.js';

const IMPORTS = {
  'warpgrid:shim/filesystem@0.1.0': filesystem,
  'warpgrid:shim/dns@0.1.0': dns,
  'warpgrid:shim/database-proxy@0.1.0': databaseProxy,
  'warpgrid:shim/signals@0.1.0': signals,
  'warpgrid:shim/threading@0.1.0': threading,
  'wasi:cli/environment@0.2.12': environment,
};

const encoder = new TextEncoder();

function plain(status, text) {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body: encoder.encode(text) };
}

function requireInterface(spec) {
  const found = IMPORTS[spec];
  if (!found) throw new Error(`the dev engine does not provide ${spec} (rebuild it with that import)`);
  return found;
}

export const httpHandler = {
  async handle(request) {
    const source = filesystem.readVirtual(BUNDLE_PATH);
    if (source === undefined) return plain(503, `dev engine: no bundle at ${BUNDLE_PATH} yet (is the dev host running?)\n`);
    const module = { exports: {} };
    try {
      new Function('require', 'module', 'exports', new TextDecoder().decode(source))(requireInterface, module, module.exports);
    } catch (err) {
      return plain(500, `dev engine: the bundle failed to load: ${err && err.stack || err}\n`);
    }
    const handler = module.exports.httpHandler;
    if (!handler || typeof handler.handle !== 'function') return plain(500, 'dev engine: the bundle exports no httpHandler\n');
    return handler.handle(request);
  },
};
