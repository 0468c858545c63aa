/**
 * The OVS model as the datapath engine's slow path (src/xlate/upcall.ts
 * SlowPath): an upcall's frame is translated through the host's bridges, and
 * the answer is the datapath actions plus the megaflow mask over the native
 * flow key (native/flow_key.h) of every field translation consulted.
 * MAC learning and learn() bump `version`, so the engine drops cached flows
 * made stale (as OVS revalidates after a MAC table change).
 *
 * Tunnel receive as OVS's userspace datapath does it: a VXLAN or GRE frame
 * for one of the host's tunnel ports, output to the underlay bridge's LOCAL
 * port, becomes `tnl_pop(port),recirc(N)` (N: one recirculation id per
 * tunnel vport - per VXLAN UDP port, and one for GRE - from 1, where OVS
 * re-enters with in_port=vxlan_sys_<port> or gre_sys); the recirculated
 * upcall (recirc_id N, tun_id / tun_src / tun_dst from the outer header: the
 * VNI or the GRE key) is the inner frame entering the tunnel port with that
 * remote IP and key (tnl_port_receive), and its megaflow matches recirc_id
 * and the tunnel metadata exactly. Tunnel output is `clone(tnl_push(...),
 * output)` with the VXLAN or Ethernet-over-GRE template.
 */
import type { Action } from '../datapath/actions.js';
import { FLOW_KEY_SIZE } from '../datapath/batch-layout.js';
import { KEY_FIELDS, keyNumber, type KeyField } from '../datapath/flow-key.js';
import type { MalformedPolicy } from '../datapath/native.js';
import { buildReceiver } from '../tunnel/receiver.js';
import type { OvsPort } from './bridge.js';
import type { SlowPath, Translation, Upcall } from '../xlate/upcall.js';
import type { FieldName } from './fields.js';
import { extractFlow } from './flow.js';
import type { OvsHost } from './ovs-host.js';
import { traceText } from './trace-format.js';

/** Writes `mask` (a field's consulted bits) into the key mask, in the native field's byte order. */
function put(out: Uint8Array, field: KeyField, mask: bigint, wire: boolean, bytes: number, at = 0): void {
  const [off] = KEY_FIELDS[field];
  for (let k = 0; k < bytes; k++) {
    const shift = BigInt(8 * (wire ? bytes - 1 - k : k));
    out[off + at + k] |= Number((mask >> shift) & 0xffn);
  }
}

/** The native megaflow mask of the model's wildcards (registers and metadata are not in the key). */
export function wildcardsToKeyMask(wc: ReadonlyMap<FieldName, bigint>): Uint8Array {
  const m = new Uint8Array(FLOW_KEY_SIZE);
  put(m, 'in_port', 0xffffffffn, false, 4);
  put(m, 'dl_type', 0xffffn, false, 2);
  put(m, 'recirc_id', 0xffffffffn, false, 4);
  for (const [f, mask] of wc) {
    switch (f) {
      case 'dl_src': case 'dl_dst': put(m, f, mask, true, 6); break;
      case 'vlan_tci': put(m, 'vlan_tci', mask, false, 2); break;
      case 'vlan_tci2': put(m, 'vlan_tci2', mask, false, 2); break;
      case 'nw_src': case 'nw_dst': put(m, f, mask, true, 4, 12); break;
      case 'ipv6_src': put(m, 'nw_src', mask, true, 16); break;
      case 'ipv6_dst': put(m, 'nw_dst', mask, true, 16); break;
      case 'nw_proto': case 'nw_tos': case 'nw_ttl': case 'nw_frag': put(m, f, mask, false, 1); break;
      case 'arp_sha': case 'arp_tha': put(m, f, mask, true, 6); break;
      case 'tp_src': case 'tp_dst': case 'tcp_flags': put(m, f, mask, false, 2); break;
      case 'tun_id': put(m, 'tun_id', mask, false, 8); break;
      case 'tun_src': case 'tun_dst': if (mask) put(m, f, (1n << 128n) - 1n, true, 16); break;
      default: break;
    }
  }
  return m;
}

const FULL128 = (1n << 128n) - 1n;

/** tun_flags bits a popped packet's megaflow matches, as OVS's flags(csum,key) (native/tunnel_types.h kTunFlagKey | kTunFlagCsum). */
const TUN_FLAGS_MATCHED = 0x08 | 0x20;

/** Adds the tunnel flags OVS matches on a popped packet (its key and checksum bits; OVS also matches the outer DF bit, which the key does not hold). */
function withTunFlags(mask: Uint8Array): Uint8Array {
  mask[KEY_FIELDS.tun_flags[0]] |= TUN_FLAGS_MATCHED;
  return mask;
}

/** The datapath tunnel vport of a tunnel port: OVS's vxlan_sys_<udp port>, or gre_sys for every GRE port. */
function vportOf(t: { type?: 'vxlan' | 'gre'; dstPort: number }): string {
  return t.type === 'gre' ? 'gre' : `vxlan:${t.dstPort}`;
}

/** An IPv4 address stored ::ffff:a.b.c.d mapped in a 16-byte key field, as the model's 32-bit value. */
function mappedIpv4(key: Uint8Array, field: 'tun_src' | 'tun_dst'): bigint {
  const [off] = KEY_FIELDS[field];
  let v = 0n;
  for (let k = 12; k < 16; k++) v = (v << 8n) | BigInt(key[off + k]);
  return v;
}

export class OvsSlowPath implements SlowPath {
  version = 1;
  /** dpif-netdev forwards a packet its flow extraction cannot finish by the headers it got to. */
  readonly malformed: MalformedPolicy = 'ovs-userspace';
  /** Set to collect ofproto/trace-style text per translation. */
  withTrace = false;
  /** Tunnel vports ("vxlan:<udp port>" or "gre") by recirculation id - 1, handed out on first use. */
  private readonly recircVports: string[] = [];
  private readonly receivers = new Map<string, Uint8Array>();

  constructor(readonly host: OvsHost) {}

  /** The recirculation id of the packets popped by tunnel vport `vport`. */
  private recircId(vport: string): number {
    let k = this.recircVports.indexOf(vport);
    if (k < 0) k = this.recircVports.push(vport) - 1;
    return k + 1;
  }

  /**
   * The engine's decap tables of a tunnel vport: any VNI or key (the port is
   * chosen after the pop), inner VLAN tags kept as OVS does; GRE accepts the
   * C, K and S bits as OVS's parse_gre_header does.
   */
  private receiver(vport: string, udpPort: number): Uint8Array {
    let rx = this.receivers.get(vport);
    if (!rx) {
      rx = vport === 'gre'
        ? buildReceiver({ gre: {}, discardInnerVlan: false })
        : buildReceiver({ vxlan: { port: udpPort, vnis: 'any' }, discardInnerVlan: false });
      this.receivers.set(vport, rx);
    }
    return rx;
  }

  /** OVS tnl_port_receive: the tunnel port of a popped packet by kind, remote IP, local IP and key. */
  private tunnelPort(vport: string, tunId: bigint, src: bigint, dst: bigint): OvsPort | undefined {
    const ip = (v: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
    return [...this.host.bridges.values()].flatMap((b) => b.ports).find((p) => {
      const t = p.cfg.tunnel;
      return p.cfg.type === 'tunnel' && t !== undefined && vportOf(t) === vport && t.remoteIp === ip(src) &&
        (t.localIp === undefined || t.localIp === ip(dst)) && (t.key === 'flow' || BigInt(t.key) === tunId);
    });
  }

  translate(upcall: Upcall): Translation {
    const recirc = keyNumber(upcall.key, 'recirc_id');
    let r;
    if (recirc === 0) {
      const port = this.host.portByDp(upcall.inPort);
      if (!port) return { actions: [{ type: 'drop', reason: 'ovs_table_miss' }] };
      // no packet: a tunnel pop ends this translation; the inner packet comes back recirculated
      r = this.host.translate(port, extractFlow(upcall.packet, port.ofport, upcall.wireLength), true);
    } else {
      const vport = this.recircVports[recirc - 1];
      const tunId = BigInt(keyNumber(upcall.key, 'tun_id'));
      const src = mappedIpv4(upcall.key, 'tun_src');
      const dst = mappedIpv4(upcall.key, 'tun_dst');
      const tport = vport === undefined ? undefined : this.tunnelPort(vport, tunId, src, dst);
      const tunMask = withTunFlags(wildcardsToKeyMask(new Map([['tun_id', (1n << 64n) - 1n], ['tun_src', FULL128], ['tun_dst', FULL128]])));
      // no tunnel port for this remote / key: OVS drops the popped packet
      if (!tport) return { actions: [{ type: 'drop', reason: 'ovs_table_miss' }], mask: tunMask };
      const flow = extractFlow(upcall.packet, tport.ofport, upcall.wireLength);
      flow.tun_id = tunId;
      flow.tun_src = src;
      flow.tun_dst = dst;
      r = this.host.translate(tport, flow, true);
      // the tunnel metadata is part of every megaflow of a popped packet (as OVS's tunnel() key)
      r.wildcards.set('tun_id', (1n << 64n) - 1n);
      r.wildcards.set('tun_src', FULL128);
      r.wildcards.set('tun_dst', FULL128);
    }
    if (r.changedState) this.version++;
    const engine: Action[] = [];
    r.actions.forEach((a, k) => {
      if (a.type !== 'tnl_pop' || !('kind' in a)) { engine.push(a); return; }
      const vport = vportOf({ type: a.kind, dstPort: a.tunnelPort });
      const pop: Action[] = [
        { type: 'tnl_pop', tunnelPort: a.tunnelPort, receiver: this.receiver(vport, a.tunnelPort) },
        { type: 'recirc', id: this.recircId(vport) },
      ];
      // recirc ends the program: actions after it run on a clone's copy instead
      if (k === r.actions.length - 1) engine.push(...pop);
      else engine.push({ type: 'clone', actions: pop });
    });
    const actions: Action[] = r.dropReason ? [...engine, { type: 'drop', reason: r.dropReason }] : engine;
    return {
      actions,
      // a translation that changed state is not cached: the next packet must see the new state
      ...(r.changedState ? {} : { mask: recirc === 0 ? wildcardsToKeyMask(r.wildcards) : withTunFlags(wildcardsToKeyMask(r.wildcards)) }),
      ...(this.withTrace ? { trace: traceText(r).split('\n') } : {}),
    };
  }
}
