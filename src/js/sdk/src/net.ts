/** Address formatting shared by the DNS helpers (pure, unit-tested). */

/** Formats 4 or 16 network-order octets as an IPv4 or (uncompressed-zero-run) IPv6 string. */
export function formatAddress(octets: Uint8Array, isV6: boolean): string {
  if (!isV6) return Array.from(octets).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((octets[i] << 8) | octets[i + 1]).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

