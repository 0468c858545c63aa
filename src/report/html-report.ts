/**
 * The replay report as one self-contained HTML page: the run summary
 * (inputs, packets, wall time, PMDs, cache), the topology picture (inline
 * SVG from src/topo), per-port rx/tx/drops, a drop-reason bar chart (inline
 * SVG drawn here) with each reason's text and an example packet, tunnels
 * used, per-host engine statistics (pmd-stats-show text), vRouter hosts'
 * vif and drop counters when the run had some, and the output files.
 *
 * Self-contained: inline CSS, inline SVG, no script, no external resource
 * (a Content-Security-Policy of default-src 'none' says so to the browser).
 * Every piece of text from the run (file names, host and port names,
 * reasons) is HTML-escaped. renderHtmlReport() is pure and deterministic
 * for a given report; writeHtmlReport() renders the topology and writes the
 * page atomically (temporary name, then rename).
 */
import { formatPmdStats } from '../datapath/stats.js';
import type { DropCount, ReplayReport } from '../replay/replay-report.js';
import { topologyDot } from '../topo/dot.js';
import { renderSvg, svgElement } from '../topo/svg.js';
import { loadTopologyGraph } from '../topo/topology-graph.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface HtmlReportOptions {
  /** The topology picture (an SVG document or element, from renderSvg); omitted: the section says so. */
  topologySvg?: string;
  /** Page title (default "vswitch-sim replay: TOPOLOGY"). */
  title?: string;
}

/** Text for HTML (and SVG) character data and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\u0000/g, '\ufffd');
}

const num = (n: number): string => n.toLocaleString('en-US');

/**
 * What the page shows of a vRouter host's counters (`report.vrouters` when the
 * run had vRouter hosts: vif --list, dropstats and flow counters).
 */
interface VrouterCountersView {
  host: string;
  vifs: readonly { id: number; name: string; rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; drops: number }[];
  drops: Readonly<Record<string, number>>;
  flows: readonly unknown[];
}

/** VNI or top MPLS label of a tunnel use. */
function tunnelKey(t: ReplayReport['tunnels'][number]): string {
  const label = (t as { label?: number }).label;
  if (t.vni !== undefined) return `VNI ${num(t.vni)}`;
  if (label !== undefined) return `label ${num(label)}`;
  return '';
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #666; --line: #d8d8d8; --bad: #b3261e; --bar: #c0392b; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1600px; padding: 1.5rem; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.muted { color: var(--muted); }
.banner { background: #fdecea; color: var(--bad); border: 1px solid #f5c2bd; padding: .5rem .8rem; border-radius: 4px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f6f6; padding: .7rem; border-radius: 4px; overflow: auto; }
table { border-collapse: collapse; margin: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .7rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { color: var(--bad); }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
.picture { overflow: auto; border: 1px solid var(--line); border-radius: 4px; padding: .5rem; background: #fff; }
.picture svg { width: 100%; min-width: 1100px; height: auto; }
svg.chart { max-width: 100%; height: auto; }
svg.chart text { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: var(--fg); }
svg.chart rect.bar { fill: var(--bar); }
`;

/** An inline SVG bar chart of drops by reason (largest first): reason, bar, count; the reason's text as a tooltip. */
export function dropChartSvg(drops: readonly DropCount[]): string {
  const rows = [...drops].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const rowH = 24;
  const labelW = 260;
  const barW = 420;
  const countW = 90;
  const width = labelW + barW + countW;
  const height = Math.max(rows.length, 1) * rowH + 8;
  const max = Math.max(1, ...rows.map((d) => d.count));
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="drop-chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="drops by reason">`);
  if (rows.length === 0) parts.push(`<text x="0" y="${rowH - 8}">no drops</text>`);
  rows.forEach((d, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(2, Math.round((barW - 8) * (d.count / max)));
    parts.push(
      `<g class="drop-row"><title>${escapeHtml(`${d.reason}: ${d.text}`)}</title>` +
        `<text x="${labelW - 8}" y="${y + rowH - 9}" text-anchor="end">${escapeHtml(d.reason)}</text>` +
        `<rect class="bar" x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}" rx="2"/>` +
        `<text x="${labelW + w + 6}" y="${y + rowH - 9}">${num(d.count)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function table(id: string, head: readonly (string | [string, 'n'])[], rows: readonly string[][], rowClass: (i: number) => string = () => ''): string {
  const th = head.map((h) => (Array.isArray(h) ? `<th class="n">${escapeHtml(h[0])}</th>` : `<th>${escapeHtml(h)}</th>`)).join('');
  const numeric = head.map((h) => Array.isArray(h));
  const body = rows
    .map((r, i) => {
      const cls = rowClass(i);
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.map((c, k) => `<td${numeric[k] ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table id="${id}">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function exampleText(d: DropCount): string {
  const e = d.example;
  // tshark numbers frames from 1
  return `<span class="mono">${escapeHtml(e.file)}</span> #${e.index + 1}${e.viaUnderlay ? ' (via the underlay)' : ''} at ${escapeHtml(`${e.host}:${e.port}`)}`;
}

/** The page (a complete HTML document) for a replay report. */
export function renderHtmlReport(r: ReplayReport, opts: HtmlReportOptions = {}): string {
  const title = opts.title ?? `vswitch-sim replay: ${r.topology}`;
  const L: string[] = [];
  L.push('<!DOCTYPE html>');
  L.push('<html lang="en">');
  L.push('<head>');
  L.push('<meta charset="utf-8">');
  L.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  L.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  L.push(`<title>${escapeHtml(title)}</title>`);
  L.push(`<style>${CSS}</style>`);
  L.push('</head>');
  L.push('<body>');
  L.push(`<h1>${escapeHtml(title)}</h1>`);
  if (r.interrupted) L.push('<p class="banner" id="interrupted">INTERRUPTED: the run was stopped; the counts cover what was done.</p>');

  // summary
  L.push('<section id="summary">');
  L.push('<h2>Run</h2>');
  L.push('<dl class="summary">');
  const dl = (k: string, v: string): void => void L.push(`<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`);
  dl('topology', `<span class="mono">${escapeHtml(r.topology)}</span>`);
  dl('output directory', `<span class="mono">${escapeHtml(r.outDir)}</span>`);
  dl('packets', `${num(r.packets.captured)} captured, ${num(r.packets.underlay)} underlay frames, ${num(r.packets.malformed)} malformed, ${num(r.packets.modelFallback)} through the model's slow path`);
  const u = r.underlay;
  dl(
    'underlay',
    `${num(u.carried)} carried, ${num(u.unrouted)} to no known host, ${num(u.mtuDrops)} MTU drops, ${num(u.vlanDrops)} VLAN drops, ` +
      `${num(u.fragments)} fragments made, ${num(u.reassembled)} reassembled, ${num(u.pmtudAnswers)} PMTU answers`,
  );
  const e = r.edges;
  const faults = Object.entries(e.faults);
  dl(
    'edge ports',
    `${num(e.guestPartialCsum)} guest partial checksums, ${num(e.guestSuperFrames)} guest TSO frames, ${num(e.segments)} segments, ` +
      `${num(e.softwareCsum)} checksums completed in software, ${num(e.nicCsum)} by NICs, ${num(e.mtuDrops)} port MTU drops` +
      (faults.length ? `; NIC faults: ${faults.map(([k, n]) => `${escapeHtml(k)} ${num(n)}`).join(', ')}` : ''),
  );
  dl('wall time', `${num(r.wallMs)} ms`);
  dl('PMDs per host', num(r.pmds));
  dl('flow cache', r.cache ? 'on' : 'off');
  L.push('</dl>');
  L.push('<h3>Inputs</h3>');
  L.push(table('input-table', ['port', 'capture', ['packets', 'n']], r.inputs.map((i) => [escapeHtml(`${i.host}:${i.port}`), `<span class="mono">${escapeHtml(i.file)}</span>`, num(i.packets)])));
  if (r.fallbackReasons.length) {
    L.push('<h3>Model slow path</h3>');
    L.push('<p class="muted">Packets the engine could not express, run through the OVS model\'s per-packet slow path.</p>');
    L.push(table('fallback-table', ['reason', ['packets', 'n']], r.fallbackReasons.map((f) => [escapeHtml(f.reason), num(f.packets)])));
  }
  L.push('</section>');

  // topology
  L.push('<section id="topology">');
  L.push('<h2>Topology</h2>');
  L.push(opts.topologySvg !== undefined ? `<div class="picture">\n${svgElement(opts.topologySvg)}\n</div>` : '<p class="muted">(no picture)</p>');
  L.push('</section>');

  // ports
  L.push('<section id="ports">');
  L.push('<h2>Ports</h2>');
  L.push(
    table(
      'port-table',
      ['host', 'port', ['rx', 'n'], ['tx', 'n'], ['drops', 'n']],
      r.ports.map((p) => [escapeHtml(p.host), escapeHtml(p.port), num(p.rx), num(p.tx), num(p.drops)]),
      (i) => (r.ports[i].drops > 0 ? 'bad' : ''),
    ),
  );
  L.push('</section>');

  // drops
  L.push('<section id="drops">');
  L.push('<h2>Drops by reason</h2>');
  L.push(dropChartSvg(r.drops));
  L.push(
    table(
      'drop-table',
      ['reason', ['count', 'n'], 'what it means', 'example packet'],
      r.drops.map((d) => [`<span class="mono">${escapeHtml(d.reason)}</span>`, num(d.count), escapeHtml(d.text), exampleText(d)]),
    ),
  );
  if (r.drops.length === 0) L.push('<p class="muted" id="no-drops">No packet was dropped.</p>');
  L.push('</section>');

  // tunnels
  L.push('<section id="tunnels">');
  L.push('<h2>Tunnels used</h2>');
  if (r.tunnels.length === 0) L.push('<p class="muted">No frame crossed a tunnel.</p>');
  else
    L.push(
      table(
        'tunnel-table',
        ['from', 'to', 'type', ['VNI / label', 'n'], ['packets', 'n']],
        r.tunnels.map((t) => [escapeHtml(t.from), escapeHtml(t.to), escapeHtml(t.type), tunnelKey(t), num(t.packets)]),
      ),
    );
  L.push('</section>');

  // engines
  L.push('<section id="engines">');
  L.push('<h2>Datapath engines</h2>');
  for (const e of r.engines) {
    const s = e.raw;
    L.push(`<h3>${escapeHtml(e.host)}</h3>`);
    L.push(
      `<p>${num(s.packets)} packets in ${num(s.batches)} batches; upcalls ${num(s.upcall.upcalls)} (failed ${num(s.upcall.failed)}; ${num(s.upcall.reused)} more misses answered by flows not yet in the PMDs); flows installed ${num(s.upcall.installs)}</p>`,
    );
    L.push(
      table(
        `pmd-table-${escapeHtml(e.host)}`,
        ['PMD', ['packets', 'n'], ['EMC hits', 'n'], ['megaflow hits', 'n'], ['misses', 'n'], ['upcalls ok', 'n'], ['upcalls failed', 'n'], ['flows', 'n'], ['dropped', 'n'], ['cycles / packet', 'n']],
        s.pmds.map((p) => [
          String(p.pmd),
          num(p.packets),
          num(p.emcHits),
          num(p.megaflowHits),
          num(p.misses),
          num(p.upcallsOk),
          num(p.upcallsFailed),
          num(p.flows),
          num(p.dropped),
          p.packets > 0 ? (p.cycles / p.packets).toFixed(0) : '0',
        ]),
      ),
    );
    L.push(`<details><summary>pmd-stats-show</summary>\n<pre>${escapeHtml(formatPmdStats(s))}</pre>\n</details>`);
  }
  if (r.engines.length === 0) L.push('<p class="muted">(no engine ran)</p>');
  L.push('</section>');

  // vRouter hosts
  const vrouters = (r as { vrouters?: readonly VrouterCountersView[] }).vrouters ?? [];
  if (vrouters.length) {
    L.push('<section id="vrouters">');
    L.push('<h2>vRouter hosts</h2>');
    for (const v of vrouters) {
      L.push(`<h3>${escapeHtml(v.host)}</h3>`);
      L.push(`<p>${num(v.flows.length)} flow(s)</p>`);
      L.push(
        table(
          `vif-table-${escapeHtml(v.host)}`,
          ['vif', ['rx packets', 'n'], ['rx bytes', 'n'], ['tx packets', 'n'], ['tx bytes', 'n'], ['drops', 'n']],
          v.vifs.map((c) => [escapeHtml(`vif0/${c.id} ${c.name}`), num(c.rxPackets), num(c.rxBytes), num(c.txPackets), num(c.txBytes), num(c.drops)]),
          (i) => (v.vifs[i].drops > 0 ? 'bad' : ''),
        ),
      );
      const drops = Object.entries(v.drops);
      if (drops.length) L.push(table(`dropstats-${escapeHtml(v.host)}`, ['dropstats', ['packets', 'n']], drops.map(([k, n]) => [`<span class="mono">${escapeHtml(k)}</span>`, num(n)])));
    }
    L.push('</section>');
  }

  // outputs
  L.push('<section id="outputs">');
  L.push('<h2>Output files</h2>');
  L.push(table('output-table', ['file', ['packets', 'n']], r.outputs.map((o) => [`<span class="mono">${escapeHtml(`${r.outDir}/${o.file}`)}</span>`, num(o.packets)])));
  L.push('</section>');

  L.push('</body>');
  L.push('</html>');
  return L.join('\n') + '\n';
}

/**
 * Writes the HTML page of a replay report to `file` (temporary name, then
 * rename), with the picture of the topology at `topologyPath` (normally
 * `report.topology`). A topology that cannot be read throws its
 * TopologyError; an unwritable file an OutputFileError.
 */
export async function writeHtmlReport(report: ReplayReport, topologyPath: string, file: string): Promise<void> {
  const svg = await renderSvg(topologyDot(loadTopologyGraph(topologyPath)));
  await writeFileAtomic(file, renderHtmlReport(report, { topologySvg: svg }));
}
