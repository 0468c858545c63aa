/**
 * Guest offload metadata that travels with a packet through the switch, as
 * OVS userspace keeps a dp_packet's offload flags (partial checksum, TSO
 * segment size) from the guest's port to the output port. Replay hands the
 * switch bytes only, so the edge that read a tap frame remembers what its
 * virtio_net_hdr said under a fingerprint of the innermost IP and L4 headers
 * (bytes the switch does not change on the way: VLAN push/pop and tunnel
 * encapsulation happen outside them), and the output edge looks it up.
 * Bounded: the oldest entries are forgotten first.
 */
import type { PacketBatch } from '../datapath/batch.js';
import { ABSENT, PacketFlag } from '../datapath/batch-layout.js';

export interface OffloadMeta {
  /** virtio gso_type (0: not a super-packet) and gso_size. */
  gsoType: number;
  gsoSize: number;
  /** NEEDS_CSUM: the innermost TCP/UDP checksum field holds the pseudo-header sum. */
  needsCsum: boolean;
  /** 16 (TCP) or 6 (UDP). */
  csumOffset: number;
}

const LIMIT = 4096;

/** The innermost L3 and L4 offsets of a parsed packet (tunnelled: the inner ones). */
export function innermost(batch: PacketBatch, i: number): { l3: number; l4: number } | undefined {
  const tunnel = (batch.flags[i] & PacketFlag.TUNNEL) !== 0;
  const l3 = tunnel ? batch.innerL3[i] : batch.l3[i];
  const l4 = tunnel ? batch.innerL4[i] : batch.l4[i];
  if (l3 === ABSENT || l4 === ABSENT) return undefined;
  return { l3, l4 };
}

/** The fingerprint of packet i: its innermost IP header and the first 20 bytes of L4, hex. */
export function fingerprint(batch: PacketBatch, i: number): string | undefined {
  const at = innermost(batch, i);
  if (!at) return undefined;
  const b = batch.packet(i);
  const end = Math.min(b.length, at.l4 + 20);
  let s = '';
  for (let k = at.l3; k < end; k++) s += b[k].toString(16).padStart(2, '0');
  return s;
}

export class OffloadMetaTable {
  private readonly map = new Map<string, OffloadMeta>();

  remember(key: string, meta: OffloadMeta): void {
    this.map.delete(key);
    this.map.set(key, meta);
    if (this.map.size > LIMIT) this.map.delete(this.map.keys().next().value as string);
  }

  lookup(key: string | undefined): OffloadMeta | undefined {
    return key === undefined ? undefined : this.map.get(key);
  }

  get size(): number {
    return this.map.size;
  }
}
