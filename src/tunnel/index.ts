/** Tunnels: VXLAN, MPLSoUDP and MPLSoGRE encap and decap (native fast path, TypeScript slow path). */
export { formatIp, formatMappedIp, parseIp, parseMac } from './addr.js';
export { decapCapture, encapCapture, type CaptureRunSummary } from './capture.js';
export { CompiledReceiver, decapBatch, type DecapResult, type TunnelInfo } from './decap.js';
export { CompiledTunnels, encapBatch } from './encap.js';
export { buildReceiver, type DecapTables, type GreFlag, type LabelEntry } from './receiver.js';
export {
  resolveTunnel,
  tunnelOverhead,
  type DfMode,
  type IpIdMode,
  type MplsPayloadKind,
  type ResolvedTunnel,
  type TunnelKind,
  type TunnelSpec,
} from './spec.js';
export { buildOuterHeader, buildTemplate, TEMPLATE_SIZE, type OuterHeader } from './template.js';
export { SRC_PORT_PROFILES, udpSrcPort, type SrcPortProfile, type SrcPortRange } from './udp-src-port.js';
