/**
 * The library-level offload pipeline of one VM port towards one underlay
 * port: guest offload metadata (virtio_net_hdr) -> MTU check on the inner
 * packet (drop + ICMP frag-needed / Packet Too Big to the guest, or
 * fragmentation) -> software GSO (vRouter shrinks gso_size so segment +
 * encap fits the underlay; or the NIC segments, for `linux` / `ovs` with
 * `tso`) -> optional tunnel encap (src/tunnel) -> NIC model (hwCsum completes
 * partial checksums; named faults, each faulted frame reported) -> wire
 * frames. The MTU is the port's IP MTU or its frame-size limit minus the
 * outer L2 header (a VLAN-tagged underlay counts the tag against a frame
 * limit, not against the IP MTU). The replay / topology layer calls this;
 * the work happens in the native ops.
 */
import { PacketBatch } from '../datapath/batch.js';
import { PacketFlag } from '../datapath/batch-layout.js';
import { createParser } from '../packet/parse.js';
import { encapBatch, tunnelOverhead, resolveTunnel, type TunnelSpec } from '../tunnel/index.js';
import {
  applyVirtioNetHdr,
  completeChecksums,
  type CsumEngineName,
  dropName,
  fragmentIpv4,
  gsoBatch,
  icmpErrorAllowed,
  icmpFragNeeded,
  icmpv6PacketTooBig,
  mtuCheck,
  type GsoProfileName,
} from './ops.js';

export type OffloadProfile = 'linux' | 'ovs' | 'vrouter';
/** Modelled NIC faults (native/csum_complete.h): see CsumEngineName. */
export type NicFault = 'bad-hw-csum' | 'nested-mplsogre-csum' | 'vxlan-vlan-gso';

export interface NicModel {
  /** IP MTU of the underlay port. */
  ipMtu: number;
  /** Frame-size limit (e.g. 1514, or 1518 with a VLAN tag); 0 = IP MTU only. */
  frameLimit?: number;
  /** NETIF_F_HW_CSUM: the NIC completes partial checksums. */
  hwCsum: boolean;
  /**
   * The NIC segments (TSO, tunnel TSO) what the host hands it. Host traffic
   * only: the `vrouter` profile always segments in software and ignores it.
   */
  tso?: boolean;
  /** Faults of this NIC; when several could apply to a packet the first listed wins. */
  faults?: NicFault[];
}

export interface PipelineConfig {
  profile: OffloadProfile;
  nic: NicModel;
  tunnel?: TunnelSpec;
  /** Where ICMP errors come from (vRouter: the VRF gateway). */
  gateway: { mac: Uint8Array; ip4: Uint8Array; ip6: Uint8Array };
}

export interface PipelineInput {
  frame: Uint8Array;
  /** virtio_net_hdr bytes (10) or nothing (a plain frame with complete checksums). */
  vnetHdr?: Uint8Array;
}

export interface PipelineResult {
  /** Frames on the underlay wire, in order. */
  wire: Uint8Array[];
  /** Frames sent back to the guest (ICMP errors). */
  toGuest: Uint8Array[];
  /** Dropped inputs with the stable reason name. */
  drops: { input: number; reason: string }[];
  /** Indexes into `wire` of frames a modelled fault touched. */
  faulted: number[];
  /** The same frames with the fault that touched each. */
  faults: { wire: number; fault: NicFault }[];
  /** The inner IP MTU the pipeline enforced (ICMP errors carry it). */
  innerMtu: number;
}

function batchFor(frames: Uint8Array[]): PacketBatch {
  const bytes = frames.reduce((n, f) => n + f.length + 256, 0);
  return PacketBatch.create({ capacity: Math.max(1, frames.length), dataSize: bytes + 4096, headroom: 192 });
}

function copyOut(b: PacketBatch): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.count; i++) if (b.drop[i] === 0) out.push(Uint8Array.from(b.packet(i)));
  return out;
}

/** Bytes a tunnel adds against the underlay IP MTU (SEMANTICS.md table): outer IP, UDP/GRE, tunnel header, inner Ethernet for L2 payloads. */
export function ipOverhead(spec: TunnelSpec): number {
  const t = resolveTunnel(spec);
  const l2 = t.type === 'vxlan' || t.payload === 'ethernet' ? 14 : 0;
  return tunnelOverhead(t) - (14 + (t.vlan ? 4 : 0)) + l2;
}

/**
 * The inner IP MTU of a port: its IP MTU, or its frame limit minus the outer
 * L2 header (14, + 4 per VLAN tag) when that is smaller, minus the tunnel's
 * IP overhead. `l2` is the L2 length of a packet leaving without a tunnel.
 */
export function innerIpMtu(nic: NicModel, tunnel: TunnelSpec | undefined, l2 = 14): number {
  const outerL2 = tunnel ? 14 + (resolveTunnel(tunnel).vlan ? 4 : 0) : l2;
  const ipLimit = nic.frameLimit ? Math.min(nic.ipMtu, nic.frameLimit - outerL2) : nic.ipMtu;
  return ipLimit - (tunnel ? ipOverhead(tunnel) : 0);
}

/** The checksum engine of the NIC for this packet kind (first listed fault that models this path). */
function nicEngine(nic: NicModel, nicSegmented: boolean): { engine: CsumEngineName; fault?: NicFault } {
  for (const f of nic.faults ?? []) {
    if (f === 'vxlan-vlan-gso' && nicSegmented) return { engine: f, fault: f };
    if ((f === 'bad-hw-csum' || f === 'nested-mplsogre-csum') && (nic.hwCsum || nicSegmented)) return { engine: f, fault: f };
  }
  return { engine: 'correct' };
}

/** Runs the inputs through the pipeline. */
export function runOffloadPipeline(inputs: PipelineInput[], cfg: PipelineConfig): PipelineResult {
  const parser = createParser();
  const overhead = cfg.tunnel ? ipOverhead(cfg.tunnel) : 0;
  const res: PipelineResult = { wire: [], toGuest: [], drops: [], faulted: [], faults: [], innerMtu: innerIpMtu(cfg.nic, cfg.tunnel) };
  const gsoProfile: GsoProfileName = cfg.profile === 'ovs' ? 'ovs' : 'linux';
  for (const fault of cfg.nic.faults ?? [])
    if (fault !== 'bad-hw-csum' && fault !== 'nested-mplsogre-csum' && fault !== 'vxlan-vlan-gso')
      throw new RangeError(`expected a known NIC fault for nic.faults, received ${String(fault)}`);
  inputs.forEach((input, n) => {
    const inb = batchFor([input.frame]);
    inb.append(input.frame);
    if (input.vnetHdr) applyVirtioNetHdr(inb, 0, input.vnetHdr);
    parser.parse(inb, 1);
    if (inb.drop[0] !== 0) {
      res.drops.push({ input: n, reason: dropName(inb.drop[0]) });
      return;
    }
    const innerMtu = innerIpMtu(cfg.nic, cfg.tunnel, inb.l3[0] === 0xffff ? 14 : inb.l3[0]);
    if (innerMtu < 68) throw new RangeError(`offload pipeline: the port leaves an inner IP MTU of ${innerMtu} (< 68)`);
    // 1. MTU of the inner packet (what fits inside the tunnel).
    let gsoSize: number | undefined;
    const m = mtuCheck(inb, 0, innerMtu);
    let stage = inb;
    const isGso = inb.gsoType[0] !== 0;
    if (m.verdict !== 'fits') {
      if (isGso && cfg.profile === 'vrouter') {
        // vRouter: shrink gso_size so that each segment + encap fits the underlay.
        gsoSize = inb.gsoSize[0] - (m.ipLength - innerMtu);
        if (gsoSize < 1) {
          res.drops.push({ input: n, reason: 'gso_size_too_small' });
          return;
        }
      } else if (m.verdict === 'fragment' && cfg.profile !== 'ovs') {
        const fr = batchFor([input.frame, input.frame]);
        const r = fragmentIpv4(inb, 0, innerMtu, fr);
        if (r.drop !== 'none') {
          res.drops.push({ input: n, reason: r.drop });
          return;
        }
        parser.parse(fr, 1);
        stage = fr;
      } else {
        const reason = m.verdict === 'too-big-v6' ? 'mtu_exceeded_ipv6' : m.verdict === 'too-big-df' ? 'mtu_exceeded_df' : 'mtu_exceeded_no_frag';
        res.drops.push({ input: n, reason });
        if (cfg.profile !== 'ovs' && icmpErrorAllowed(inb, 0)) {
          const back = batchFor([input.frame]);
          const opts = { srcMac: cfg.gateway.mac, srcIp: m.verdict === 'too-big-v6' ? cfg.gateway.ip6 : cfg.gateway.ip4 };
          if (m.verdict === 'too-big-v6') icmpv6PacketTooBig(inb, 0, innerMtu, opts, back);
          else if (m.verdict === 'too-big-df') icmpFragNeeded(inb, 0, innerMtu, opts, back);
          res.toGuest.push(...copyOut(back));
        }
        return;
      }
    }
    // 2. Segmentation: in software, or by the NIC (TSO; not for vRouter). The
    // NIC model produces the same segments, with its checksum engine below.
    const nicSegments = cfg.nic.tso === true && cfg.profile !== 'vrouter' && isGso;
    const leavePartial = cfg.nic.hwCsum || nicSegments;
    const seg = PacketBatch.create({ capacity: 1024, dataSize: 4 << 20, headroom: 192 });
    const g = gsoBatch(stage, seg, { profile: gsoProfile, partialCsum: leavePartial, ...(gsoSize ? { gsoSize } : {}) });
    if (g.outputFull) throw new RangeError('offload pipeline: more than 1024 segments for one input');
    for (let i = 0; i < stage.count; i++) if (stage.drop[i] !== 0) res.drops.push({ input: n, reason: dropName(stage.drop[i]) });
    const nicSegmented = nicSegments && seg.count > 1;
    // 3. Encap. A computed outer UDP checksum needs complete inner checksums first.
    if (cfg.tunnel) {
      if (cfg.tunnel.udpChecksum === 'compute' || !leavePartial) completeChecksums(seg);
      encapBatch(seg, cfg.tunnel);
      // Re-parse (the NIC model's faults look at the tunnel), keeping encap's drops.
      const dropped = Array.from(seg.drop.subarray(0, seg.count));
      parser.parse(seg, 1);
      dropped.forEach((d, i) => {
        if (d !== 0) seg.drop[i] = d;
      });
    }
    // 4. NIC model: partial checksums completed in software (no HW_CSUM) or by the NIC (faults apply).
    const { engine, fault } = nicEngine(cfg.nic, nicSegmented);
    completeChecksums(seg, { engine });
    for (let i = 0; i < seg.count; i++) {
      if (seg.drop[i] !== 0) {
        res.drops.push({ input: n, reason: dropName(seg.drop[i]) });
        continue;
      }
      if ((seg.flags[i] & PacketFlag.FAULT) !== 0 && fault) {
        res.faulted.push(res.wire.length);
        res.faults.push({ wire: res.wire.length, fault });
      }
      res.wire.push(Uint8Array.from(seg.packet(i)));
    }
  });
  return res;
}
