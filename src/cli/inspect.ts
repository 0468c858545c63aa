/** `vswitch-sim inspect FILE`: one line (or one JSON object) per packet. */
import { Command, InvalidArgumentError } from 'commander';

import { inspectCapture } from '../inspect/inspect.js';
import { formatInspectJson, formatInspectLine } from '../inspect/format.js';
import { writeLine } from './output.js';

function portList(value: string): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${s}" is not a UDP port number`);
    return n;
  });
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('decode every packet of a capture: layers, addresses, VNIs/labels, checksum verdicts')
    .argument('<file>', 'pcap or pcapng capture')
    .option('--json', 'one JSON object per line')
    .option('--vxlan-ports <list>', 'UDP ports decoded as VXLAN (comma-separated)', portList)
    .option('--geneve-ports <list>', 'UDP ports decoded as Geneve', portList)
    .option('--mpls-udp-ports <list>', 'UDP ports decoded as MPLS over UDP', portList)
    .action(async (file: string, opts: { json?: boolean; vxlanPorts?: number[]; genevePorts?: number[]; mplsUdpPorts?: number[] }) => {
      const format = opts.json ? formatInspectJson : formatInspectLine;
      let malformed = 0;
      for await (const record of inspectCapture(file, {
        vxlanPorts: opts.vxlanPorts,
        genevePorts: opts.genevePorts,
        mplsUdpPorts: opts.mplsUdpPorts,
      })) {
        if (record.error) malformed++;
        if (!(await writeLine(format(record)))) return;
      }
      if (malformed && !opts.json) process.stderr.write(`${malformed} malformed packet(s)\n`);
    });
}
