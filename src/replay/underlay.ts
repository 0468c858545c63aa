/**
 * The underlay between hosts: one L2/L3 switch joining every OVS host's
 * underlay NIC (the `system` ports of its underlay bridge). A frame a host
 * sends out of such a port is delivered to the host owning the frame's
 * destination IPv4 address (its `underlay.ip`), on that host's first
 * underlay NIC, unchanged (the hosts' static neighbours already carry the
 * right MACs). Broadcast and frames to unknown addresses are not carried
 * (counted as `unrouted`); the switch never loops a frame back to its sender.
 */
import type { OvsHost } from '../ovs/ovs-host.js';

export interface UnderlayEndpoint {
  host: string;
  port: string;
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

export class Underlay {
  private readonly byIp = new Map<string, UnderlayEndpoint>();
  private readonly nics = new Set<string>();
  unrouted = 0;

  constructor(hosts: ReadonlyMap<string, OvsHost>) {
    for (const [name, h] of hosts) {
      const u = h.underlay;
      if (!u) continue;
      const br = h.bridges.get(u.bridge);
      const nics = br ? br.ports.filter((p) => p.cfg.type === 'system') : [];
      for (const p of nics) this.nics.add(`${name}:${p.name}`);
      if (nics.length > 0) this.byIp.set(u.ip, { host: name, port: nics[0].name });
    }
  }

  /** True for a port attached to the underlay switch. */
  isUnderlayPort(host: string, port: string): boolean {
    return this.nics.has(`${host}:${port}`);
  }

  /** Where a frame sent by `from` arrives, or undefined (counted unrouted). */
  route(from: string, frame: Uint8Array): UnderlayEndpoint | undefined {
    const dst = ipv4Destination(frame);
    const to = dst === undefined ? undefined : this.byIp.get(dst);
    if (!to || to.host === from) {
      this.unrouted++;
      return undefined;
    }
    return to;
  }
}
