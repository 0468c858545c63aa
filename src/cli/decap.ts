/**
 * `vswitch-sim decap`: strips VXLAN / MPLSoUDP / MPLSoGRE headers from the
 * frames of a capture, keeping the inner frames; other frames are dropped
 * with a named reason (summary on stderr).
 *   vswitch-sim decap --vni 100 IN.pcap OUT.pcap
 *   vswitch-sim decap --label 21:ip --label 46:ethernet:cw IN.pcap OUT.pcap
 */
import type { Command } from 'commander';

import { decapCapture, type CaptureRunSummary } from '../tunnel/capture.js';
import type { DecapTables, GreFlag, LabelEntry } from '../tunnel/receiver.js';
import { printSummary, usageError } from './encap.js';

interface DecapOptions {
  vni: string[];
  label: string[];
  vxlanPort?: string;
  mplsoudpPort?: string;
  greAccept?: string;
  allowZeroCsumIpv6?: boolean;
  keepInnerVlan?: boolean;
  acceptPartialChecksum?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** "21:ip", "46:ethernet" or "46:ethernet:cw" (an IP payload gets the default MACs of LabelEntry). */
function labelOf(text: string): LabelEntry {
  const [label, payload = 'ip', cw] = text.split(':');
  if (!/^\d+$/.test(label) || (payload !== 'ip' && payload !== 'ethernet') || (cw !== undefined && cw !== 'cw'))
    throw usageError(`expected --label LABEL[:ip|:ethernet[:cw]], received "${text}"`);
  return { label: Number(label), payload, ...(cw ? { controlWord: true } : {}) };
}

export function registerDecap(program: Command): void {
  program
    .command('decap')
    .description('decapsulate the VXLAN, MPLSoUDP and MPLSoGRE frames of a capture')
    .argument('<in>', 'input capture (pcap or pcapng)')
    .argument('<out>', 'output pcap of the inner frames')
    .option('--vni <n>', 'accepted VXLAN VNI (repeat; default: any)', collect, [])
    .option('--label <spec>', 'label table entry LABEL[:ip|:ethernet[:cw]] (repeat)', collect, [])
    .option('--vxlan-port <n>', 'VXLAN UDP port (default 4789)')
    .option('--mplsoudp-port <n>', 'MPLSoUDP UDP port (default 6635)')
    .option('--gre-accept <flags>', 'accepted GRE flags, e.g. C,K (default, as vRouter) or C,K,S')
    .option('--allow-zero-csum-ipv6', 'accept zero outer UDP checksums over IPv6')
    .option('--keep-inner-vlan', 'keep decapsulated frames that carry a VLAN tag')
    .option('--accept-partial-checksum', 'accept outer UDP checksums left to offload (captures taken before the NIC)')
    .action(async (inPath: string, outPath: string, o: DecapOptions) => {
      let summary: CaptureRunSummary;
      try {
        const tables: DecapTables = {
          vxlan: { vnis: o.vni.length ? o.vni.map(Number) : 'any', ...(o.vxlanPort ? { port: Number(o.vxlanPort) } : {}) },
          mplsoudp: o.mplsoudpPort ? { port: Number(o.mplsoudpPort) } : {},
          mplsogre: o.greAccept ? { acceptFlags: o.greAccept.split(',').map((f) => f.trim().toUpperCase() as GreFlag) } : {},
          labels: o.label.map(labelOf),
          allowZeroUdpChecksumIpv6: !!o.allowZeroCsumIpv6,
          discardInnerVlan: !o.keepInnerVlan,
          acceptPartialChecksum: !!o.acceptPartialChecksum,
        };
        summary = await decapCapture(inPath, outPath, tables);
      } catch (err) {
        throw err instanceof TypeError || err instanceof RangeError ? usageError(err) : err;
      }
      printSummary(summary);
    });
}
