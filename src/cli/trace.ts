/**
 * `vswitch-sim trace TOPO --in HOST:PORT --packet SPEC [--json] [--learn]`:
 * ofproto/trace for a modelled OVS host.
 */
import { Command } from 'commander';

import { loadTopology } from '../model/load-topology.js';
import { TopologyError } from '../model/topology-error.js';
import { buildOvsHost } from '../ovs/build-host.js';
import { extractFlow, flowFromString } from '../ovs/flow.js';
import { resolvePacketSpec } from '../ovs/packet-spec.js';
import { traceJson, traceText } from '../ovs/trace-format.js';
import { writeLine } from './output.js';

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('trace one packet through a modelled OVS host, table by table (like ovs-appctl ofproto/trace)')
    .argument('<topology>', 'topology file (YAML)')
    .requiredOption('--in <host:port>', 'where the packet enters, e.g. compute1:vm1 (HOST: may be omitted with one host)')
    .requiredOption('--packet <spec>', 'flow (in_port=1,tcp,nw_dst=...), hex bytes, or FILE.pcap#N')
    .option('--json', 'print the trace as JSON')
    .action(async (file: string, opts: { in: string; packet: string; json?: boolean }) => {
      const topo = loadTopology(file);
      const colon = opts.in.lastIndexOf(':');
      const hostName = colon >= 0 ? opts.in.slice(0, colon) : undefined;
      const portName = colon >= 0 ? opts.in.slice(colon + 1) : opts.in;
      const hi = hostName === undefined ? (topo.hosts.length === 1 ? 0 : -1) : topo.hosts.findIndex((h) => h.name === hostName);
      if (hi < 0) throw new TopologyError('ERR_TOPOLOGY_REF', '', hostName === undefined ? 'several hosts: write --in HOST:PORT' : `no host "${hostName}"`, file);
      const hostConfig = topo.hosts[hi];
      if (hostConfig.kind !== 'ovs')
        throw new TopologyError('ERR_TOPOLOGY_REF', `hosts[${hi}]`, `host ${hostConfig.name} is a ${hostConfig.kind}: use \`vswitch-sim vrouter ... --trace\``, file);
      const host = buildOvsHost(hostConfig, `hosts[${hi}]`);
      const port = host.port(portName);
      if (!port) throw new TopologyError('ERR_TOPOLOGY_REF', '', `host ${topo.hosts[hi].name} has no port "${portName}"`, file);
      const spec = await resolvePacketSpec(opts.packet);
      const resolve = (name: string): number => {
        const p = port.bridge.portByRef(name);
        if (!p) throw new TopologyError('ERR_TOPOLOGY_REF', '', `bridge ${port.bridge.name} has no port "${name}"`, file);
        return p.ofport;
      };
      const flow = spec.kind === 'flow' ? flowFromString(spec.text, resolve) : extractFlow(spec.bytes, port.ofport);
      const result = host.translate(port, flow, false);
      await writeLine(opts.json ? JSON.stringify(traceJson(result), null, 2) : traceText(result));
    });
}
