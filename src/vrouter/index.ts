/** The Contrail / Tungsten Fabric vRouter model: tables, forwarding, controller builder, views. */
export * from './config.js';
export { buildFromController, controllerSchema, type ControllerConfig, type ControllerInput } from './controller.js';
export { VrouterFabric, type FabricDelivery, type FabricEvent } from './fabric.js';
export { Vrouter, type VrOutput, type VrResult } from './forward.js';
export { VrouterStats, type FlowEntry, type VifCounters, type VrouterCountersJson } from './stats.js';
export { OuterIpIds } from './outer-ip-id.js';
export { accountDatapathPacket } from './datapath-counters.js';
export { VROUTER_MAC, VrouterTables } from './tables.js';
export { loadVrouterHosts, vrouterHostsOf, VROUTER_HOST_KIND } from './topology.js';
export { COOKIE_SLOW_PATH, RECIRC_FABRIC, VrouterSlowPath, type PacketOut } from './slow-path.js';
export { VrouterDatapathFabric } from './datapath-fabric.js';
