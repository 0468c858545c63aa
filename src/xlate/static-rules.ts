/**
 * The simplest device: a static list of match -> actions rules from YAML,
 * used until the OVS and vRouter models drive the datapath (and by tests and
 * benchmarks). Rules are tried by priority (highest first, then file order);
 * the megaflow mask is the union of the masks of every rule tried, so a
 * cached flow can never give a different answer from a fresh translation.
 *
 *   tunnels:                 # optional, for tnl_push(name)
 *     to-b: { type: vxlan, local: 192.0.2.1, remote: 192.0.2.2, vni: 1000, port: 100 }
 *   receivers:               # optional, for tnl_pop(name): decap tables (src/tunnel/receiver.ts)
 *     vtep: { port: 4789, vxlan: { vnis: [1000] } }
 *   rules:
 *     - { match: "in_port=1,udp,tp_dst=4789", actions: "tnl_pop(vtep),recirc(1)" }
 *     - { match: "recirc_id=1,tun_id=1000", actions: "3" }
 *     - { priority: 10, match: "in_port=1,tcp,tp_dst=80", actions: "push_vlan(vid=10),2" }
 *     - { match: "in_port=1", actions: "2" }
 *
 * Matches use OVS field names (src/datapath/flow-key.ts parseMatch); actions
 * use dpctl text (src/datapath/actions.ts parseActions). A packet no rule
 * matches is dropped as no_matching_rule.
 */
import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

import { compileActions, formatActions, parseActions, type Action } from '../datapath/actions.js';
import { FLOW_KEY_SIZE } from '../datapath/batch-layout.js';
import { keyMatches, parseMatch, type KeyMask } from '../datapath/flow-key.js';
import { buildReceiver, buildTemplate, resolveTunnel, type DecapTables, type TunnelSpec } from '../tunnel/index.js';
import type { SlowPath, Translation, Upcall } from './upcall.js';

/** A static-rules file that cannot be used; `path` names the offending entry. */
export class StaticRulesError extends Error {
  readonly code = 'ERR_TOPOLOGY_STATIC_RULES';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'StaticRulesError';
  }
}

export interface StaticRule {
  priority: number;
  match: string;
  actions: string;
}

interface CompiledRule {
  index: number;
  priority: number;
  text: string;
  km: KeyMask;
  actions: Action[];
  program: Uint8Array;
}

export interface StaticRulesConfig {
  tunnels?: Record<string, TunnelSpec & { port?: number }>;
  /** Decap tables by name for tnl_pop(name); `port` = the tunnel port printed (default 2000 + position). */
  receivers?: Record<string, DecapTables & { port?: number }>;
  rules: StaticRule[];
}

export class StaticRules implements SlowPath {
  readonly version: number;
  private readonly rules: CompiledRule[];
  private readonly noMatch = compileActions([{ type: 'drop', reason: 'no_matching_rule' }]);
  private readonly allMask = new Uint8Array(FLOW_KEY_SIZE);

  constructor(config: StaticRulesConfig, version = 1) {
    this.version = version;
    if (!config || !Array.isArray(config.rules)) throw new StaticRulesError('rules', 'expected a list of rules');
    const tunnels = new Map<string, { tunnelPort: number; template: Uint8Array }>();
    Object.entries(config.tunnels ?? {}).forEach(([name, spec], i) => {
      try {
        const { port, ...rest } = spec;
        tunnels.set(name, { tunnelPort: port ?? 1000 + i, template: buildTemplate(resolveTunnel(rest as TunnelSpec, `tunnels.${name}`)) });
      } catch (err) {
        throw new StaticRulesError(`tunnels.${name}`, (err as Error).message);
      }
    });
    const receivers = new Map<string, { tunnelPort: number; receiver: Uint8Array }>();
    Object.entries(config.receivers ?? {}).forEach(([name, spec], i) => {
      try {
        const { port, ...tables } = spec;
        receivers.set(name, { tunnelPort: port ?? 2000 + i, receiver: buildReceiver(tables) });
      } catch (err) {
        throw new StaticRulesError(`receivers.${name}`, (err as Error).message);
      }
    });
    this.rules = config.rules.map((r, index) => {
      const path = `rules[${index}]`;
      if (r === null || typeof r !== 'object') throw new StaticRulesError(path, 'expected an object with match and actions');
      const priority = r.priority ?? 0;
      if (!Number.isInteger(priority)) throw new StaticRulesError(`${path}.priority`, `expected an integer, received ${String(priority)}`);
      if (typeof (r.match ?? '') !== 'string') throw new StaticRulesError(`${path}.match`, 'expected a string');
      if (typeof r.actions !== 'string') throw new StaticRulesError(`${path}.actions`, 'expected a string of dpctl-style actions');
      let km: KeyMask;
      let actions: Action[];
      let program: Uint8Array;
      try {
        km = parseMatch(r.match ?? '', 'match');
      } catch (err) {
        throw new StaticRulesError(`${path}.match`, (err as Error).message);
      }
      try {
        actions = parseActions(r.actions, tunnels, receivers);
        if (actions.length === 0 || (actions.length === 1 && actions[0].type === 'drop' && !actions[0].reason)) actions = [{ type: 'drop', reason: 'rule_drop' }];
        program = compileActions(actions);
      } catch (err) {
        throw new StaticRulesError(`${path}.actions`, (err as Error).message);
      }
      return { index, priority, text: r.match ?? '', km, actions, program };
    });
    this.rules.sort((a, b) => b.priority - a.priority || a.index - b.index);
    for (const r of this.rules) for (let k = 0; k < FLOW_KEY_SIZE; k++) this.allMask[k] |= r.km.mask[k];
  }

  /** Loads a YAML rules file. */
  static load(file: string, version = 1): StaticRules {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new StaticRulesError(file, (err as Error).message);
    }
    return new StaticRules(doc as StaticRulesConfig, version);
  }

  translate(upcall: Upcall): Translation {
    const mask = new Uint8Array(FLOW_KEY_SIZE);
    for (const r of this.rules) {
      for (let k = 0; k < FLOW_KEY_SIZE; k++) mask[k] |= r.km.mask[k];
      if (keyMatches(upcall.key, r.km)) {
        return { actions: r.program, mask, trace: [`rule ${r.index} (priority ${r.priority}) ${r.text || '(any)'} -> ${formatActions(r.actions)}`] };
      }
    }
    return { actions: this.noMatch, mask, trace: ['no rule matches -> drop(no_matching_rule)'] };
  }
}
