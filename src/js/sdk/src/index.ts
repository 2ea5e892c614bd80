/**
 * @warpgrid/sdk: host services for TypeScript components built with
 * ComponentizeJS and run by the WarpGrid shim host.
 *
 *   import { warpgrid } from '@warpgrid/sdk';
 *   const conn = warpgrid.database.connect({ protocol: 'postgres', host: 'db', port: 5432 });
 *   const addrs = await warpgrid.dns.resolve('db.prod.warp.local');
 *   const hosts = await warpgrid.fs.readFile('/etc/hosts', 'utf8');
 *
 * Importing the SDK also defines `process.env` from the WASI environment and makes the
 * global `fetch` reach other services of the deployment (`http://users.t6.warp.local/...`)
 * through the host (./fetch.ts).
 * Host calls are not allowed in module top-level code (it runs at build time
 * under Wizer): call these from request handlers.
 */
import * as database from './database.js';
import * as dns from './dns.js';
import * as fs from './fs.js';
import { environment, installProcessEnv } from './env.js';
import { installFetch, warpgridFetch } from './fetch.js';

installProcessEnv();
installFetch();

export const warpgrid = {
  database: { connect: database.connect },
  dns: { resolve: dns.resolve, lookup: dns.lookup },
  fs: { readFile: fs.readFile, readFileSync: fs.readFileSync, isVirtual: fs.isVirtual, listVirtualPaths: fs.listVirtualPaths },
  env: environment,
  fetch: warpgridFetch,
};

export { database, dns, fs, environment, installProcessEnv, installFetch, warpgridFetch };
export { WarpGridError } from './errors.js';
export { serve } from './http.js';
export type { DbConnection, ConnectConfig } from './database.js';
export default warpgrid;
