/**
 * The library-level offload pipeline of one VM port towards one underlay
 * port: guest offload metadata (virtio_net_hdr) -> MTU check on the inner
 * packet (drop + ICMP frag-needed / Packet Too Big to the guest, or
 * fragmentation) -> software GSO (vRouter shrinks gso_size so segment +
 * encap fits the underlay) -> optional tunnel encap (src/tunnel) -> NIC model
 * (hwCsum completes partial checksums, faults) -> wire frames. The replay /
 * topology layer calls this; the work happens in the native ops.
 */
import { PacketBatch } from '../datapath/batch.js';
import { PacketFlag } from '../datapath/batch-layout.js';
import { createParser } from '../packet/parse.js';
import { encapBatch, tunnelOverhead, resolveTunnel, type TunnelSpec } from '../tunnel/index.js';
import {
  applyVirtioNetHdr,
  completeChecksums,
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
export type NicFault = 'bad-hw-csum';

export interface NicModel {
  /** IP MTU of the underlay port. */
  ipMtu: number;
  /** Frame-size limit (e.g. 1518, 1522 with a VLAN tag); 0 = IP MTU only. */
  frameLimit?: number;
  /** NETIF_F_HW_CSUM: the NIC completes partial checksums. */
  hwCsum: boolean;
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

/** Runs the inputs through the pipeline. */
export function runOffloadPipeline(inputs: PipelineInput[], cfg: PipelineConfig): PipelineResult {
  const parser = createParser();
  const res: PipelineResult = { wire: [], toGuest: [], drops: [], faulted: [] };
  const overhead = cfg.tunnel ? ipOverhead(cfg.tunnel) : 0;
  const innerMtu = cfg.nic.ipMtu - overhead;
  const gsoProfile: GsoProfileName = cfg.profile === 'ovs' ? 'ovs' : 'linux';
  inputs.forEach((input, n) => {
    const inb = batchFor([input.frame]);
    inb.append(input.frame);
    if (input.vnetHdr) applyVirtioNetHdr(inb, 0, input.vnetHdr);
    parser.parse(inb, 1);
    // 1. MTU of the inner packet (what fits inside the tunnel).
    let gsoSize: number | undefined;
    const m = mtuCheck(inb, 0, innerMtu);
    let stage = inb;
    if (m.verdict !== 'fits') {
      const isGso = inb.gsoType[0] !== 0;
      if (isGso && cfg.profile === 'vrouter') {
        // vRouter: shrink gso_size so that each segment + encap fits the underlay.
        gsoSize = inb.gsoSize[0] - (m.ipLength - innerMtu);
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
    // 2. Software GSO (checksums left partial only when the NIC completes them and no tunnel checksum needs them).
    const seg = PacketBatch.create({ capacity: 1024, dataSize: 4 << 20, headroom: 192 });
    const g = gsoBatch(stage, seg, { profile: gsoProfile, partialCsum: cfg.nic.hwCsum, ...(gsoSize ? { gsoSize } : {}) });
    if (g.outputFull) throw new RangeError('offload pipeline: more than 1024 segments for one input');
    for (let i = 0; i < stage.count; i++) if (stage.drop[i] !== 0) res.drops.push({ input: n, reason: dropName(stage.drop[i]) });
    // 3. Encap. A computed outer UDP checksum needs complete inner checksums first.
    if (cfg.tunnel) {
      if (cfg.tunnel.udpChecksum === 'compute' || !cfg.nic.hwCsum) completeChecksums(seg);
      encapBatch(seg, cfg.tunnel);
    }
    // 4. NIC model: partial checksums completed in software (no HW_CSUM) or by the NIC (faults apply).
    const faulty = cfg.nic.hwCsum && (cfg.nic.faults ?? []).includes('bad-hw-csum');
    completeChecksums(seg, { engine: faulty ? 'bad-hw-csum' : 'correct' });
    for (let i = 0; i < seg.count; i++) {
      if (seg.drop[i] !== 0) {
        res.drops.push({ input: n, reason: dropName(seg.drop[i]) });
        continue;
      }
      if ((seg.flags[i] & PacketFlag.FAULT) !== 0) res.faulted.push(res.wire.length);
      res.wire.push(Uint8Array.from(seg.packet(i)));
    }
  });
  return res;
}

