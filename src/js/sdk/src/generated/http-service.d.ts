/// <reference path="./interfaces/warpgrid-shim-database-proxy.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-dns.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-filesystem.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-http-body.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-http-client.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-http-handler.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-signals.d.ts" />
/// <reference path="./interfaces/warpgrid-shim-threading.d.ts" />
/// <reference path="./interfaces/wasi-cli-environment.d.ts" />
declare module 'warpgrid:shim/http-service@0.1.0' {
  export type * as WarpgridShimDatabaseProxy010 from 'warpgrid:shim/database-proxy@0.1.0'; // import warpgrid:shim/database-proxy@0.1.0
  export type * as WarpgridShimDns010 from 'warpgrid:shim/dns@0.1.0'; // import warpgrid:shim/dns@0.1.0
  export type * as WarpgridShimFilesystem010 from 'warpgrid:shim/filesystem@0.1.0'; // import warpgrid:shim/filesystem@0.1.0
  export type * as WarpgridShimHttpBody010 from 'warpgrid:shim/http-body@0.1.0'; // import warpgrid:shim/http-body@0.1.0
  export type * as WarpgridShimHttpClient010 from 'warpgrid:shim/http-client@0.1.0'; // import warpgrid:shim/http-client@0.1.0
  export type * as WarpgridShimSignals010 from 'warpgrid:shim/signals@0.1.0'; // import warpgrid:shim/signals@0.1.0
  export type * as WarpgridShimThreading010 from 'warpgrid:shim/threading@0.1.0'; // import warpgrid:shim/threading@0.1.0
  export type * as WasiCliEnvironment0212 from 'wasi:cli/environment@0.2.12'; // import wasi:cli/environment@0.2.12
  export * as httpHandler from 'warpgrid:shim/http-handler@0.1.0'; // export warpgrid:shim/http-handler@0.1.0
}
