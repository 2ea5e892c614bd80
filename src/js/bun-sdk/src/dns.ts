/**
 * Name resolution: Bun's resolver natively; the host's DNS shim in a component (service
 * registry `<name>.<namespace>.warp.local`, hosts overrides, then the system resolver).
 */
import { backend } from './backend.ts';
import type { ResolvedAddress } from './types.ts';

export type { ResolvedAddress };

/** Every address of `hostname` with its family. */
export function lookup(hostname: string): Promise<ResolvedAddress[]> {
  return backend().lookup(hostname);
}

/** Address strings of `hostname` (both families), like node's `dns.promises.resolve`. */
export async function resolve(hostname: string): Promise<string[]> {
  return (await lookup(hostname)).map((a) => a.address);
}
