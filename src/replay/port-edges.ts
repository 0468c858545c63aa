/**
 * What happens at a host's edge ports, outside the switch: a frame a capture
 * injects at a port (a guest's tap: the guest's offloads decide what the
 * switch receives) and a frame the switch transmits on a port (a NIC: its
 * offloads and faults decide what reaches the wire; a tap: the guest's MTU
 * and offloads decide what it accepts).
 *
 * The model is OVS userspace with guest offloads negotiated (a port's
 * `offload` says what the guest and the switch agreed):
 * - Tap ingress (`offload.tx_checksum`, `offload.tso`/`gso`): the frame enters
 *   the switch as the guest handed it over (partial checksum, TSO
 *   super-frame); what its virtio_net_hdr said is inferred from the port's
 *   settings (src/offload/tap-port.ts) and travels with the packet
 *   (edge-offload-meta.ts), as OVS keeps a dp_packet's offload flags.
 * - Tap egress: a frame larger than the port's `mtu` is dropped
 *   (`port_mtu_exceeded`, OVS ovs_tx_mtu_exceeded_drops); a super-packet or
 *   partial checksum to a port without those offloads is segmented and
 *   completed in software (OVS), else handed over as it is.
 * - NIC egress (the underlay bridge's `system` port): the underlay VLAN tag
 *   is pushed (`underlay.vlan`), then super-packets are segmented (by the NIC
 *   with `offload.tso`, else in software by OVS) and partial checksums
 *   completed (by the NIC with `offload.tx_checksum` or a model that
 *   advertises HW checksum, else in software). The NIC's faults
 *   (`underlay.nic_model: bcm5719`, `underlay.nic_faults`) apply to what the
 *   NIC completes or segments; every frame a fault touched is counted under
 *   the fault's name (`counters.faults`) and goes on the wire as the NIC
 *   wrote it. Segmentation and checksums are the offload ops of src/offload.
 * - NIC ingress (a capture taken on the underlay wire): the host's VLAN tag
 *   is stripped; a frame of another VLAN is dropped (`underlay_vlan_mismatch`);
 *   a `linux` host reassembles outer fragments before the switch sees them
 *   (as the Fabric does for carried frames).
 *
 * Contract with `replay()`: `ingress()` runs on every captured frame before
 * the switch sees it, `egress()` on every frame the switch transmits, before
 * it is written to DIR/HOST-PORT.pcap and before the fabric carries it. Each
 * returns the frames to go on with (zero, one or several) and drop-reason
 * names (native/drop_reasons.def) for frames it dropped.
 */
import { PacketBatch } from '../datapath/batch.js';
import { PacketFlag } from '../datapath/batch-layout.js';
import type { Topology } from '../model/topology-schema.js';
import { completeChecksums, dropName, gsoBatch, type CsumEngineName } from '../offload/ops.js';
import type { NicFault } from '../offload/pipeline.js';
import { tapFrameOffloads } from '../offload/tap-port.js';
import { VIRTIO_NEEDS_CSUM } from '../offload/virtio-net-hdr.js';
import { createParser, type Parser } from '../packet/parse.js';
import { fingerprint, innermost, OffloadMetaTable, type OffloadMeta } from './edge-offload-meta.js';
import { ipView, outerVlan, pushVlan, stripVlan } from './fabric-frames.js';
import { HostReassembly } from './fabric-reassembly.js';
import { nicSettings, type FabricStack, type NicSettings } from './fabric-settings.js';

export interface EdgeResult {
  frames: Uint8Array[];
  drops: string[];
}

/** One edge port's settings (from the topology's port and underlay sections). */
export interface EdgePortSettings {
  kind: 'tap' | 'nic';
  /** IP MTU of the port (a tap: the guest's). */
  mtu?: number;
  /** Guest checksum offload (tap). */
  csum?: boolean;
  /** Guest TSO (tap). */
  tso?: boolean;
  /** Guest TSO segment size for super-frames without an MSS option (tap). */
  gsoSize?: number;
  /** The underlay VLAN (NIC). */
  vlan?: number;
  /** The NIC model (NIC). */
  nic?: NicSettings;
  /** Whose stack receives on the NIC: `linux` reassembles outer fragments (NIC). */
  stack?: FabricStack;
}

export interface EdgeCounters {
  /** Tap frames that entered with a partial checksum (NEEDS_CSUM). */
  guestPartialCsum: number;
  /** Tap frames that entered as TSO super-frames. */
  guestSuperFrames: number;
  /** Segments made at an edge (software GSO or NIC TSO). */
  segments: number;
  /** Partial checksums completed in software (by OVS). */
  softwareCsum: number;
  /** Partial checksums completed by a NIC. */
  nicCsum: number;
  /** Frames a NIC fault touched, by fault name. */
  faults: Record<string, number>;
  /** Frames dropped for a port MTU. */
  mtuDrops: number;
  /** Datagrams a `linux` NIC rebuilt from captured outer fragments. */
  reassembled: number;
}

function batchFor(frame: Uint8Array, segments = 1): PacketBatch {
  return PacketBatch.create({ capacity: Math.max(4, segments + 2), dataSize: frame.length + segments * 320 + 4096, headroom: 64 });
}

/** The engine a NIC completes with: its first fault that applies to this kind of packet (as the offload pipeline picks it). */
function nicEngine(nic: NicSettings, nicSegmented: boolean): { engine: CsumEngineName; fault?: NicFault } {
  for (const f of nic.faults) {
    if (f === 'vxlan-vlan-gso' && nicSegmented) return { engine: f, fault: f };
    if ((f === 'bad-hw-csum' || f === 'nested-mplsogre-csum') && (nic.hwCsum || nicSegmented)) return { engine: f, fault: f };
  }
  return { engine: 'correct' };
}

/** Edge settings of a topology's OVS hosts: every tap port (its `offload`, `mtu`) and each underlay `system` port. */
export function edgePortSettings(topo: Topology): Map<string, EdgePortSettings> {
  const ports = new Map<string, EdgePortSettings>();
  for (const h of topo.hosts) {
    if (h.kind !== 'ovs') continue;
    for (const b of h.bridges)
      for (const p of b.ports) {
        if (p.type === 'system') {
          const nic = nicSettings(topo, h.name, p.name);
          if (nic) ports.set(`${h.name}:${p.name}`, { kind: 'nic', mtu: h.underlay.mtu, nic, stack: h.underlay.stack ?? 'ovs-userspace', ...(h.underlay.vlan !== undefined ? { vlan: h.underlay.vlan } : {}) });
        } else if (p.type === 'tap') {
          const tso = (p.offload?.tso ?? false) || (p.offload?.gso ?? false);
          const csum = (p.offload?.tx_checksum ?? false) || tso;
          ports.set(`${h.name}:${p.name}`, { kind: 'tap', csum, tso, ...(p.mtu !== undefined ? { mtu: p.mtu } : {}), ...(p.gso_size !== undefined ? { gsoSize: p.gso_size } : {}) });
        }
      }
  }
  return ports;
}

export class PortEdges {
  private readonly ports: ReadonlyMap<string, EdgePortSettings>;
  private readonly meta = new OffloadMetaTable();
  private readonly parser: Parser = createParser();
  private readonly reassembly = new HostReassembly();
  private lastNs = 0;
  readonly counters: EdgeCounters = { reassembled: 0, guestPartialCsum: 0, guestSuperFrames: 0, segments: 0, softwareCsum: 0, nicCsum: 0, faults: {}, mtuDrops: 0 };

  /** True when some guest has offloads (its frames' metadata then matters at every output edge). */
  private readonly guestOffloads: boolean;

  /** `ports`: settings per `host:port`; ports not listed pass frames unchanged. */
  constructor(ports: ReadonlyMap<string, EdgePortSettings> = new Map()) {
    this.ports = ports;
    this.guestOffloads = [...ports.values()].some((s) => s.kind === 'tap' && (s.csum === true || s.tso === true));
  }

  /** True when ingress() at `host:port` always returns the frame itself, with no drop and no side effect. */
  passesIngress(host: string, port: string): boolean {
    const s = this.ports.get(`${host}:${port}`);
    return s === undefined || (s.kind === 'tap' && !s.csum && !s.tso);
  }

  /** True when egress() at `host:port` always returns the frame itself, with no drop and no side effect. */
  passesEgress(host: string, port: string): boolean {
    const s = this.ports.get(`${host}:${port}`);
    if (s === undefined) return true;
    if (this.guestOffloads) return false;
    return s.kind === 'tap' ? s.mtu === undefined : s.vlan === undefined;
  }

  /** The edges of a topology's OVS hosts (see edgePortSettings). */
  static fromTopology(topo: Topology): PortEdges {
    return new PortEdges(edgePortSettings(topo));
  }

  /**
   * A frame captured at `host:port`, entering the switch there; `nowNs` its
   * capture time (reassembly timeouts at a `linux` NIC; default: the last time given).
   */
  ingress(host: string, port: string, frame: Uint8Array, nowNs?: number): EdgeResult {
    if (nowNs !== undefined && nowNs > this.lastNs) this.lastNs = nowNs;
    const s = this.ports.get(`${host}:${port}`);
    if (s?.kind === 'nic') {
      if (outerVlan(frame) !== s.vlan) return { frames: [], drops: ['underlay_vlan_mismatch'] };
      const untagged = stripVlan(frame);
      if (s.stack !== 'linux') return { frames: [untagged], drops: [] };
      const step = this.reassembly.feed(host, untagged, this.lastNs);
      if (step.completed) this.counters.reassembled++;
      return { frames: step.frames, drops: step.drops };
    }
    if (s?.kind === 'tap' && (s.csum || s.tso)) this.noteGuestFrame(s, frame);
    return { frames: [frame], drops: [] };
  }

  /** A frame the switch transmits on `host:port`. */
  egress(host: string, port: string, frame: Uint8Array): EdgeResult {
    const s = this.ports.get(`${host}:${port}`);
    if (!s) return { frames: [frame], drops: [] };
    if (s.kind === 'nic') return this.nicEgress(s, frame);
    return this.tapEgress(s, frame);
  }

  /** Reads a guest's frame as its virtio_net_hdr would have said, and remembers it for the output edge. */
  private noteGuestFrame(s: EdgePortSettings, frame: Uint8Array): void {
    const hdr = tapFrameOffloads(frame, { csum: s.csum === true, tso: s.tso === true, mtu: s.mtu ?? 1500, ...(s.gsoSize !== undefined ? { gsoSize: s.gsoSize } : {}) });
    const needsCsum = (hdr.flags & VIRTIO_NEEDS_CSUM) !== 0;
    if (!needsCsum && hdr.gsoType === 0) return;
    if (needsCsum) this.counters.guestPartialCsum++;
    if (hdr.gsoType !== 0) this.counters.guestSuperFrames++;
    const b = this.parsed(frame);
    const key = fingerprint(b, 0);
    if (key !== undefined) this.meta.remember(key, { gsoType: hdr.gsoType, gsoSize: hdr.gsoSize, needsCsum, csumOffset: hdr.csumOffset });
  }

  private parsed(frame: Uint8Array, segments = 1): PacketBatch {
    const b = batchFor(frame, segments);
    b.append(frame);
    this.parser.parse(b, 1);
    return b;
  }

  /** Sets packet 0's offload columns from its metadata (csum_start at the innermost L4). */
  private applyMeta(b: PacketBatch, m: OffloadMeta): boolean {
    const at = innermost(b, 0);
    if (!at) return false;
    b.gsoType[0] = m.gsoType;
    b.gsoSize[0] = m.gsoSize;
    if (m.needsCsum) {
      b.flags[0] |= PacketFlag.NEEDS_CSUM;
      b.csumStart[0] = at.l4;
      b.csumOffset[0] = m.csumOffset;
    }
    return true;
  }

  private tapEgress(s: EdgePortSettings, frame: Uint8Array): EdgeResult {
    if (this.meta.size === 0 && s.mtu === undefined) return { frames: [frame], drops: [] };
    const b = this.parsed(frame);
    const m = this.meta.lookup(fingerprint(b, 0));
    const ip = ipView(frame);
    const superFrame = m !== undefined && m.gsoType !== 0;
    if (s.mtu !== undefined && ip && ip.ipLength > s.mtu && !superFrame) {
      this.counters.mtuDrops++;
      return { frames: [], drops: ['port_mtu_exceeded'] };
    }
    if (!m) return { frames: [frame], drops: [] };
    if (superFrame ? s.tso : !m.needsCsum || s.csum) return { frames: [frame], drops: [] };
    return this.resolve(frame, m, { hwCsum: false, tso: false, faults: [] });
  }

  private nicEgress(s: EdgePortSettings, frame: Uint8Array): EdgeResult {
    const wire = s.vlan !== undefined && outerVlan(frame) === undefined ? pushVlan(frame, s.vlan) : frame;
    if (this.meta.size === 0) return { frames: [wire], drops: [] };
    const b = this.parsed(wire);
    const m = this.meta.lookup(fingerprint(b, 0));
    if (!m || !s.nic) return { frames: [wire], drops: [] };
    return this.resolve(wire, m, s.nic);
  }

  /** Segments (NIC TSO or software GSO, `ovs` profile) and completes checksums (NIC engine or software). */
  private resolve(frame: Uint8Array, m: OffloadMeta, nic: NicSettings): EdgeResult {
    const res: EdgeResult = { frames: [], drops: [] };
    const segs = m.gsoType !== 0 && m.gsoSize > 0 ? Math.ceil(frame.length / m.gsoSize) + 1 : 1;
    const inb = this.parsed(frame, segs);
    if (!this.applyMeta(inb, m)) return { frames: [frame], drops: [] };
    const superFrame = m.gsoType !== 0;
    const nicSegments = superFrame && nic.tso;
    const leavePartial = nic.hwCsum || nicSegments;
    let out = inb;
    if (superFrame) {
      out = batchFor(frame, segs * 2);
      const g = gsoBatch(inb, out, { profile: 'ovs', partialCsum: leavePartial });
      if (g.outputFull) throw new RangeError('port edge: segment batch too small');
      if (inb.drop[0] !== 0) return { frames: [], drops: [dropName(inb.drop[0])] };
      this.counters.segments += out.count;
      // the NIC model's faults look at the segments' layers (tunnel, VLAN)
      const dropped = Array.from(out.drop.subarray(0, out.count));
      const cols = Array.from({ length: out.count }, (_, i) => ({ f: out.flags[i] & PacketFlag.NEEDS_CSUM, s: out.csumStart[i], o: out.csumOffset[i] }));
      this.parser.parse(out, 1);
      cols.forEach((c, i) => {
        out.flags[i] |= c.f;
        out.csumStart[i] = c.s;
        out.csumOffset[i] = c.o;
        if (dropped[i] !== 0) out.drop[i] = dropped[i];
      });
    }
    const pending = Array.from({ length: out.count }, (_, i) => (out.flags[i] & PacketFlag.NEEDS_CSUM) !== 0).filter(Boolean).length;
    const { engine, fault } = leavePartial ? nicEngine(nic, nicSegments && out.count > 1) : { engine: 'correct' as CsumEngineName, fault: undefined };
    completeChecksums(out, { engine });
    // software GSO without a HW_CSUM NIC writes every segment's checksum itself
    if (leavePartial) this.counters.nicCsum += pending;
    else this.counters.softwareCsum += superFrame && m.needsCsum ? out.count : pending;
    for (let i = 0; i < out.count; i++) {
      if (out.drop[i] !== 0) {
        res.drops.push(dropName(out.drop[i]));
        continue;
      }
      if (fault && (out.flags[i] & PacketFlag.FAULT) !== 0) this.counters.faults[fault] = (this.counters.faults[fault] ?? 0) + 1;
      res.frames.push(Uint8Array.from(out.packet(i)));
    }
    return res;
  }
}
