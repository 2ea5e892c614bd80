/** `warpgrid.fs`: read-only virtual files served by the host (/etc/hosts, /etc/resolv.conf, zoneinfo, ...). */
import * as vfs from 'warpgrid:shim/filesystem@0.1.0';
import { WarpGridError } from './errors.js';

export function readFileSync(path: string): Uint8Array;
export function readFileSync(path: string, encoding: 'utf8' | 'utf-8'): string;
export function readFileSync(path: string, encoding?: 'utf8' | 'utf-8'): Uint8Array | string {
  const data = vfs.readVirtual(path);
  if (data === undefined) {
    throw new WarpGridError(`ENOENT: ${path} is not a virtual file (see warpgrid.fs.listVirtualPaths())`, 'ENOENT');
  }
  return encoding ? new TextDecoder().decode(data) : data;
}

export async function readFile(path: string): Promise<Uint8Array>;
export async function readFile(path: string, encoding: 'utf8' | 'utf-8'): Promise<string>;
export async function readFile(path: string, encoding?: 'utf8' | 'utf-8'): Promise<Uint8Array | string> {
  return encoding ? readFileSync(path, encoding) : readFileSync(path);
}

export function isVirtual(path: string): boolean {
  return vfs.isVirtual(path);
}

export function listVirtualPaths(): string[] {
  return vfs.listVirtualPaths();
}
