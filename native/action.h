// Datapath action programs: the compact, versioned encoding the slow path
// (src/datapath/actions.ts compiles it) hands to the fast path, and the
// executor that runs one on a packet.
//
// Program (numbers little-endian, addresses and MACs in wire order):
//   u8 version (kActionVersion) | u8 reserved (0) | u16 action count
//   then `count` actions, each: u8 op | u8 reserved (0) | u16 arg length | args
// Ops and their arguments (append only; values are part of the TS contract):
//   OUTPUT       u32 port                      emit a copy of the packet to port
//   PUSH_VLAN    u16 tpid, u16 tci             new outer tag (tci: pcp<<13|vid)
//   POP_VLAN     -                             remove the outer tag (no-op if none)
//   SET_ETH_SRC  6 bytes / SET_ETH_DST 6 bytes
//   SET_IPV4_SRC 4 / SET_IPV4_DST 4            + IPv4 header and L4 checksum updates
//   SET_IPV6_SRC 16 / SET_IPV6_DST 16          + L4 checksum updates (TCP, UDP, ICMPv6)
//   SET_TP_SRC   u8 proto, u8 0, u16 port      TCP/UDP port when the L4 is `proto`
//   SET_TP_DST   u8 proto, u8 0, u16 port
//   SET_TTL      u8 ttl                        IPv4 TTL (+ checksum) or IPv6 hop limit
//   SET_DSCP     u8 dscp                       DSCP bits of TOS / traffic class, ECN kept
//   CLONE        a nested program              run it on a copy; the packet goes on unchanged
//   DROP         u16 DropReason                stop; the packet is dropped for that reason
//   USERSPACE    u32 cookie                    report the packet to the slow path (explain)
//   TNL_PUSH     u32 tunnel port, TunnelTemplate (128 bytes)   encapsulate (tunnel_types.h)
//   TNL_POP      u32 tunnel port, serialized TunnelReceiver (tunnel_receiver.h, >= 32 bytes)
//                                              decapsulate (tunnel_decap_packet): the
//                                              packet becomes the inner frame, flow key
//                                              tun_* set; a decap drop stops the program
//   RECIRC       u32 recirc id                 hand the packet as it is to the recirculation
//                                              batch with key.recirc_id = id, and stop (it is
//                                              re-parsed and looked up again, as OVS recirc());
//                                              beyond kMaxRecircDepth passes (or without a
//                                              recirculation batch): RECIRCULATION_TOO_DEEP
//   CHECK_MTU    36 bytes (action_offload.h)   MTU check: goes on, shrinks gso_size (vrouter),
//                                              fragments (the rest runs per fragment), or drops
//                                              (+ ICMP error to the in-port per profile)
//   GSO          u8 GsoProfile, u8 0           software GSO; the rest of the program runs on
//                                              every segment (action_offload.h)
//   CSUM_COMPLETE u8 CsumEngine, u8 0          complete a partial L4 checksum (fault engines
//                                              set FLAG_FAULT)
// Segmenting actions (CHECK_MTU, GSO) may follow each other at most
// kMaxSegmentDepth times along any path of a program.
// Checksum updates follow RFC 1624; a UDP checksum of 0 (none) stays 0 and a
// computed 0 is written 0xFFFF; a partial checksum (FLAG_L4_CSUM_PARTIAL or
// FLAG_NEEDS_CSUM) holds the pseudo-header sum and is updated as one.
//
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "action_offload.h"
#include "action_tnl.h"
#include "batch.h"
#include "bytes.h"
#include "status.h"

namespace vs {

constexpr uint8_t kActionVersion = 1;
constexpr uint32_t kMaxCloneDepth = 4;     // nested clone() levels a program may use
constexpr uint32_t kMaxActionCount = 1024;  // actions per program (any level)
constexpr uint32_t kMaxRecircDepth = 6;     // recirculations per input packet (OVS MAX_RECIRC_DEPTH)
constexpr uint32_t kMaxSegmentDepth = 2;    // CHECK_MTU / GSO actions along one path of a program

#define VS_ACTION_OPS(X) \
  X(OUTPUT, 1)           \
  X(PUSH_VLAN, 2)        \
  X(POP_VLAN, 3)         \
  X(SET_ETH_SRC, 4)      \
  X(SET_ETH_DST, 5)      \
  X(SET_IPV4_SRC, 6)     \
  X(SET_IPV4_DST, 7)     \
  X(SET_IPV6_SRC, 8)     \
  X(SET_IPV6_DST, 9)     \
  X(SET_TP_SRC, 10)      \
  X(SET_TP_DST, 11)      \
  X(SET_TTL, 12)         \
  X(SET_DSCP, 13)        \
  X(CLONE, 14)           \
  X(DROP, 15)            \
  X(USERSPACE, 16)       \
  X(TNL_PUSH, 17)        \
  X(TNL_POP, 18)         \
  X(RECIRC, 19)          \
  X(CHECK_MTU, 20)       \
  X(GSO, 21)             \
  X(CSUM_COMPLETE, 22)

enum class ActionOp : uint8_t {
#define X(name, value) name = value,
  VS_ACTION_OPS(X)
#undef X
};

// Checks a whole program: version, reserved bytes, count, every length, the
// argument size of each op, nested clones (depth <= kMaxCloneDepth), drop
// reasons in range and tunnel templates (tunnel_template_load). The executor
// runs only programs that passed.
Status action_program_validate(ByteView prog);

// The commonest fast-path program, tnl_push(...) then output(port) (nothing
// else), decoded once when its flow is installed so that it runs without the
// action loop or a per-packet template check (ActionExecutor::execute_tnl_output).
struct TnlOutputProgram {
  TnlPushArg push;
  uint32_t out_port = 0;
};
// True, with *out filled, when validated `prog` is exactly TNL_PUSH, OUTPUT,
// or a CLONE holding exactly those as its only action (OVS's tunnel output:
// the same results, a failed push's reason included, see run()).
bool tnl_output_program(ByteView prog, TnlOutputProgram* out);

// What executing one program on one packet did.
struct ExecResult {
  uint32_t outputs = 0;   // packets appended to the output batch
  uint16_t drop = 0;      // DropReason when outputs == 0 (drop() or NO_OUTPUT_ACTION), else 0
  uint32_t userspace = 0; // userspace() actions executed
  uint32_t last_cookie = 0;
  uint32_t recirc = 0;    // packets appended to the recirculation batch
  uint32_t errors = 0;    // ICMP errors (CHECK_MTU) appended to the output batch, not in `outputs`
};

// Runs programs on packets. Owns a scratch batch for the working copy (and
// clone copies) of the packet, so the input batch is never modified.
class ActionExecutor {
 public:
  ActionExecutor();
  ActionExecutor(const ActionExecutor&) = delete;
  ActionExecutor& operator=(const ActionExecutor&) = delete;

  // Executes validated `prog` on packet i of `in`. Every OUTPUT appends the
  // packet as it is at that point to `out` (in action order) with NEXT = port
  // and the input's timestamps, IN_PORT, HASH, FLAGS and layer columns.
  // Returns OUTPUT_FULL when `out` has no room: `out` is then exactly as before
  // the call (count and data area rolled back). BAD_BATCH for an invalid
  // input packet. ICMP errors of CHECK_MTU are appended to `out` too (NEXT =
  // the in-port; counted in `errors`, the drop reason kept). `userspace` (optional) collects the cookies of USERSPACE.
  // RECIRC appends to `recirc` (null: RECIRC drops as too deep) when `depth`
  // (the recirculations the packet went through) < kMaxRecircDepth; it is
  // rolled back with `out` on OUTPUT_FULL (also returned when `recirc` is full).
  Status execute(const Batch& in, uint32_t i, ByteView prog, const Batch& out, ExecResult* res,
                 std::vector<uint32_t>* userspace = nullptr, const Batch* recirc = nullptr, uint32_t depth = 0);

  // Runs a program for which single_output() holds on packet i of `in` itself
  // (no copy): the packet grows into its own headroom and its final OUTPUT
  // sets NEXT = port and DROP = 0 in `in`. NO_HEADROOM (nothing done) when
  // the packet's headroom is below `growth`; BAD_BATCH for an invalid packet.
  // A drop (res->drop) may leave the bytes partly rewritten: the packet is
  // dropped anyway.
  Status execute_in_place(const Batch& in, uint32_t i, ByteView prog, uint32_t growth, ExecResult* res);

  // execute_in_place() of a program decoded by tnl_output_program, with the
  // same results and state (outer IPv4 ID counters); `enc` is of `in`.
  Status execute_tnl_output(const Batch& in, const TunnelEncapBatch& enc, uint32_t i, const TnlOutputProgram& prog,
                            uint32_t growth, ExecResult* res);

  // True when the program has no userspace(), no clone() except as its last
  // action (run on the packet itself, as OVS's odp_execute_clone does when it
  // may steal the packet) and a single OUTPUT as its last action; *growth =
  // the most bytes its pushes add. Such a program runs on the packet's copy in the output batch itself (one copy
  // instead of two) when the output batch's headroom covers the growth.
  static bool single_output(ByteView prog, uint32_t* growth);

  // Copies packet i of `src` (bytes, columns, flow key) to the end of `dst`
  // with dst's headroom/tailroom; returns its index via *index.
  static Status copy_packet(const Batch& src, uint32_t i, const Batch& dst, uint32_t* index);

 private:
  // Runs `count` actions starting at `acts` (past a program header) on packet w of work.
  Status run(Batch& work, const uint8_t* acts, uint32_t count, uint32_t w, uint32_t depth, const Batch& out,
             bool direct, ExecResult* res, std::vector<uint32_t>* userspace, bool* stop);
  // Runs the rest of a program on every packet of segs_[level] (after CHECK_MTU / GSO split one).
  Status run_segments(const uint8_t* acts, uint32_t count, uint32_t depth, const Batch& out, ExecResult* res,
                      std::vector<uint32_t>* userspace);

  std::vector<uint64_t> scratch_mem_;
  Batch scratch_;
  TunnelPushState tunnels_;
  SegmentBatch segs_[kMaxSegmentDepth];
  uint32_t seg_level_ = 0;  // segment batches in use on the current path
  const Batch* recirc_ = nullptr;  // during execute()
  uint32_t depth_ = 0;
};

}  // namespace vs
