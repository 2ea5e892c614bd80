declare module 'warpgrid:shim/filesystem@0.1.0' {
  /**
   * The whole content of a virtual file, or none when `path` is not virtual
   * (the guest then falls through to ordinary WASI files).
   */
  export function readVirtual(path: string): Uint8Array | undefined;
  /**
   * Whether `path` names a virtual file.
   */
  export function isVirtual(path: string): boolean;
  /**
   * Every virtual path (zoneinfo is listed as its directory prefix).
   */
  export function listVirtualPaths(): Array<string>;
}
