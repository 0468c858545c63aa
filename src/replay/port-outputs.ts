/**
 * One pcap per port that transmitted traffic: `DIR/HOST-PORT.pcap`, opened
 * on the port's first packet. Files are written under temporary names and
 * renamed by close() (PcapWriter), so an interrupted replay leaves only
 * complete files; abort() removes the temporary files instead.
 */
import { join } from 'node:path';

import { LinkType, PcapWriter } from '../pcap/index.js';

export class PortOutputs {
  private readonly writers = new Map<string, PcapWriter>();
  private readonly opening = new Map<string, Promise<PcapWriter>>();

  constructor(readonly dir: string) {}

  /** The file name a port's output gets. */
  static fileName(host: string, port: string): string {
    return `${host}-${port}.pcap`;
  }

  /** Appends one frame to the port's file (awaited: memory stays bounded). */
  async write(host: string, port: string, frame: Uint8Array, tsSec: number, tsNsec: number): Promise<void> {
    const name = PortOutputs.fileName(host, port);
    let w = this.writers.get(name);
    if (!w) {
      let p = this.opening.get(name);
      if (!p) {
        p = PcapWriter.create(join(this.dir, name), { linkType: LinkType.ETHERNET });
        this.opening.set(name, p);
      }
      w = await p;
      this.writers.set(name, w);
    }
    await w.write(frame, tsSec, tsNsec);
  }

  /** Closes every file (renaming it to its final name); resolves to the file names and packet counts. */
  async close(): Promise<{ file: string; packets: number }[]> {
    const out: { file: string; packets: number }[] = [];
    for (const [name, w] of [...this.writers].sort((a, b) => a[0].localeCompare(b[0]))) {
      await w.close();
      out.push({ file: name, packets: w.count });
    }
    this.writers.clear();
    return out;
  }

  /** Removes every temporary file (after a failure). */
  async abort(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.abort()));
    this.writers.clear();
  }
}
