/**
 * The controller description shared by the vRouter tests: two compute nodes
 * (192.0.2.11 and .12), networks red (10.1.1.0/24, VNI 5001) and blue
 * (10.2.2.0/24, VNI 5002) connected by a policy, one VM of each network on
 * each node.
 */
import type { ControllerInput } from '../../src/vrouter/index.js';

export const RED1 = '02:00:00:00:01:03';
export const RED2 = '02:00:00:00:01:04';
export const RED3 = '02:00:00:00:01:05';
export const BLUE1 = '02:00:00:00:02:03';
export const BLUE2 = '02:00:00:00:02:04';
/** vRouter's own MAC, the gateway of every VM. */
export const VR = '00:00:5e:00:01:00';

export function twoComputes(pref: ControllerInput['tunnelPreference'], extra: Partial<ControllerInput> = {}): ControllerInput {
  return {
    tunnelPreference: pref,
    computes: [
      { name: 'compute1', ip: '192.0.2.11', mac: '02:fa:00:00:00:11' },
      { name: 'compute2', ip: '192.0.2.12', mac: '02:fa:00:00:00:12' },
    ],
    networks: [
      { name: 'red', subnet: '10.1.1.0/24', vni: 5001 },
      { name: 'blue', subnet: '10.2.2.0/24', vni: 5002 },
    ],
    connect: [['red', 'blue']],
    vms: [
      { name: 'red1', network: 'red', compute: 'compute1', ip: '10.1.1.3', mac: RED1 },
      { name: 'red2', network: 'red', compute: 'compute2', ip: '10.1.1.4', mac: RED2 },
      { name: 'blue1', network: 'blue', compute: 'compute1', ip: '10.2.2.3', mac: BLUE1 },
      { name: 'blue2', network: 'blue', compute: 'compute2', ip: '10.2.2.4', mac: BLUE2 },
    ],
    ...extra,
  };
}
