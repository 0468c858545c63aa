/**
 * Several vRouter compute nodes joined by an IP fabric: a frame a vRouter
 * sends out of its physical vif is delivered to the physical vif of the
 * compute whose vhost address is the frame's outer IP destination (a
 * routed underlay; frames to other addresses leave the fabric). Every hop is
 * recorded, so tests and reports can read the wire between hosts.
 */
import { parseIp } from '../tunnel/addr.js';
import type { VrouterHostConfig } from './config.js';
import { Vrouter, type VrResult } from './forward.js';
import { bytesEqual, readEth, readIp } from './packet.js';

export interface FabricEvent {
  host: string;
  /** 'rx': the frame entered `vif`; 'tx': it left through `vif`. */
  dir: 'rx' | 'tx';
  vif: number;
  frame: Uint8Array;
}

export interface FabricDelivery {
  /** Frames delivered to non-physical vifs (VMs, vhost0, agent), in order. */
  delivered: { host: string; vif: number; frame: Uint8Array }[];
  /** Frames that crossed the fabric (outer frames), in order. */
  wire: { from: string; to?: string; frame: Uint8Array }[];
  /** Drops with the host that dropped. */
  drops: { host: string; reason: string }[];
  trace: string[];
  events: FabricEvent[];
}

export class VrouterFabric {
  readonly hosts = new Map<string, Vrouter>();

  constructor(configs: readonly VrouterHostConfig[]) {
    for (const c of configs) {
      if (this.hosts.has(c.name)) throw new RangeError(`duplicate vRouter host name "${c.name}"`);
      this.hosts.set(c.name, new Vrouter(c));
    }
  }

  host(name: string): Vrouter {
    const h = this.hosts.get(name);
    if (!h) throw new RangeError(`expected a vRouter host among ${[...this.hosts.keys()].join(', ')}, received "${name}"`);
    return h;
  }

  /** The host and vif of a VM interface by its name (e.g. "tap-vm1"). */
  findVif(name: string): { host: string; vif: number } {
    for (const [hn, h] of this.hosts) for (const v of h.tables.vifs.values()) if (v.name === name) return { host: hn, vif: v.id };
    throw new RangeError(`no vif named "${name}" in the fabric`);
  }

  private byVhost(dst: Uint8Array): Vrouter | undefined {
    for (const h of this.hosts.values()) if (bytesEqual(h.tables.vhostIp, dst)) return h;
    return undefined;
  }

  /** Injects one frame on a vif and follows it across the fabric until it is delivered or dropped. */
  send(hostName: string, vif: number, frame: Uint8Array): FabricDelivery {
    const d: FabricDelivery = { delivered: [], wire: [], drops: [], trace: [], events: [] };
    const queue: { host: Vrouter; vif: number; frame: Uint8Array }[] = [{ host: this.host(hostName), vif, frame }];
    let hops = 0;
    while (queue.length > 0) {
      if (++hops > 64) throw new RangeError('fabric: more than 64 hops for one frame (forwarding loop)');
      const { host, vif: inVif, frame: f } = queue.shift()!;
      d.events.push({ host: host.name, dir: 'rx', vif: inVif, frame: f });
      const r: VrResult = host.input(inVif, f);
      for (const line of r.trace) d.trace.push(`[${host.name}] ${line}`);
      for (const reason of r.drops) d.drops.push({ host: host.name, reason });
      for (const o of r.outputs) {
        d.events.push({ host: host.name, dir: 'tx', vif: o.vif, frame: o.frame });
        const v = host.tables.vifs.get(o.vif);
        if (v?.type !== 'physical') {
          d.delivered.push({ host: host.name, vif: o.vif, frame: o.frame });
          continue;
        }
        const eth = readEth(o.frame);
        const ip = eth ? readIp(o.frame, eth.l3, eth.type) : undefined;
        const peer = ip ? this.byVhost(ip.dst) : undefined;
        d.wire.push({ from: host.name, to: peer?.name, frame: o.frame });
        if (peer) {
          const pv = peer.tables.physical();
          if (pv) queue.push({ host: peer, vif: pv.id, frame: o.frame });
        }
      }
    }
    return d;
  }

  /** Convenience: sends from a VM interface named `vifName`. */
  sendFrom(vifName: string, frame: Uint8Array): FabricDelivery {
    const { host, vif } = this.findVif(vifName);
    return this.send(host, vif, frame);
  }
}

/** The IPv4 / IPv6 bytes of a vhost address (for callers that build frames). */
export const vhostBytes = (ip: string): Uint8Array => parseIp(ip, 'vhostIp');
