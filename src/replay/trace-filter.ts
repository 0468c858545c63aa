/**
 * `replay --trace FILTER`: which replayed packets get a per-packet trace.
 *
 * FILTER is a comma-separated list of selectors:
 *   - `#N`: frame N (1-based, as tshark numbers frames) of any input;
 *   - `FILE#N`: frame N of the input whose file is FILE (as given to `--in`,
 *     or its base name: `vm1.pcap#12`);
 *   - every other token is part of one flow match in `ovs-ofctl` syntax
 *     (`tcp,nw_dst=192.0.2.10`, `in_port=vm1`, `dl_src=fa:16:3e:00:00:01`,
 *     masks and CIDR as in flows), parsed with the OVS model's match parser
 *     and evaluated on the fields of the packet as captured (OVS's
 *     flow_extract, src/ovs/flow.ts); its fields AND together.
 * A packet is selected when it is one of the frames named, or (when a flow
 * match is given) its fields match. `in_port` is the port the input is
 * injected at, by name or OpenFlow number. As in the model's flows, a field
 * is compared whatever the packet's type (`nw_dst` alone also compares ARP's
 * target address, which OVS keeps in the same field).
 *
 * Errors name the bad token in one line (code ERR_USAGE_TRACE_FILTER).
 */
import { basename } from 'node:path';

import type { FieldName } from '../ovs/fields.js';
import { FlowSyntaxError } from '../ovs/flow-syntax-error.js';
import { parseMatch, type FieldMatch } from '../ovs/flow-parser.js';
import { extractFlow } from '../ovs/flow.js';
import { splitTopLevel } from '../split-top-level.js';

export class TraceFilterError extends Error {
  readonly code = 'ERR_USAGE_TRACE_FILTER';
  constructor(message: string) {
    super(message);
    this.name = 'TraceFilterError';
  }
}

/** One frame of one input (or of any input). */
export interface FrameSelector {
  /** The input's file as written (matched against the path given to --in or its base name); undefined: any input. */
  input?: string;
  /** 1-based frame number. */
  frame: number;
}

/** A replayed packet as the filter sees it. */
export interface TracedPacket {
  /** The input file it came from (as given to --in). */
  input: string;
  /** 1-based frame number in that input. */
  frame: number;
  /** The frame as captured. */
  bytes: Uint8Array;
  /** The port it is injected at: its name and OpenFlow number (ofport; undefined when the host has none). */
  port: { name: string; ofport?: number };
}

export interface TraceFilter {
  readonly frames: readonly FrameSelector[];
  /** The flow match text (tokens joined), when one was given. */
  readonly flowText?: string;
  /** True when the packet is selected. */
  matches(p: TracedPacket): boolean;
}

const FRAME_TOKEN = /^(.*)#(\d+)$/;

/** Splits on top-level commas (commas inside parentheses, e.g. in masks, stay); trimmed. */
function tokens(text: string): string[] {
  return splitTopLevel(text).map((t) => t.trim());
}

/** The token of `text` that covers 1-based column `column`. */
function tokenAt(text: string, column: number): string {
  const at = Math.max(0, Math.min(text.length - 1, column - 1));
  const start = text.lastIndexOf(',', at - 1) + 1;
  const end = text.indexOf(',', at);
  return text.slice(start, end < 0 ? text.length : end);
}

/** Parses a --trace FILTER; throws TraceFilterError naming the bad token. */
export function parseTraceFilter(filter: string): TraceFilter {
  const where = `--trace "${filter}"`;
  if (filter.trim() === '') throw new TraceFilterError(`${where}: empty filter (give #N, FILE#N or a flow match such as tcp,nw_dst=192.0.2.10)`);
  const frames: FrameSelector[] = [];
  const flowTokens: string[] = [];
  for (const tok of tokens(filter)) {
    if (tok === '') throw new TraceFilterError(`${where}: empty selector between commas`);
    const m = FRAME_TOKEN.exec(tok);
    if (m) {
      const n = Number(m[2]);
      if (!Number.isSafeInteger(n) || n < 1) throw new TraceFilterError(`${where}: bad token "${tok}": frame numbers start at 1 (as tshark counts)`);
      frames.push({ ...(m[1] !== '' ? { input: m[1] } : {}), frame: n });
    } else if (tok.includes('#')) {
      throw new TraceFilterError(`${where}: bad token "${tok}": expected #N or FILE#N with N a frame number`);
    } else flowTokens.push(tok);
  }
  let match: Map<FieldName, FieldMatch> | undefined;
  let inPortName: string | undefined;
  const flowText = flowTokens.length ? flowTokens.join(',') : undefined;
  if (flowText !== undefined) {
    try {
      const pm = parseMatch(flowText);
      if (pm.table !== undefined || pm.priority !== undefined)
        throw new TraceFilterError(`${where}: bad token "${flowTokens.find((t) => /^(table|priority)\s*=/.test(t)) ?? 'table'}": a filter matches packet fields, not table or priority`);
      match = pm.match;
      inPortName = pm.inPortName;
    } catch (err) {
      if (err instanceof FlowSyntaxError) throw new TraceFilterError(`${where}: bad token "${tokenAt(flowText, err.column)}": ${err.reason}`);
      throw err;
    }
  }
  const frameHit = (p: TracedPacket): boolean =>
    frames.some((s) => s.frame === p.frame && (s.input === undefined || s.input === p.input || s.input === basename(p.input)));
  const flowHit = (p: TracedPacket): boolean => {
    if (!match) return false;
    if (inPortName !== undefined && inPortName !== p.port.name) return false;
    const f = extractFlow(p.bytes, p.port.ofport ?? 0);
    for (const [name, m] of match) {
      if (name === 'in_port' && p.port.ofport === undefined) return false;
      if ((f[name] & m.mask) !== m.value) return false;
    }
    return true;
  };
  return {
    frames,
    ...(flowText !== undefined ? { flowText } : {}),
    matches: (p) => frameHit(p) || flowHit(p),
  };
}
