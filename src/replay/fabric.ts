/**
 * The fabric between hosts: one underlay switch joining every host's
 * underlay NIC (its fabric attachment), with a link per host: IP MTU, an
 * optional 802.1Q VLAN, and whose IP stack sends and receives on it
 * (src/replay/fabric-settings.ts: `ovs-userspace` or `linux`).
 *
 * A frame a host sends out of such a port is delivered to the host owning
 * the frame's destination IPv4 address, on that host's attachment port (the
 * hosts' static neighbours already carry the right MACs). On the way:
 * 1. Sender MTU: an IP packet longer than the sending link's MTU is dropped
 *    (`underlay_mtu_exceeded`: OVS userspace and vRouter never fragment;
 *    `linux` with DF set: `mtu_exceeded_df`) or, by a `linux` sender without DF, fragmented
 *    to the MTU (RFC 791, as Linux: native ipv4_fragment).
 * 2. Receiver: a frame whose VLAN (tag or none) is not the receiving link's
 *    is not accepted (`underlay_vlan_mismatch`); an IP packet longer than the
 *    receiving link's MTU is dropped (`underlay_rx_oversize`); the NIC strips
 *    the tag.
 * 3. A `linux` receiver reassembles outer IPv4/IPv6 fragments before the
 *    host sees them (native Reassembler: timeouts, overlap and limit drops
 *    under their reassembly reasons); an `ovs-userspace` receiver gets the
 *    fragments as they are.
 * Broadcast and frames to unknown addresses are not carried (`unrouted`,
 * after the sender's MTU: its link drops or fragments a frame wherever it is
 * going); the switch never loops a frame back to its sender.
 *
 * Contract with `replay()`: it calls `carry()` for every frame a host sends
 * out of a port for which `isFabricPort()` is true (or, for a sender for
 * which `carriesNothingFrom()` holds, counts them with `countUncarried()`),
 * delivers each returned frame to its host and port, and counts each
 * returned drop by its reason (a drop-reason name from
 * native/drop_reasons.def). `counters` holds what the report shows.
 */
import { PacketBatch } from '../datapath/batch.js';
import type { Topology } from '../model/topology-schema.js';
import { fragmentIpv4 } from '../offload/ops.js';
import { createParser, type Parser } from '../packet/parse.js';
import { ipView, outerVlan, stripVlan } from './fabric-frames.js';
import { pmtudAnswer, VXLAN_IPV4_HEADROOM, vxlanFrame, vxlanFromRemote } from './fabric-pmtud.js';
import { HostReassembly } from './fabric-reassembly.js';
import { DEFAULT_LINK, fabricLinks, type FabricLinkSettings } from './fabric-settings.js';

export interface FabricAttachment {
  host: string;
  /** The host's port on the underlay switch (an OVS `system` port, a vRouter physical vif). */
  port: string;
  /** The host's underlay IPv4 address (dotted, no prefix). */
  ip: string;
}

export interface FabricDelivery {
  host: string;
  port: string;
  frame: Uint8Array;
  /**
   * Its length on the wire: the sent frame's (a packet captured short keeps
   * its own) less a tag the receiving NIC stripped; a fragment, a
   * reassembled datagram or an ICMP answer: its length.
   */
  wireLength: number;
}

export interface FabricResult {
  deliveries: FabricDelivery[];
  /** Drop-reason names, one per frame the fabric dropped. */
  drops: string[];
}

export interface FabricCounters {
  /** Frames delivered to a host. */
  carried: number;
  /** Frames to no known host (or broadcast): not carried. */
  unrouted: number;
  /** Frames dropped for an MTU (sender or receiver link). */
  mtuDrops: number;
  /** Frames dropped because the receiver's VLAN differs. */
  vlanDrops: number;
  /** Fragments made by `linux` senders. */
  fragments: number;
  /** Datagrams rebuilt by `linux` receivers from their fragments. */
  reassembled: number;
  /** Datagrams a `linux` receiver holds incomplete (at the last carry). */
  heldFragments: number;
  /** ICMP "fragmentation needed" / Packet Too Big answers a `linux` sender's VXLAN PMTU discovery looped back to its guests. */
  pmtudAnswers: number;
}

export interface FabricOptions {
  /** Link settings per host (default: MTU 1500, no VLAN, `ovs-userspace`). */
  links?: ReadonlyMap<string, FabricLinkSettings>;
}

/** Destination IPv4 address of an Ethernet frame as a 32-bit number, through up to two VLAN tags. */
function ipv4DestinationNumber(frame: Uint8Array): number | undefined {
  const ip = ipView(frame);
  if (!ip || ip.version !== 4) return undefined;
  const d = ip.l3 + 16;
  return frame[d] * 0x1000000 + ((frame[d + 1] << 16) | (frame[d + 2] << 8) | frame[d + 3]);
}

/** Destination IPv4 address (dotted) of an Ethernet frame, through up to two VLAN tags. */
export function ipv4Destination(frame: Uint8Array): string | undefined {
  const n = ipv4DestinationNumber(frame);
  return n === undefined ? undefined : `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** A dotted IPv4 address as a 32-bit number (undefined when it is not one). */
function ipv4Number(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** What carry() returns for a frame it neither delivers nor drops (shared: callers only read it). */
const NOTHING: FabricResult = Object.freeze({ deliveries: Object.freeze([]) as unknown as FabricDelivery[], drops: Object.freeze([]) as unknown as string[] });

function batchOf(frames: readonly Uint8Array[], extra = 0): PacketBatch {
  const bytes = frames.reduce((n, f) => n + f.length + 256, 4096 + extra);
  return PacketBatch.create({ capacity: Math.max(8, frames.length * 2), dataSize: bytes, headroom: 64 });
}

function framesOf(b: PacketBatch): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.count; i++) if (b.drop[i] === 0) out.push(Uint8Array.from(b.packet(i)));
  return out;
}

export class Fabric {
  /** Attachment receiving frames for an IPv4 address (as a number): the first one listed with that address. */
  private readonly byIp = new Map<number, FabricAttachment>();
  private readonly ports = new Set<string>();
  private readonly links: ReadonlyMap<string, FabricLinkSettings>;
  private readonly reassembly = new HostReassembly();
  private readonly parser: Parser = createParser();
  /** False with at most one host attached: every frame the sending link passes is unrouted (no lookup per frame). */
  private readonly severalHosts: boolean;
  /** Time of the last carry (ns), for reassembly timeouts when carry() is given no time. */
  private lastNs = 0;
  readonly counters: FabricCounters = { carried: 0, unrouted: 0, mtuDrops: 0, vlanDrops: 0, fragments: 0, reassembled: 0, heldFragments: 0, pmtudAnswers: 0 };

  constructor(attachments: readonly FabricAttachment[], options: FabricOptions = {}) {
    for (const a of attachments) {
      this.ports.add(`${a.host}:${a.port}`);
      const ip = ipv4Number(a.ip);
      if (ip !== undefined && !this.byIp.has(ip)) this.byIp.set(ip, a);
    }
    this.links = options.links ?? new Map();
    this.severalHosts = new Set(attachments.map((a) => a.host)).size > 1;
  }

  /** The fabric of a topology: each host's link (OVS: its `underlay` mtu, vlan, stack; vRouter: its physical vif's mtu). */
  static fromTopology(topo: Topology, attachments: readonly FabricAttachment[]): Fabric {
    return new Fabric(attachments, { links: fabricLinks(topo) });
  }

  /** The link settings of a host (defaults when the topology gives none). */
  link(host: string): FabricLinkSettings {
    return this.links.get(host) ?? DEFAULT_LINK;
  }

  /** True when a frame a host sends may come back to that host (a `linux` sender's PMTU discovery answers its own guests). */
  mayReturnToSender(): boolean {
    return [...this.links.values()].some((l) => l.stack === 'linux');
  }

  /**
   * True when carry() from `host` can only count a frame that fits its link
   * (longestFittingFrame) as unrouted (no other host is attached, and the
   * host's link does not answer PMTU discovery): such a sender may count
   * those frames with countUncarried().
   */
  carriesNothingFrom(host: string): boolean {
    return !this.severalHosts && this.link(host).stack !== 'linux';
  }

  /**
   * Frames up to this length that `host` sends are within its link's MTU
   * whatever they hold (an IP packet after at least a 14-byte Ethernet
   * header); longer ones may be dropped or fragmented by the link.
   */
  longestFittingFrame(host: string): number {
    return this.link(host).mtu + 14;
  }

  /** Counts `n` frames, each no longer than longestFittingFrame(), a host for which carriesNothingFrom() holds sent to the fabric (what carry() would count). */
  countUncarried(n: number): void {
    this.counters.unrouted += n;
  }

  /** True for a port attached to the underlay switch. */
  isFabricPort(host: string, port: string): boolean {
    return this.ports.has(`${host}:${port}`);
  }

  /**
   * Carries one frame sent out of `host:port` (a fabric port). `nowNs` is
   * the frame's time (reassembly timeouts); without it the last time given
   * is used. `wireLength`: the frame's length on the wire when it was
   * captured short (default its length).
   */
  carry(host: string, port: string, frame: Uint8Array, nowNs?: number, wireLength = frame.length): FabricResult {
    if (nowNs !== undefined && nowNs > this.lastNs) this.lastNs = nowNs;
    const answered = this.pmtud(host, port, frame);
    if (answered) return answered;
    // The sending link first: its MTU holds wherever the frame is going.
    const res: FabricResult = { deliveries: [], drops: [] };
    const wire = this.send(this.link(host), frame, res);
    if (wire.length === 0) return res;
    const dst = this.severalHosts ? ipv4DestinationNumber(frame) : undefined;
    const to = dst === undefined ? undefined : this.byIp.get(dst);
    if (!to || to.host === host) {
      this.counters.unrouted += wire.length; // no other host to carry it to, or not an address of one
      return res.drops.length > 0 ? res : NOTHING;
    }
    for (const f of wire) this.receive(to, f, f === frame ? Math.max(wireLength, f.length) : f.length, res);
    return res;
  }

  /**
   * A `linux` sender's bridged VXLAN PMTU check (src/replay/fabric-pmtud.ts):
   * an inner packet too big for the link MTU minus the encapsulation is not
   * sent; the ICMP answer goes back to the sending host as if from the remote
   * VTEP, on the port it was sent from. The answer, or undefined when the frame goes on.
   */
  private pmtud(host: string, port: string, frame: Uint8Array): FabricResult | undefined {
    const link = this.link(host);
    if (link.stack !== 'linux') return undefined;
    const ip = ipView(frame);
    if (!ip || ip.ipLength <= link.mtu) return undefined;
    const v = vxlanFrame(stripVlan(frame));
    const answer = v && pmtudAnswer(v.inner, link.mtu - VXLAN_IPV4_HEADROOM);
    if (!v || !answer) return undefined;
    this.counters.pmtudAnswers++;
    const reply = vxlanFromRemote(v, answer);
    return { deliveries: [{ host, port, frame: reply, wireLength: reply.length }], drops: ['mtu_exceeded_df'] };
  }

  /** The sender's link: the frames that reach the wire. */
  private send(link: FabricLinkSettings, frame: Uint8Array, res: FabricResult): Uint8Array[] {
    const ip = ipView(frame);
    if (!ip || ip.ipLength <= link.mtu) return [frame];
    if (link.stack !== 'linux' || ip.version === 6 || ip.df) {
      this.counters.mtuDrops++;
      res.drops.push(link.stack === 'linux' && ip.version === 4 ? 'mtu_exceeded_df' : 'underlay_mtu_exceeded');
      return [];
    }
    const inb = batchOf([frame]);
    inb.append(frame);
    this.parser.parse(inb, 1);
    const out = batchOf([frame], frame.length * 2);
    const r = fragmentIpv4(inb, 0, link.mtu, out);
    if (r.drop !== 'none') {
      res.drops.push(r.drop);
      return [];
    }
    this.counters.fragments += r.fragments;
    return framesOf(out);
  }

  /** The receiver's link and stack: the frames the host gets (`wireLength`: the frame's on the wire). */
  private receive(to: FabricAttachment, frame: Uint8Array, wireLength: number, res: FabricResult): void {
    const link = this.link(to.host);
    if (outerVlan(frame) !== link.vlan) {
      this.counters.vlanDrops++;
      res.drops.push('underlay_vlan_mismatch');
      return;
    }
    const ip = ipView(frame);
    if (ip && ip.ipLength > link.mtu) {
      this.counters.mtuDrops++;
      res.drops.push('underlay_rx_oversize');
      return;
    }
    const untagged = stripVlan(frame);
    const whole = link.stack === 'linux' ? this.reassemble(to.host, untagged, res) : [untagged];
    for (const f of whole) {
      this.counters.carried++;
      res.deliveries.push({ host: to.host, port: to.port, frame: f, wireLength: f === untagged ? wireLength - (frame.length - untagged.length) : f.length });
    }
  }

  /** ip_defrag at a `linux` receiver: non-fragments pass, fragments are held until their datagram is complete. */
  private reassemble(host: string, frame: Uint8Array, res: FabricResult): Uint8Array[] {
    const step = this.reassembly.feed(host, frame, this.lastNs);
    res.drops.push(...step.drops);
    if (step.completed) this.counters.reassembled++;
    this.counters.heldFragments = this.reassembly.held(host);
    return step.frames;
  }
}
