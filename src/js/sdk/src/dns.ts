/** `warpgrid.dns`: name resolution through the host (service registry, hosts overrides, system DNS). */
import * as dnsShim from 'warpgrid:shim/dns@0.1.0';
import { WarpGridError, witErrorCase } from './errors.js';
import { formatAddress } from './net.js';

export { formatAddress };

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** All addresses of `hostname` with their family; throws WarpGridError (`not-found`, `timeout`, `internal`). */
export function lookup(hostname: string): ResolvedAddress[] {
  let addrs: dnsShim.IpAddress[];
  try {
    addrs = dnsShim.resolve(hostname);
  } catch (err) {
    const code = witErrorCase(err);
    throw new WarpGridError(`dns.resolve ${hostname}: ${code}`, code);
  }
  return addrs.map((a) => ({ address: formatAddress(a.octets, a.isV6), family: a.isV6 ? 6 : 4 }));
}

/** Address strings of `hostname`, like node's `dns.promises.resolve` (both families). */
export async function resolve(hostname: string): Promise<string[]> {
  return lookup(hostname).map((a) => a.address);
}
