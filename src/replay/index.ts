/**
 * Replay of captures through multi-host topologies.
 *
 *   const report = await replay({ topology: 'topo.yaml', inputs: [{ host: 'compute1', port: 'vm1', file: 'vm1.pcap' }], outDir: 'out' });
 *   process.stdout.write(reportText(report));
 */
export { replay, type ReplayOptions } from './replay.js';
export { parseReplayInput, type ReplayInput } from './replay-input.js';
export { ReplayError } from './replay-error.js';
export { reportJson, reportText, type ReplayReport, type PortCounters, type DropCount, type TunnelUse, type PacketOrigin, type PacketTrace, type VrouterHostCounters } from './replay-report.js';
export type { HostRuntime, HostOutput, ModelOutcome } from './host-runtime.js';
