/**
 * The Internet checksum (RFC 1071) over byte ranges, for the TypeScript
 * places that build or patch small headers (the native core has its own in
 * native/csum.h for packets in batches).
 */

/** The 16-bit one's-complement sum of bytes [start, end) added to `initial` (an odd last byte is padded with zero). */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let acc = initial;
  for (let k = start; k < end; k += 2) acc += (bytes[k] << 8) | (k + 1 < end ? bytes[k + 1] : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** The checksum field value for bytes [start, end) (the field itself must be zero in the range). */
export function inetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesSum(bytes, start, end, initial) & 0xffff;
}
