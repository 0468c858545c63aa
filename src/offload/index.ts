/** Offload: virtio metadata, checksum completion, software GSO, MTU, fragmentation, ICMP errors, reassembly. */
export * from './ops.js';
export * from './virtio-net-hdr.js';
export * from './pipeline.js';
export * from './receive.js';
export * from './tap-port.js';
