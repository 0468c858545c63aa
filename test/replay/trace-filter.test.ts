/**
 * replay --trace FILTER: parsing (frame selectors, the ovs-ofctl match,
 * one-line errors naming the bad token) and matching, with tshark's display
 * filters over the same captures as the independent judge of which frames a
 * flow match selects.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { openCapture } from '../../src/pcap/index.js';
import { parseTraceFilter, TraceFilterError, type TracedPacket } from '../../src/replay/trace-filter.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'examples', 'neutron-vxlan', 'pcaps');

async function packets(file: string, port: { name: string; ofport?: number }): Promise<TracedPacket[]> {
  const r = await openCapture(file);
  const out: TracedPacket[] = [];
  let n = 0;
  for await (const rec of r.records()) out.push({ input: file, frame: ++n, bytes: rec.data.slice(), port });
  await r.close();
  return out;
}

/** Frame numbers tshark selects with a display filter. */
function tsharkFrames(file: string, display: string): number[] {
  const out = execFileSync('tshark', ['-r', file, '-Y', display, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map(Number);
}

describe('parseTraceFilter', () => {
  it('splits frame selectors from the flow match', () => {
    const f = parseTraceFilter('#12,vm1.pcap#3,tcp,nw_dst=192.0.2.10');
    expect(f.frames).toEqual([{ frame: 12 }, { input: 'vm1.pcap', frame: 3 }]);
    expect(f.flowText).toBe('tcp,nw_dst=192.0.2.10');
    expect(parseTraceFilter('#1').flowText).toBeUndefined();
  });

  it('names the bad token in a one-line error with a stable code', () => {
    const bad: [string, string][] = [
      ['tcp,nw_dstt=192.0.2.1', '"nw_dstt=192.0.2.1"'],
      ['tcp,tp_dst=80x', '"tp_dst=80x"'],
      ['#0', '"#0"'],
      ['vm1.pcap#x', '"vm1.pcap#x"'],
      ['#1,,tcp', 'empty selector'],
      ['', 'empty filter'],
      ['priority=5,tcp', '"priority=5"'],
    ];
    for (const [text, token] of bad) {
      let err: unknown;
      try {
        parseTraceFilter(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(TraceFilterError);
      const e = err as TraceFilterError;
      expect(e.code).toBe('ERR_USAGE_TRACE_FILTER');
      expect(e.message).toContain(token);
      expect(e.message).not.toContain('\n');
    }
  });
});

describe('TraceFilter.matches', () => {
  const vm1 = join(PCAPS, 'vm1.pcap');
  const vm3 = join(PCAPS, 'vm3.pcap');

  // [our filter, the tshark display filter selecting the same frames]
  const CASES: [string, string][] = [
    ['tcp,nw_dst=192.0.2.2', 'tcp && ip.dst == 192.0.2.2'],
    ['udp', 'udp'],
    ['icmp', 'icmp'],
    ['icmp,icmp_type=0', 'icmp.type == 0'],
    ['arp', 'arp'],
    ['arp,arp_op=1', 'arp.opcode == 1'],
    ['ip,nw_src=192.0.2.0/24', 'ip.src == 192.0.2.0/24'],
    // the model keeps ARP's target address in nw_dst, as OVS's struct flow does
    ['nw_dst=192.0.2.1', 'ip.dst == 192.0.2.1 || arp.dst.proto_ipv4 == 192.0.2.1'],
    ['dl_dst=fa:16:3e:00:00:03', 'eth.dst == fa:16:3e:00:00:03'],
    ['dl_src=fa:16:3e:00:00:00/ff:ff:ff:ff:ff:fe', 'eth.src == fa:16:3e:00:00:00 || eth.src == fa:16:3e:00:00:01'],
    ['tcp,tp_dst=80', 'tcp.dstport == 80'],
    ['udp,tp_src=40000', 'udp.srcport == 40000'],
  ];
  // one tshark run per case (tshark's start-up dominates): the cases alternate between the two captures
  CASES.forEach(([flow, display], k) => {
    const file = k % 2 ? vm3 : vm1;
    it(`${flow} selects the frames tshark's "${display}" selects in ${file.split('/').pop()}`, async () => {
      const f = parseTraceFilter(flow);
      const got = (await packets(file, { name: 'vm1', ofport: 1 })).filter((p) => f.matches(p)).map((p) => p.frame);
      expect(got).toEqual(tsharkFrames(file, display));
    });
  });

  it('selects frames by number, in any input or in the named one (path or base name)', async () => {
    const all = [...(await packets(vm1, { name: 'vm1', ofport: 1 })), ...(await packets(vm3, { name: 'vm3', ofport: 1 }))];
    const pick = (text: string): string[] => all.filter((p) => parseTraceFilter(text).matches(p)).map((p) => `${p.input.split('/').pop()}#${p.frame}`);
    expect(pick('#2')).toEqual(['vm1.pcap#2', 'vm3.pcap#2']);
    expect(pick('vm3.pcap#2')).toEqual(['vm3.pcap#2']);
    expect(pick(`${vm1}#3,vm3.pcap#1`)).toEqual(['vm1.pcap#3', 'vm3.pcap#1']);
  });

  it('matches in_port by the input port name or number', async () => {
    const p = (await packets(vm1, { name: 'vm1', ofport: 4 }))[0];
    expect(parseTraceFilter('in_port=vm1').matches(p)).toBe(true);
    expect(parseTraceFilter('in_port=vm2').matches(p)).toBe(false);
    expect(parseTraceFilter('in_port=4').matches(p)).toBe(true);
    expect(parseTraceFilter('in_port=5').matches(p)).toBe(false);
  });
});
