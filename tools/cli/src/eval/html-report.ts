/**
 * `report.html`: one self-contained page (no script, no stylesheet or font from elsewhere) with
 * SVG plots drawn here: a histogram per metric, per-tag bars, and the run against its baseline.
 * Every text from the data set or the services is escaped.
 */
import type { HistogramView } from './distribution.js';
import type { GateResult } from './regression-gate.js';
import { METRICS, type RunSummary } from './run-summary.js';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  );

const fmt = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? '—' : Number(value.toPrecision(digits + 1)).toString();

const W = 360;
const H = 160;
const PAD = { left: 36, right: 8, top: 10, bottom: 28 };

export function histogramSvg(name: string, histogram: HistogramView): string {
  const max = Math.max(1, ...histogram.counts);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const barW = innerW / Math.max(1, histogram.counts.length);
  const bars = histogram.counts
    .map((count, index) => {
      const h = (count / max) * innerH;
      const x = PAD.left + index * barW;
      const low = histogram.edges[index] ?? 0;
      const high = histogram.edges[index + 1] ?? low;
      return `<rect class="bar" x="${x.toFixed(1)}" y="${(PAD.top + innerH - h).toFixed(1)}" width="${Math.max(0, barW - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${fmt(low)}–${fmt(high)}: ${count}</title></rect>`;
    })
    .join('');
  const first = histogram.edges[0] ?? 0;
  const last = histogram.edges[histogram.edges.length - 1] ?? 1;
  return `<svg role="img" aria-label="${escapeHtml(`distribution of ${name}`)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" data-plot="histogram" data-metric="${escapeHtml(name)}">
<line class="axis" x1="${PAD.left}" y1="${PAD.top + innerH}" x2="${W - PAD.right}" y2="${PAD.top + innerH}"/>
<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + innerH}"/>
${bars}
<text x="${PAD.left}" y="${H - 8}" class="tick">${fmt(first)}</text>
<text x="${W - PAD.right}" y="${H - 8}" class="tick" text-anchor="end">${fmt(last)}</text>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" class="tick" text-anchor="end">${max}</text>
<text x="${PAD.left - 4}" y="${PAD.top + innerH}" class="tick" text-anchor="end">0</text>
</svg>`;
}

/** Horizontal bars in [0, 1]: one row per label, one bar per series. */
export function barsSvg(
  title: string,
  plot: string,
  labels: string[],
  series: { name: string; className: string; values: (number | null)[] }[],
): string {
  const rowH = 8 + series.length * 12;
  const labelW = 150;
  const innerW = 260;
  const height = 20 + labels.length * rowH;
  const rows = labels
    .map((label, row) => {
      const y = 14 + row * rowH;
      const bars = series
        .map((serie, index) => {
          const value = serie.values[row];
          const width = value === null || value === undefined ? 0 : Math.max(0, Math.min(1, value)) * innerW;
          return `<rect class="${serie.className}" x="${labelW}" y="${y + index * 12}" width="${width.toFixed(1)}" height="10"><title>${escapeHtml(serie.name)} ${escapeHtml(label)}: ${fmt(value)}</title></rect><text class="tick" x="${labelW + width + 4}" y="${y + index * 12 + 9}">${fmt(value)}</text>`;
        })
        .join('');
      const shown = label.length > 22 ? `${label.slice(0, 21)}…` : label;
      return `<text class="label" x="${labelW - 6}" y="${y + 10}" text-anchor="end">${escapeHtml(shown)}</text>${bars}`;
    })
    .join('\n');
  return `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${labelW + innerW + 50} ${height}" width="${labelW + innerW + 50}" height="${height}" data-plot="${escapeHtml(plot)}">
<line class="axis" x1="${labelW}" y1="4" x2="${labelW}" y2="${height - 4}"/>
${rows}
</svg>`;
}

const UNIT_METRICS = Object.entries(METRICS)
  .filter(([, spec]) => spec.scale === 'unit')
  .map(([name]) => name);

/** Tags plotted (the table below lists them all), the most frequent first. */
const MAX_PLOTTED_TAGS = 30;

export function renderReport(summary: RunSummary, gate: GateResult, baseline?: RunSummary): string {
  // Scores no row measured (no reference answers, say) would only add empty columns and bars.
  const measured = UNIT_METRICS.filter(
    (name) => (summary.metrics[name]?.count ?? 0) > 0 || (baseline?.metrics[name]?.count ?? 0) > 0,
  );
  const metricRows = Object.entries(METRICS)
    .map(([name, spec]) => {
      const stats = summary.metrics[name];
      const before = baseline?.metrics[name]?.mean ?? null;
      const delta = stats?.mean !== null && stats?.mean !== undefined && before !== null ? stats.mean - before : null;
      return `<tr><th scope="row">${escapeHtml(spec.label)}</th><td>${stats?.count ?? 0}</td><td>${fmt(stats?.mean)}</td><td>${fmt(stats?.p50)}</td><td>${fmt(stats?.p90)}</td><td>${fmt(stats?.p95)}</td><td>${fmt(stats?.p99)}</td>${baseline ? `<td>${fmt(before)}</td><td class="${delta !== null && delta < 0 !== (spec.lowerIsBetter === true) && delta !== 0 ? 'worse' : ''}">${delta === null ? '—' : `${delta >= 0 ? '+' : ''}${fmt(delta)}`}</td>` : ''}</tr>`;
    })
    .join('\n');

  const histograms = Object.entries(METRICS)
    .filter(([name]) => (summary.metrics[name]?.count ?? 0) > 0)
    .map(
      ([name, spec]) =>
        `<figure><figcaption>${escapeHtml(spec.label)} (${summary.metrics[name]?.count ?? 0} rows)</figcaption>${histogramSvg(name, summary.histograms[name] ?? { edges: [0, 1], counts: [0] })}</figure>`,
    )
    .join('\n');

  const tagNames = Object.entries(summary.tags)
    .sort(([, a], [, b]) => b.rows - a.rows)
    .slice(0, MAX_PLOTTED_TAGS)
    .map(([tag]) => tag);
  const tagPlots =
    tagNames.length === 0
      ? '<p>No row has tags.</p>'
      : measured
          .filter((name) => tagNames.some((tag) => summary.tags[tag]?.means[name] !== null))
          .map(
            (name) =>
              `<figure><figcaption>${escapeHtml(METRICS[name]?.label ?? name)} by tag</figcaption>${barsSvg(
                `${name} by tag`,
                'tags',
                tagNames,
                [
                  {
                    name: 'mean',
                    className: 'bar',
                    values: tagNames.map((tag) => summary.tags[tag]?.means[name] ?? null),
                  },
                ],
              )}</figure>`,
          )
          .join('\n');
  const tagRows = Object.entries(summary.tags)
    .map(
      ([tag, totals]) =>
        `<tr><th scope="row">${escapeHtml(tag)}</th><td>${totals.rows}</td><td>${totals.errors}</td>${measured.map((name) => `<td>${fmt(totals.means[name])}</td>`).join('')}</tr>`,
    )
    .join('\n');

  const comparison = baseline
    ? (() => {
        const labels = [...measured, 'error_rate'];
        const value = (run: RunSummary, name: string) =>
          name === 'error_rate' ? run.error_rate : (run.metrics[name]?.mean ?? null);
        return `<figure><figcaption>this run against the baseline of ${escapeHtml(baseline.startedAt)}</figcaption>${barsSvg(
          'run over run',
          'comparison',
          labels,
          [
            { name: 'baseline', className: 'baseline', values: labels.map((name) => value(baseline, name)) },
            { name: 'this run', className: 'bar', values: labels.map((name) => value(summary, name)) },
          ],
        )}</figure>`;
      })()
    : '<p>No baseline given (<code>--baseline previous/summary.json</code> compares two runs).</p>';

  const errors = Object.entries(summary.rows.errorsByCode)
    .map(([code, count]) => `<tr><th scope="row">${escapeHtml(code)}</th><td>${count}</td></tr>`)
    .join('\n');

  const gateList = gate.failures.length
    ? `<ul>${gate.failures.map((failure) => `<li>${escapeHtml(failure)}</li>`).join('')}</ul>`
    : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keel evaluation: ${escapeHtml(summary.dataset.id)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #eaeef2;text-align:right}
th[scope=row],thead th:first-child{text-align:left}
figure{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:.25rem}
.bar{fill:#0969da}.baseline{fill:#afb8c1}.axis{stroke:#57606a}.tick,.label{font-size:10px;fill:#57606a}
.pass{color:#1a7f37}.fail{color:#cf222e}.worse{color:#cf222e}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
</style>
</head>
<body>
<h1>Evaluation run: ${escapeHtml(summary.dataset.id)}${summary.dataset.version === null ? '' : ` version ${escapeHtml(String(summary.dataset.version))}`}</h1>
<p class="${gate.passed ? 'pass' : 'fail'}"><strong>Regression gate: ${gate.passed ? 'passed' : 'failed'}</strong></p>
${gateList}
<dl>
<dt>data set</dt><dd>${escapeHtml(summary.dataset.source === 'file' ? (summary.dataset.path ?? summary.dataset.id) : summary.dataset.id)}</dd>
<dt>gateway</dt><dd>${escapeHtml(summary.gateway)}</dd>
<dt>model</dt><dd>${escapeHtml(summary.model ?? 'the gateway default')}</dd>
<dt>started</dt><dd>${escapeHtml(summary.startedAt)}</dd>
<dt>duration</dt><dd>${(summary.durationMs / 1000).toFixed(1)} s${summary.interrupted ? ' (interrupted)' : ''}</dd>
<dt>rows</dt><dd>${summary.rows.total} (${summary.rows.answered} answered, ${summary.rows.scored} scored, ${summary.rows.errors} errors)</dd>
</dl>
<h2>Metrics</h2>
<table>
<thead><tr><th>metric</th><th>rows</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th>${baseline ? '<th>baseline mean</th><th>change</th>' : ''}</tr></thead>
<tbody>
${metricRows}
<tr><th scope="row">error rate</th><td>${summary.rows.total}</td><td>${fmt(summary.error_rate)}</td><td></td><td></td><td></td><td></td>${baseline ? `<td>${fmt(baseline.error_rate)}</td><td>${fmt(summary.error_rate - baseline.error_rate)}</td>` : ''}</tr>
</tbody>
</table>
<h2>Score distributions</h2>
${histograms || '<p>No row was scored.</p>'}
<h2>Per tag</h2>
${tagPlots}
${tagRows ? `<table><thead><tr><th>tag</th><th>rows</th><th>errors</th>${measured.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}</tr></thead><tbody>${tagRows}</tbody></table>` : ''}
<h2>Run over run</h2>
${comparison}
<h2>Errors</h2>
${errors ? `<table><thead><tr><th>code</th><th>rows</th></tr></thead><tbody>${errors}</tbody></table>` : '<p>None.</p>'}
<p>Per-row results: <code>results.jsonl</code> beside this page; totals: <code>summary.json</code>.</p>
</body>
</html>
`;
}
