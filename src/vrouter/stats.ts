/**
 * Counters of one vRouter, as its tools print them: per-vif RX/TX packets
 * and bytes and drops (vif --list), drop statistics by reason (dropstats),
 * and the flow table (flow -l): one entry per direction of a 5-tuple in a
 * VRF, paired with its reverse.
 */

export interface VifCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  drops: number;
}

export interface FlowEntry {
  index: number;
  vrf: number;
  proto: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Key nexthop: the nexthop the flow forwards to. */
  nh: number;
  action: 'F' | 'D';
  /** Drop reason of a D flow. */
  dropReason?: string;
  packets: number;
  bytes: number;
  /** Index of the reverse flow, once seen. */
  reverse?: number;
  /** UDP source port of the tunnel (0 when none). */
  tunnelSport: number;
}

/** The counters of one vRouter as a replay report holds them (JSON). */
export interface VrouterCountersJson {
  vifs: ({ id: number; name: string } & VifCounters)[];
  /** Drop reason (native/drop_reasons.def name) -> packets. */
  drops: Record<string, number>;
  flows: FlowEntry[];
}

export class VrouterStats {
  readonly vifs = new Map<number, VifCounters>();
  readonly drops = new Map<string, number>();
  readonly flows = new Map<string, FlowEntry>();
  private nextFlowIndex = 1;

  vif(id: number): VifCounters {
    let c = this.vifs.get(id);
    if (!c) {
      c = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: 0 };
      this.vifs.set(id, c);
    }
    return c;
  }

  rx(vif: number, bytes: number): void {
    const c = this.vif(vif);
    c.rxPackets++;
    c.rxBytes += bytes;
  }

  tx(vif: number, bytes: number): void {
    const c = this.vif(vif);
    c.txPackets++;
    c.txBytes += bytes;
  }

  drop(reason: string, vif?: number): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    if (vif !== undefined) this.vif(vif).drops++;
  }

  /** Accounts one packet to the flow of this 5-tuple (created on first sight, paired with its reverse). */
  flow(f: Omit<FlowEntry, 'index' | 'packets' | 'bytes' | 'reverse'>, bytes: number): FlowEntry {
    const key = `${f.vrf}|${f.proto}|${f.src}|${f.sport}|${f.dst}|${f.dport}`;
    let e = this.flows.get(key);
    if (!e) {
      e = { ...f, index: this.nextFlowIndex++, packets: 0, bytes: 0 };
      this.flows.set(key, e);
      const rev = this.flows.get(`${f.vrf}|${f.proto}|${f.dst}|${f.dport}|${f.src}|${f.sport}`);
      if (rev) {
        e.reverse = rev.index;
        rev.reverse = e.index;
      }
    }
    e.packets++;
    e.bytes += bytes;
    if (f.tunnelSport) e.tunnelSport = f.tunnelSport;
    return e;
  }

  /** The counters as JSON; `names` gives each vif's name (vif id -> name). */
  toJson(names: ReadonlyMap<number, string>): VrouterCountersJson {
    const vifs = [...this.vifs].sort((a, b) => a[0] - b[0]).map(([id, c]) => ({ id, name: names.get(id) ?? `vif0/${id}`, ...c }));
    const drops: Record<string, number> = {};
    for (const [r, n] of [...this.drops].sort((a, b) => a[0].localeCompare(b[0]))) drops[r] = n;
    return { vifs, drops, flows: [...this.flows.values()].sort((a, b) => a.index - b.index).map((f) => ({ ...f })) };
  }

  /** Loads counters written by toJson() (a replay report) into these (replacing them). */
  load(j: VrouterCountersJson): void {
    this.vifs.clear();
    this.drops.clear();
    this.flows.clear();
    for (const v of j.vifs) this.vifs.set(v.id, { rxPackets: v.rxPackets, rxBytes: v.rxBytes, txPackets: v.txPackets, txBytes: v.txBytes, drops: v.drops });
    for (const [r, n] of Object.entries(j.drops)) this.drops.set(r, n);
    for (const f of j.flows) this.flows.set(`${f.vrf}|${f.proto}|${f.src}|${f.sport}|${f.dst}|${f.dport}`, { ...f });
    this.nextFlowIndex = j.flows.reduce((a, f) => Math.max(a, f.index + 1), 1);
  }
}
