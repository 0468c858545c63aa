/**
 * A slow path for upcall tests: port 1 <-> port 2, one megaflow per in_port
 * (every other field wildcarded); a packet from port 9 changes state (as
 * MAC learning): it bumps the version and installs nothing. Counts its
 * translations.
 */
import { FLOW_KEY_SIZE } from '../../src/datapath/batch-layout.js';
import { KEY_FIELDS, keyNumber } from '../../src/datapath/flow-key.js';
import type { SlowPath, Translation, Upcall } from '../../src/xlate/upcall.js';

export const IN_PORT_MASK = new Uint8Array(FLOW_KEY_SIZE).fill(0xff, KEY_FIELDS.in_port[0], KEY_FIELDS.in_port[0] + KEY_FIELDS.in_port[1]);

export class CountingSlowPath implements SlowPath {
  version = 1;
  calls = 0;
  translate(u: Upcall): Translation {
    this.calls++;
    const inPort = keyNumber(u.key, 'in_port');
    if (inPort === 9) {
      this.version++;
      return { actions: [{ type: 'drop', reason: 'rule_drop' }] };
    }
    return { actions: [{ type: 'output', port: inPort === 1 ? 2 : 1 }], mask: IN_PORT_MASK };
  }
}
