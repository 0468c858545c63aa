/**
 * One pcap per port that transmitted traffic: `DIR/HOST-PORT.pcap`, opened
 * on the port's first packet. Files are written under temporary names and
 * renamed by close() (PcapWriter), so an interrupted replay leaves only
 * complete files; abort() removes the temporary files instead.
 */
import { join } from 'node:path';

import { LinkType, PcapWriter, type BatchPackets } from '../pcap/index.js';

export class PortOutputs {
  /** Writers by file name (the order close() reports them in). */
  private readonly writers = new Map<string, PcapWriter>();
  /** The same writers by host, then port: the per-frame lookup builds no string. */
  private readonly byHost = new Map<string, Map<string, PcapWriter>>();
  private readonly opening = new Map<string, Promise<PcapWriter>>();

  constructor(readonly dir: string) {}

  /** The file name a port's output gets. */
  static fileName(host: string, port: string): string {
    return `${host}-${port}.pcap`;
  }

  /**
   * Appends one frame to the port's file (the frame is copied before this
   * returns). Returns undefined when there is nothing to wait for, else a
   * Promise to await before the next write (the port's file is being
   * created, or a full buffer is being written): awaiting it keeps memory
   * bounded. Rejects with ERR_CAPTURE_WRITE on a write error.
   */
  write(host: string, port: string, frame: Uint8Array, tsSec: number, tsNsec: number, wireLength = frame.length): Promise<void> | undefined {
    const w = this.byHost.get(host)?.get(port);
    if (w) return w.append(frame, tsSec, tsNsec, wireLength);
    const copy = frame.slice();
    return this.open(host, port).then((opened) => opened.append(copy, tsSec, tsNsec, wireLength));
  }

  /**
   * write() of many packets at once (PcapWriter.appendPackets). The batches
   * and arrays must stay unchanged until a returned Promise settles (the
   * port's file may still be being created).
   */
  writePackets(host: string, port: string, packets: BatchPackets): Promise<void> | undefined {
    const w = this.byHost.get(host)?.get(port);
    if (w) return w.appendPackets(packets);
    return this.open(host, port).then((opened) => opened.appendPackets(packets));
  }

  private async open(host: string, port: string): Promise<PcapWriter> {
    const name = PortOutputs.fileName(host, port);
    let p = this.opening.get(name);
    if (!p) {
      p = PcapWriter.create(join(this.dir, name), { linkType: LinkType.ETHERNET });
      this.opening.set(name, p);
    }
    const w = await p;
    if (!this.writers.has(name)) {
      this.writers.set(name, w);
      let ports = this.byHost.get(host);
      if (!ports) this.byHost.set(host, (ports = new Map()));
      ports.set(port, w);
    }
    return w;
  }

  /** Closes every file (renaming it to its final name); resolves to the file names and packet counts. */
  async close(): Promise<{ file: string; packets: number }[]> {
    await Promise.allSettled(this.opening.values());
    const out: { file: string; packets: number }[] = [];
    for (const [name, w] of [...this.writers].sort((a, b) => a[0].localeCompare(b[0]))) {
      await w.close();
      out.push({ file: name, packets: w.count });
    }
    this.writers.clear();
    this.byHost.clear();
    return out;
  }

  /** Removes every temporary file (after a failure). */
  async abort(): Promise<void> {
    await Promise.allSettled(this.opening.values());
    await Promise.all([...this.writers.values()].map((w) => w.abort()));
    this.writers.clear();
    this.byHost.clear();
  }
}
