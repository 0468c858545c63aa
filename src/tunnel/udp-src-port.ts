/**
 * UDP source port ranges for UDP tunnels (native/udp_src_port.h does the
 * per-packet mapping: min + (hash * (max - min) >> 32), result in [min, max);
 * min === max pins the port).
 */

/** A named range: the system whose choice it reproduces. */
export type SrcPortProfile = 'linux' | 'ovs' | 'vrouter';

export interface SrcPortRange {
  min: number;
  /** Exclusive upper bound, unless equal to min (then the port is pinned). */
  max: number;
  /** Linux mixes the hash (hash ^= hash << 16) before mapping it. */
  fold: boolean;
}

/**
 * linux: udp_flow_src_port over the default ip_local_port_range 32768-60999
 * (max + 1 as the kernel passes it), folded hash. ovs: netdev-native-tnl
 * defaults 32768-61000. vrouter: 49152 + (hash * 16383 >> 32).
 */
export const SRC_PORT_PROFILES: Readonly<Record<SrcPortProfile, SrcPortRange>> = {
  linux: { min: 32768, max: 61000, fold: true },
  ovs: { min: 32768, max: 61000, fold: false },
  vrouter: { min: 49152, max: 65535, fold: false },
};

/** The same mapping as the native core, for tests and the pure-TypeScript baseline. */
export function udpSrcPort(hash: number, range: SrcPortRange): number {
  if (range.min >= range.max) return range.min;
  let h = hash >>> 0;
  if (range.fold) h = (h ^ (h << 16)) >>> 0;
  return range.min + Number((BigInt(h) * BigInt(range.max - range.min)) >> 32n);
}
