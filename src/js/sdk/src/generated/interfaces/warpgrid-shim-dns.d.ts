declare module 'warpgrid:shim/dns@0.1.0' {
  /**
   * All addresses of `hostname`, rotated round-robin between calls.
   */
  export function resolve(hostname: string): Array<IpAddress>;
  export interface IpAddress {
    /**
     * 4 bytes for IPv4, 16 for IPv6, network order.
     */
    octets: Uint8Array,
    isV6: boolean,
  }
  /**
   * # Variants
   * 
   * ## `"not-found"`
   * 
   * ## `"timeout"`
   * 
   * ## `"internal"`
   */
  export type DnsError = 'not-found' | 'timeout' | 'internal';
}
