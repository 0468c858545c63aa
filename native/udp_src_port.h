// UDP source port entropy for UDP tunnels (RFC 7348 section 5, RFC 7510
// section 3): a hash of the inner flow mapped into a port range.
#pragma once
#include <cstdint>

namespace vs {

// Maps a flow hash into [min, max) as Linux udp_flow_src_port and OVS
// netdev_tnl_get_src_port do: min + ((uint64)hash * (max - min) >> 32).
// `fold` first mixes the low half into the high one (hash ^= hash << 16), as
// Linux does before putting a hash on the wire. min >= max pins the port to
// min (deterministic outputs, OVS tnl/egress_port_range with one port).
// Profiles (src/tunnel/udp-src-port.ts): linux [32768, 61000) folded,
// ovs [32768, 61000), vrouter [49152, 65535) = 49152 + (hash * 16383 >> 32).
inline uint16_t udp_src_port(uint32_t hash, uint16_t min, uint16_t max, bool fold) {
  if (min >= max) return min;
  if (fold) hash ^= hash << 16;
  return uint16_t(min + ((uint64_t(hash) * uint32_t(max - min)) >> 32));
}

}  // namespace vs
