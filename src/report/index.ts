/**
 * Reports for people: the self-contained HTML page of a replay.
 *
 *   await writeHtmlReport(report, report.topology, 'out/report.html');
 */
export { renderHtmlReport, writeHtmlReport, dropChartSvg, escapeHtml, type HtmlReportOptions } from './html-report.js';
export { writeFileAtomic, OutputFileError } from './write-file-atomic.js';
