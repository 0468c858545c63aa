/**
 * encapBatch: encapsulates the packets of a batch in the native core with
 * templates built here once per tunnel (slow path).
 */
import type { PacketBatch } from '../datapath/batch.js';
import { native } from '../datapath/native.js';
import { resolveTunnel, type ResolvedTunnel, type TunnelSpec } from './spec.js';
import { buildTemplate, TEMPLATE_SIZE } from './template.js';

/**
 * Tunnels compiled for the fast path: their templates side by side, each
 * tunnel's outer IPv4 ID counter (advanced by every encap call), and after
 * them the one counter the tunnels with ipId 'global' share.
 */
export class CompiledTunnels {
  readonly tunnels: readonly ResolvedTunnel[];
  readonly templates: Uint8Array;
  readonly states: Uint16Array;

  constructor(specs: TunnelSpec | readonly TunnelSpec[]) {
    const list = Array.isArray(specs) ? (specs as readonly TunnelSpec[]) : [specs as TunnelSpec];
    if (list.length === 0 || list.length > 0xfffe) throw new RangeError(`expected 1 to 65534 tunnel specs, received ${list.length}`);
    this.tunnels = list.map((s, k) => resolveTunnel(s, list.length > 1 ? `tunnels[${k}].` : ''));
    this.templates = new Uint8Array(TEMPLATE_SIZE * list.length);
    this.tunnels.forEach((t, k) => this.templates.set(buildTemplate(t), k * TEMPLATE_SIZE));
    native().tunnelTemplateCheck(this.templates);
    this.states = Uint16Array.from([...this.tunnels.map((t) => t.ipIdStart), 0]);
  }
}

/**
 * Encapsulates the live packets of `batch`: all with the one tunnel, or
 * packet i with tunnel select[i] (0xFFFF or any index past the list skips
 * it). Packets that cannot be encapsulated are marked dropped with a reason
 * (head_space_reserve_fail, tunnel_too_big, tunnel_payload_not_ip, ...).
 * The UDP source port comes from each packet's hash column; packets without
 * one (0) get the inner flow's hash computed and written back. Returns the
 * number of packets encapsulated.
 */
export function encapBatch(batch: PacketBatch, tunnels: CompiledTunnels | TunnelSpec | readonly TunnelSpec[], select?: Uint16Array): number {
  const compiled = tunnels instanceof CompiledTunnels ? tunnels : new CompiledTunnels(tunnels);
  if (select === undefined && compiled.tunnels.length > 1) throw new RangeError('expected a select array (tunnel index per packet) with more than one tunnel');
  if (select !== undefined && !(select instanceof Uint16Array)) throw new TypeError('expected a Uint16Array for select');
  if (select !== undefined && select.length < batch.count) throw new RangeError(`expected select to have ${batch.count} entries, received ${select.length}`);
  return native().tunnelEncap(batch.buffer, compiled.templates, compiled.states, select ?? null);
}
