// Receive-side scaling: the Toeplitz hash of the Microsoft RSS specification
// ("Verifying the RSS hash calculation"), as NICs compute it to pick an rx
// queue. Input byte order is the packet's: source address, destination
// address, then source port and destination port for TCP and UDP (the
// "5-tuple"); the addresses alone (the "2-tuple") for other IP protocols and
// for every IP fragment, so all fragments of a datagram land on one queue.
// Non-IP packets get hash 0 (a NIC computes no hash and uses queue 0).
//
// Does not: hash IPv6 extension-header addresses (the optional *_EX types),
// or SCTP ports.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "batch.h"
#include "bytes.h"
#include "flow_key.h"

namespace vs {

constexpr size_t kRssKeySize = 40;
// The 40-byte key published with the Microsoft RSS specification (the
// default of most NIC drivers and of DPDK test suites).
extern const uint8_t kMsRssKey[kRssKeySize];

// Longest input the 40-byte key covers: IPv6 addresses and ports.
constexpr size_t kRssMaxInput = kRssKeySize - 4;

// Bit-by-bit Toeplitz hash of `len` bytes with `key` (key_len >= len + 4).
// Returns 0 when the key is too short. Reference implementation: slow.
uint32_t toeplitz_hash(const uint8_t* key, size_t key_len, const uint8_t* input, size_t len);

// Toeplitz with a per-key lookup table (one 256-entry table per input byte):
// the same values as toeplitz_hash, fast enough for every packet.
class RssHasher {
 public:
  explicit RssHasher(const uint8_t* key = kMsRssKey);
  uint32_t hash(const uint8_t* input, size_t len) const;  // len <= kRssMaxInput
  // hash() of the IPv4 5-tuple input: 8 address bytes then 4 port bytes, wherever they are.
  uint32_t hash_v4_ports(const uint8_t* addrs, const uint8_t* ports) const {
    uint32_t h = 0;
    for (size_t b = 0; b < 8; b++) h ^= table_[b][addrs[b]];
    for (size_t b = 0; b < 4; b++) h ^= table_[8 + b][ports[b]];
    return h;
  }

  // Hash of the outermost packet from its flow key (nw_src/nw_dst, tp_src/tp_dst).
  uint32_t hash_key(const FlowKey& key) const;
  // Hash from the IP header at l3 and the L4 header at l4 of a packet (l4 may be
  // kAbsent). Used for inner headers; reads only bytes inside `pkt`.
  uint32_t hash_headers(ByteView pkt, uint16_t l3, uint16_t l4) const;

 private:
  uint32_t table_[kRssMaxInput][256];
};

// Process-wide hasher with kMsRssKey.
const RssHasher& ms_rss_hasher();

// Which headers the hash covers.
enum class RssLayer : uint32_t {
  OUTER = 0,  // the flow key (outermost packet)
  INNER = 1,  // INNER_L3/INNER_L4 when present, else the outer headers
};

// The layer per in_port: `ports` overrides `fallback` for the ports it lists
// (RSS settings per port, as each NIC port has its own hash fields).
struct RssPortLayers {
  RssLayer fallback = RssLayer::OUTER;
  std::vector<std::pair<uint32_t, RssLayer>> ports;
  RssLayer of(uint32_t in_port) const {
    for (const auto& p : ports)
      if (p.first == in_port) return p.second;
    return fallback;
  }
};

// The hash rss_hash_batch gives packet i (OUTER or INNER), from its parsed
// columns and key.
uint32_t rss_hash_packet(const Batch& batch, uint32_t i, RssLayer layer, const RssHasher& hasher = ms_rss_hasher());

// The receive side's hash straight from the bytes, without parsing, for the
// frames the parser's short path takes (Ethernet, at most one 802.1Q tag,
// IPv4 without options or fragmentation / IPv6 without extension headers,
// TCP or UDP to a port that is no tunnel, lengths consistent, whole frame
// captured): then *hash = what rss_hash_packet gives after parse_batch, for
// either layer (such frames have no inner headers), and true. False for any
// other frame (the caller parses it). `wire` is the packet's wire length;
// tunnel ports are ParseOptions' defaults.
bool rss_hash_frame(ByteView pkt, uint32_t wire, uint32_t* hash, const RssHasher& hasher = ms_rss_hasher());

// Writes COL_HASH for every packet of the batch. OUTER reads each packet's
// flow key, so the batch must be parsed (FLAG_PARSED); unparsed packets hash
// from their L3/L4 columns instead.
void rss_hash_batch(const Batch& batch, RssLayer layer, const RssHasher& hasher = ms_rss_hasher());
// The same with each packet's layer chosen by its COL_IN_PORT.
void rss_hash_batch(const Batch& batch, const RssPortLayers& layers, const RssHasher& hasher = ms_rss_hasher());

}  // namespace vs
