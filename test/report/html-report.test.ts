/**
 * The HTML replay report: a small replay (the Neutron VXLAN scenario, plus a
 * capture of frames OVS drops whose file name holds markup) written as a
 * page and loaded in headless Chromium: it loads without a console message
 * (no blocked resource, no error), shows the topology picture with both
 * hosts, the port table, the drop chart and table with each reason and its
 * example, and the file name as text (escaped, never as markup).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';

import { registerReplay } from '../../src/cli/replay.js';
import { packageRoot } from '../../src/datapath/native.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';
import { renderHtmlReport, writeHtmlReport } from '../../src/report/html-report.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { loadInChromium, requireChromium } from './chromium.js';

const dir = join(packageRoot(), 'examples', 'neutron-vxlan');
const topology = join(dir, 'topology.yaml');
const scenario: ReplayOptions['inputs'] = ['compute1:vm1', 'compute1:vm2', 'compute2:vm3', 'compute1:vm4', 'compute2:vm5'].map((s) => {
  const [host, port] = s.split(':');
  return { host, port, file: join(dir, 'pcaps', `${port}.pcap`) };
});

/** A file name a report must show as text: markup, an entity and a quote. */
const MARKUP_NAME = `x<b>y&amp;'z".pcap`;

/** A good frame and three that compute1's OVS drops, each for its own reason. */
async function writeFaults(file: string): Promise<void> {
  const w = await PcapWriter.create(file);
  const udp = (dst: string, tag?: number): Uint8Array =>
    buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst } }, ...(tag ? [{ vlan: { vid: tag } }] : []), { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1, dport: 9 } }], [1, 2, 3, 4]);
  await w.write(udp('fa:16:3e:00:00:02'), 1600000000, 0);
  await w.write(udp('01:80:c2:00:00:00'), 1600000000, 1000); // ovs_reserved_mac: NORMAL drops the STP range
  await w.write(udp('fa:16:3e:00:00:02', 7), 1600000000, 2000); // ovs_vlan_not_allowed: tagged on an access port
  await w.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 1600000000, 3000); // truncated_ethernet
  await w.close();
}

/** The text between `<tag id="ID"` and its closing tag (no nesting of the same tag inside). */
function element(dom: string, tag: string, id: string): string {
  const start = dom.search(new RegExp(`<${tag}\\b[^>]*\\bid="${id}"`));
  expect(start, `<${tag} id="${id}"> in the page`).toBeGreaterThanOrEqual(0);
  const end = dom.indexOf(`</${tag}>`, start);
  return dom.slice(start, end);
}

describe('replay --html: the page in headless Chromium', () => {
  let out: string;
  let report: ReplayReport;
  let page: string;
  let faults: string;

  beforeAll(async () => {
    requireChromium();
    out = mkdtempSync(join(tmpdir(), 'vs-html-'));
    const inDir = join(out, 'in');
    mkdirSync(inDir);
    faults = join(inDir, MARKUP_NAME);
    await writeFaults(faults);
    report = await replay({ topology, inputs: [...scenario, { host: 'compute1', port: 'vm1', file: faults }], outDir: join(out, 'ports'), inProcess: true });
    page = join(out, 'report.html');
    await writeHtmlReport(report, topology, page);
  }, 120_000);

  it('is written atomically and is self-contained (no script, no external resource)', () => {
    expect(readdirSync(out).sort()).toEqual(['in', 'ports', 'report.html']);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i);
    // the only URLs are the SVG and XLink namespace names of the inline SVG
    const urls = new Set(html.match(/https?:\/\/[^\s"'<>]+/g) ?? []);
    expect([...urls].sort()).toEqual(['http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/svg']);
  });

  it('loads without a console message and shows the topology, ports, drops and tunnels', () => {
    const r = loadInChromium(page);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.console).toEqual([]);
    // the topology picture: Graphviz's SVG with both hosts
    const topo = element(r.dom, 'section', 'topology');
    expect(topo).toContain('<svg');
    for (const h of ['compute1', 'compute2', 'underlay']) expect(topo).toMatch(new RegExp(`<text[^>]*>${h}</text>`));
    // the drops: the three reasons of the faults capture, each once, with the packet as tshark numbers it
    const drops = element(r.dom, 'table', 'drop-table');
    const rows = drops.split('<tr').slice(2);
    expect(rows).toHaveLength(3);
    for (const [reason, frame] of [['ovs_reserved_mac', 2], ['ovs_vlan_not_allowed', 3], ['truncated_ethernet', 4]] as const) {
      const row = rows.find((x) => x.includes(`>${reason}<`));
      expect(row, reason).toBeDefined();
      expect(row).toContain(`#${frame} at compute1:vm1`);
    }
    const chart = element(r.dom, 'svg', 'drop-chart');
    expect(chart.split('class="drop-row"')).toHaveLength(4);
    // the file name is text, not markup: no <b> element came from it
    expect(drops).toContain(`x&lt;b&gt;y&amp;amp;'z".pcap`); // MARKUP_NAME escaped by hand (quotes are text outside attributes)
    expect(r.dom).not.toContain('<b>y');
    // per-port counters and the tunnels used (the scenario carries VNI 100 and 200 both ways)
    const ports = element(r.dom, 'table', 'port-table');
    expect(ports).toMatch(/<td>compute1<\/td><td>vm1<\/td><td class="n">\d+<\/td><td class="n">\d+<\/td><td class="n">3<\/td>/);
    const tunnels = element(r.dom, 'table', 'tunnel-table');
    for (const vni of ['100', '200']) expect(tunnels).toContain(`<td class="n">VNI ${vni}</td>`);
    expect(element(r.dom, 'section', 'engines')).toContain('pmd thread numa_id 0 core_id 0:');
  });

  it('the console check catches what it is there for (a blocked external image)', () => {
    const bad = join(out, 'bad.html');
    writeFileSync(bad, renderHtmlReport(report).replace('</body>', '<img src="http://192.0.2.1/x.png"></body>'));
    expect(loadInChromium(bad).console.length).toBeGreaterThan(0);
  });
});

describe('renderHtmlReport', () => {
  const base = (): ReplayReport => ({
    topology: 't<1>.yaml',
    inputs: [{ host: 'h&1', port: 'p"1', file: '<f>.pcap', packets: 1 }],
    outDir: "o'ut",
    pmds: 1,
    cache: true,
    interrupted: true,
    wallMs: 5,
    packets: { captured: 1, underlay: 0, malformed: 0, modelFallback: 0 },
    fallbackReasons: [{ reason: '<why>', packets: 1 }],
    underlay: { carried: 0, unrouted: 0, mtuDrops: 0, vlanDrops: 0, fragments: 0, reassembled: 0, heldFragments: 0, pmtudAnswers: 0 },
    edges: { guestPartialCsum: 0, guestSuperFrames: 0, segments: 0, softwareCsum: 0, nicCsum: 0, faults: {}, mtuDrops: 0, reassembled: 0 },
    ports: [{ host: 'h&1', port: 'p"1', rx: 1, tx: 0, drops: 1 }],
    drops: [
      { reason: 'few', text: 'a < b', count: 1, example: { file: '<f>.pcap', index: 0, host: 'h&1', port: 'p"1' } },
      { reason: 'many', text: 'x & y', count: 7, example: { file: '<f>.pcap', index: 4, host: 'h&1', port: 'p"1', viaUnderlay: true } },
    ],
    tunnels: [],
    outputs: [{ file: '<o>.pcap', packets: 0 }],
    engines: [],
  });

  it('escapes every name from the run and orders the chart by count', async () => {
    const html = renderHtmlReport(base(), { topologySvg: '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><text>pic</text></svg>' });
    for (const raw of ['t<1>.yaml', '<f>.pcap', '<o>.pcap', '<why>', 'a < b']) expect(html).not.toContain(raw);
    for (const esc of ['t&lt;1&gt;.yaml', 'h&amp;1', 'p&quot;1', 'o&#39;ut', '&lt;f&gt;.pcap', '&lt;why&gt;', 'a &lt; b', 'x &amp; y']) expect(html).toContain(esc);
    expect(html).toContain('id="interrupted"');
    expect(html).not.toContain('<?xml');
    const chart = html.slice(html.indexOf('id="drop-chart"'), html.indexOf('</svg>', html.indexOf('id="drop-chart"')));
    expect(chart.indexOf('>many<')).toBeLessThan(chart.indexOf('>few<'));
    expect(html).toContain('#5 (via the underlay)');
  });

  it('shows the fabric and edge-port counters, NIC fault names escaped', () => {
    const r = base();
    r.underlay = { ...r.underlay, mtuDrops: 2, pmtudAnswers: 1 };
    r.edges = { ...r.edges, nicCsum: 5, faults: { '<bad-hw-csum>': 5 } };
    const html = renderHtmlReport(r);
    expect(html).toContain('2 MTU drops');
    expect(html).toContain('1 PMTU answers');
    expect(html).toContain('5 by NICs');
    expect(html).toContain('NIC faults: &lt;bad-hw-csum&gt; 5');
  });

  it('shows tunnel labels and vRouter hosts\' vif and drop counters when the report has them', () => {
    const r = {
      ...base(),
      tunnels: [{ from: 'a', to: 'b', type: 'other', packets: 2, label: 17 }],
      vrouters: [{ host: 'c<1>', vifs: [{ id: 3, name: 'tap<x>', rxPackets: 4, rxBytes: 400, txPackets: 1, txBytes: 100, drops: 2 }], drops: { '<no_route>': 2 }, flows: [{}, {}] }],
    } as unknown as ReplayReport;
    const html = renderHtmlReport(r);
    expect(html).toContain('<td class="n">label 17</td>');
    const vr = html.slice(html.indexOf('<section id="vrouters">'));
    expect(vr).toContain('<h3>c&lt;1&gt;</h3>');
    expect(vr).toContain('<p>2 flow(s)</p>');
    expect(vr).toContain('<tr class="bad"><td>vif0/3 tap&lt;x&gt;</td><td class="n">4</td><td class="n">400</td><td class="n">1</td><td class="n">100</td><td class="n">2</td></tr>');
    expect(vr).toContain('&lt;no_route&gt;');
    expect(renderHtmlReport(base())).not.toContain('id="vrouters"');
  });
});

describe('vswitch-sim replay --html', () => {
  it('writes the page next to report.json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vs-html-cli-'));
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerReplay(program);
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await program.parseAsync(['replay', topology, '--in', `compute1:vm1=${scenario[0].file}`, '--out', out, '--html', join(out, 'report.html')], { from: 'user' });
    } finally {
      process.stdout.write = orig;
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<section id="topology">');
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
