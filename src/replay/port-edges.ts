/**
 * What happens at a host's edge ports, outside the switch: a frame a capture
 * injects at a port (a guest's tap: the guest's offloads decide what the
 * switch receives) and a frame the switch transmits on a port (a NIC: its
 * offloads and faults decide what reaches the wire or the guest).
 *
 * Contract with `replay()`: `ingress()` runs on every captured frame before
 * the switch sees it, `egress()` on every frame the switch transmits, before
 * it is written to DIR/HOST-PORT.pcap and before the fabric carries it. Each
 * returns the frames to go on with (zero, one or several) and drop-reason
 * names (native/drop_reasons.def) for frames it dropped.
 */

export interface EdgeResult {
  frames: Uint8Array[];
  drops: string[];
}

export class PortEdges {
  /** A frame captured at `host:port`, entering the switch there. */
  ingress(_host: string, _port: string, frame: Uint8Array): EdgeResult {
    return { frames: [frame], drops: [] };
  }

  /** A frame the switch transmits on `host:port`. */
  egress(_host: string, _port: string, frame: Uint8Array): EdgeResult {
    return { frames: [frame], drops: [] };
  }
}
