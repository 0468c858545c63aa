/**
 * The OVS model as the datapath engine's slow path (src/xlate/upcall.ts
 * SlowPath): an upcall's frame is translated through the host's bridges, and
 * the answer is the datapath actions plus the megaflow mask over the native
 * flow key (native/flow_key.h) of every field translation consulted.
 * MAC learning and learn() bump `version`, so the engine drops cached flows
 * made stale (as OVS revalidates after a MAC table change).
 */
import type { Action } from '../datapath/actions.js';
import { FLOW_KEY_SIZE } from '../datapath/batch-layout.js';
import { KEY_FIELDS, type KeyField } from '../datapath/flow-key.js';
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

export class OvsSlowPath implements SlowPath {
  version = 1;
  /** Set to collect ofproto/trace-style text per translation. */
  withTrace = false;

  constructor(readonly host: OvsHost) {}

  translate(upcall: Upcall): Translation {
    const port = this.host.portByDp(upcall.inPort);
    if (!port) return { actions: [{ type: 'drop', reason: 'ovs_table_miss' }] };
    const r = this.host.translate(port, extractFlow(upcall.packet, port.ofport), true, upcall.packet);
    if (r.changedState) this.version++;
    if (r.actions.some((a) => a.type === 'tnl_pop'))
      throw new RangeError('tnl_pop needs recirculation, which the datapath engine has no action for yet');
    const engine = r.actions.filter((a): a is Action => a.type !== 'tnl_pop');
    const actions: Action[] = r.dropReason ? [...engine, { type: 'drop', reason: r.dropReason }] : engine;
    return {
      actions,
      // a translation that changed state is not cached: the next packet must see the new state
      ...(r.changedState ? {} : { mask: wildcardsToKeyMask(r.wildcards) }),
      ...(this.withTrace ? { trace: traceText(r).split('\n') } : {}),
    };
  }
}
