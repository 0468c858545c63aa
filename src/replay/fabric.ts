/**
 * The fabric between hosts: one L2/L3 underlay switch joining every host's
 * underlay NIC (its fabric attachment). A frame a host sends out of such a
 * port is delivered to the host owning the frame's destination IPv4 address,
 * on that host's attachment port, unchanged (the hosts' static neighbours
 * already carry the right MACs). Broadcast and frames to unknown addresses
 * are not carried (counted as `unrouted`); the switch never loops a frame
 * back to its sender.
 *
 * Contract with `replay()`: it calls `carry()` for every frame a host sends
 * out of a port for which `isFabricPort()` is true, delivers each returned
 * frame to its host and port, and counts each returned drop by its reason
 * (a drop-reason name from native/drop_reasons.def).
 */

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
}

export interface FabricResult {
  deliveries: FabricDelivery[];
  /** Drop-reason names, one per frame the fabric dropped. */
  drops: string[];
}

const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** Destination IPv4 address (dotted) of an Ethernet frame, through up to two VLAN tags. */
export function ipv4Destination(frame: Uint8Array): string | undefined {
  let off = 12;
  if (frame.length < off + 2) return undefined;
  let type = rd16(frame, off);
  for (let k = 0; k < 2 && (type === 0x8100 || type === 0x88a8); k++) {
    off += 4;
    if (frame.length < off + 2) return undefined;
    type = rd16(frame, off);
  }
  const l3 = off + 2;
  if (type !== 0x0800 || frame.length < l3 + 20) return undefined;
  return `${frame[l3 + 16]}.${frame[l3 + 17]}.${frame[l3 + 18]}.${frame[l3 + 19]}`;
}

export class Fabric {
  /** Attachment receiving frames for an IP: the first one listed with that IP. */
  private readonly byIp = new Map<string, FabricAttachment>();
  private readonly ports = new Set<string>();
  readonly counters = { carried: 0, unrouted: 0 };

  constructor(attachments: readonly FabricAttachment[]) {
    for (const a of attachments) {
      this.ports.add(`${a.host}:${a.port}`);
      if (!this.byIp.has(a.ip)) this.byIp.set(a.ip, a);
    }
  }

  /** True for a port attached to the underlay switch. */
  isFabricPort(host: string, port: string): boolean {
    return this.ports.has(`${host}:${port}`);
  }

  /** Carries one frame sent out of `host:port` (a fabric port). */
  carry(host: string, _port: string, frame: Uint8Array): FabricResult {
    const dst = ipv4Destination(frame);
    const to = dst === undefined ? undefined : this.byIp.get(dst);
    if (!to || to.host === host) {
      this.counters.unrouted++;
      return { deliveries: [], drops: [] };
    }
    this.counters.carried++;
    return { deliveries: [{ host: to.host, port: to.port, frame }], drops: [] };
  }
}
