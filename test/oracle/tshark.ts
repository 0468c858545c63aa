/**
 * tshark as an independent decoder: per frame, the protocol stack and every
 * checksum verdict, in document order of tshark's PDML (so each verdict stays
 * attached to the layer it belongs to, even when a protocol repeats).
 *
 * Verdicts are read with checksum validation on and IP reassembly off (we
 * decode frames one at a time, as a datapath sees them).
 */
import { execFileSync } from 'node:child_process';

/** tshark's `*.checksum.status` values. */
export const TSHARK_STATUS = { 0: 'bad', 1: 'good', 2: 'unverified', 3: 'absent', 4: 'illegal' } as const;

export interface TsharkLayer {
  /** tshark's protocol name (`ip`, `ipv6.fraghdr`, `pwethcw`, ...). */
  proto: string;
  /** Verdict of the layer's own checksum, when tshark checked one. */
  status?: (typeof TSHARK_STATUS)[keyof typeof TSHARK_STATUS];
}

export interface TsharkFrame {
  number: number;
  /** `frame.protocols`, split. */
  protocols: string[];
  /** Protocol elements in PDML document order, with their checksum verdicts. */
  layers: TsharkLayer[];
  /** Messages of expert infos of severity Error other than checksum ones (malformed, protocol). */
  errors: string[];
}

const EXPERT_SEVERITY_ERROR = '8388608';
const EXPERT_GROUP_CHECKSUM = '16777216';

const CHECKSUMMED = new Set(['ip', 'tcp', 'udp', 'icmp', 'icmpv6', 'gre']);

export const TSHARK_ARGS = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
  '-o', 'ip.defragment:FALSE',
  '-o', 'ipv6.defragment:FALSE',
  '-o', 'tcp.desegment_tcp_streams:FALSE',
];

/** Throws with a clear message when tshark is not installed (the test must fail, not skip). */
export function requireTshark(): void {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'pipe' });
  } catch {
    throw new Error('tshark is not installed: the differential tests need it (`apt-get install tshark`, as .ci/run does)');
  }
}

const unescape = (s: string): string =>
  s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Decodes a capture with tshark. `extra` adds options such as `-d` decode-as rules. */
export function tsharkDecode(file: string, extra: string[] = []): TsharkFrame[] {
  const pdml = execFileSync('tshark', ['-r', file, ...TSHARK_ARGS, ...extra, '-T', 'pdml'], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const frames: TsharkFrame[] = [];
  let frame: TsharkFrame | undefined;
  let expert = { message: '', severity: '' };
  const protoRe = /<proto name="([^"]+)"/;
  const fieldRe = /<field name="([^"]+)"[^>]*?\sshow="([^"]*)"/;
  for (const line of pdml.split('\n')) {
    if (line.startsWith('<packet>')) {
      frame = { number: frames.length + 1, protocols: [], layers: [], errors: [] };
      expert = { message: '', severity: '' };
      frames.push(frame);
      continue;
    }
    if (!frame) continue;
    const p = protoRe.exec(line);
    if (p) {
      if (p[1] !== 'geninfo' && p[1] !== 'frame' && p[1] !== 'fake-field-wrapper') frame.layers.push({ proto: p[1] });
      continue;
    }
    const f = fieldRe.exec(line);
    if (!f) continue;
    const [, name, show] = f;
    if (name === '_ws.expert.message') {
      expert = { message: unescape(show), severity: '' };
    } else if (name === '_ws.expert.severity') {
      expert.severity = show;
    } else if (name === '_ws.expert.group') {
      if (expert.severity === EXPERT_SEVERITY_ERROR && show !== EXPERT_GROUP_CHECKSUM) frame.errors.push(expert.message);
    } else if (name === 'frame.protocols') {
      frame.protocols = unescape(show).split(':');
    } else if (name.endsWith('.checksum.status')) {
      const proto = name.slice(0, -'.checksum.status'.length);
      if (!CHECKSUMMED.has(proto)) continue;
      for (let k = frame.layers.length - 1; k >= 0; k--) {
        if (frame.layers[k].proto === proto) {
          frame.layers[k].status = TSHARK_STATUS[Number(show) as keyof typeof TSHARK_STATUS];
          break;
        }
      }
    }
  }
  return frames;
}
