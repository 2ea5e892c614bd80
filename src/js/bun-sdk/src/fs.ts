/**
 * Read-only files: the real file system natively; the host's virtual files in a component
 * (/etc/hosts, /etc/resolv.conf, zoneinfo, and `[filesystem] files` from warp.toml).
 */
import { backend } from './backend.ts';

export function readFile(path: string): Promise<Uint8Array>;
export function readFile(path: string, encoding: 'utf8' | 'utf-8'): Promise<string>;
export async function readFile(path: string, encoding?: 'utf8' | 'utf-8'): Promise<Uint8Array | string> {
  const bytes = await backend().readFile(path);
  return encoding ? new TextDecoder().decode(bytes) : bytes;
}

export function exists(path: string): Promise<boolean> {
  return backend().exists(path);
}
