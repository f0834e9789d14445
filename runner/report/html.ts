/**
 * `many-model report`'s page: a pure function from the report's data to one self-contained HTML
 * document. CSS and the charts (SVG) are inline; the page has no script and loads nothing (its
 * Content-Security-Policy allows no request at all), so it can be mailed, archived or attached to
 * a ticket as it is. Every value from the account (partition keys above all: user data) is
 * escaped; numbers are formatted here and only here.
 */
import {
  ChallengeData,
  PartitionSeries,
  ReportData,
  VersionAccuracy,
  VersionComparison,
  WORST_PARTITIONS,
  championChallenger,
  championVersions,
  partitionAccuracy,
  retrainSummary,
  smapeHistogram,
  worstPartitions,
} from './model';

/** Text and attribute values: the five characters HTML gives meaning to. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number with `digits` decimals; an en dash for none. */
export function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}
const pct = (share: number | null | undefined) => (share === null || share === undefined ? '–' : `${fmt(100 * share, 1)} %`);

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
.meta{color:#57606a}.figures{display:flex;gap:1.5rem;flex-wrap:wrap;margin:1rem 0}
.figure{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem}.figure b{display:block;font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border-bottom:1px solid #d8dee4;padding:.25rem .6rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.flag{color:#b42318;font-weight:600}.ok{color:#1a7f37}
.key{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:1rem}
.chart{border:1px solid #d0d7de;border-radius:6px;padding:.5rem}.legend{color:#57606a;font-size:12px}
.none{color:#57606a;font-style:italic}
`;

/** The whole page. */
export function renderReportHtml(d: ReportData): string {
  const title = `many-model report: ${d.monitor}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No request of any kind: the page is self-contained (inline style is all it needs).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>Forecast monitoring report</h1>`,
    `<p class="meta">stack <span class="key" id="stack">${escapeHtml(d.stack)}</span>, monitor <span class="key" id="monitor">${escapeHtml(d.monitor)}</span>; ` +
      (d.asOf
        ? `evaluated <span id="as-of">${escapeHtml(d.asOf)}</span> over <span id="window-start">${escapeHtml(d.windowStart ?? '')}</span> to ${escapeHtml(d.asOf)}`
        : '<span id="as-of">not evaluated yet</span>') +
      '</p>',
    accuracySection(d),
    worstSection(d),
    driftSection(d),
    championSection(d),
    retrainSection(d),
    '</body></html>',
    '',
  ].join('\n');
}

function accuracySection(d: ReportData): string {
  const parts = partitionAccuracy(d.accuracy, championVersions(d));
  if (parts.length === 0)
    return `<section id="accuracy"><h2>Realized accuracy</h2><p class="none">No accuracy rows yet: the monitoring task has not found actuals for any forecast.</p></section>`;
  const degraded = parts.filter((p) => p.degraded).length;
  const smapes = parts
    .map((p) => p.row.smape)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  const median = smapes.length ? (smapes.length % 2 ? smapes[(smapes.length - 1) / 2] : (smapes[smapes.length / 2 - 1] + smapes[smapes.length / 2]) / 2) : null;
  const h = smapeHistogram(parts);
  return [
    `<section id="accuracy"><h2>Realized accuracy</h2>`,
    `<div class="figures">`,
    `<div class="figure">partitions<b id="partitions">${parts.length}</b></div>`,
    `<div class="figure">degraded (sMAPE &gt; ${fmt(d.smapeAbove, 0)} % or low coverage)<b id="degraded-count">${degraded}</b></div>`,
    `<div class="figure">median sMAPE<b id="median-smape">${fmt(median)} %</b></div>`,
    `</div>`,
    `<figure>${histogramSvg(h.width, h.counts, d.smapeAbove)}<figcaption class="legend">Partitions by realized sMAPE (%), bins of ${h.width} points; the red line is the degraded threshold.</figcaption></figure>`,
    `</section>`,
  ].join('\n');
}

function histogramSvg(width: number, counts: readonly number[], threshold: number): string {
  const W = 640;
  const H = 180;
  const pad = { l: 36, r: 8, t: 8, b: 28 };
  const max = Math.max(1, ...counts);
  const bw = (W - pad.l - pad.r) / counts.length;
  const y = (c: number) => pad.t + (H - pad.t - pad.b) * (1 - c / max);
  const bars = counts
    .map(
      (c, i) =>
        `<rect class="bin" x="${fmt(pad.l + i * bw + 1, 1)}" y="${fmt(y(c), 1)}" width="${fmt(bw - 2, 1)}" height="${fmt(H - pad.b - y(c), 1)}" fill="#4c78a8"><title>${i * width}–${(i + 1) * width} %: ${c}</title></rect>`,
    )
    .join('');
  const labels = counts
    .map((_, i) => (i % Math.ceil(counts.length / 10) === 0 ? `<text x="${fmt(pad.l + i * bw, 1)}" y="${H - 10}" font-size="11">${i * width}</text>` : ''))
    .join('');
  const tx = pad.l + (threshold / width) * bw;
  const mark = tx <= W - pad.r ? `<line x1="${fmt(tx, 1)}" x2="${fmt(tx, 1)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#b42318" stroke-dasharray="4 3"/>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="sMAPE histogram"><text x="2" y="${pad.t + 10}" font-size="11">${max}</text><text x="2" y="${H - pad.b}" font-size="11">0</text>${bars}${labels}${mark}<line x1="${pad.l}" x2="${W - pad.r}" y1="${H - pad.b}" y2="${H - pad.b}" stroke="#57606a"/></svg>`;
}

function worstSection(d: ReportData): string {
  const worst = worstPartitions(d.accuracy, WORST_PARTITIONS, championVersions(d));
  if (worst.length === 0) return `<section id="worst"><h2>Worst partitions</h2><p class="none">None yet.</p></section>`;
  const series = new Map(d.worst.map((s) => [s.partitionKey, s]));
  const rows = worst
    .map(
      (p, i) =>
        `<tr><td class="n">${i + 1}</td><td class="key">${escapeHtml(p.partitionKey)}</td><td class="key">${escapeHtml(p.row.modelVersion ?? '–')}</td><td class="n smape">${fmt(p.row.smape)}</td><td class="n">${fmt(p.row.mae)}</td><td class="n">${fmt(p.row.bias)}</td><td class="n">${pct(p.row.coverage)}</td><td class="n">${p.row.nPoints}</td><td>${p.degraded ? '<span class="flag">DEGRADED</span>' : '<span class="ok">ok</span>'}</td></tr>`,
    )
    .join('\n');
  const charts = worst
    .map((p) => {
      const s = series.get(p.partitionKey);
      return `<div class="chart"><div class="key">${escapeHtml(p.partitionKey)} <span class="legend">sMAPE ${fmt(p.row.smape)} %</span></div>${s ? seriesSvg(s) : '<p class="none">no series read</p>'}</div>`;
    })
    .join('\n');
  return [
    `<section id="worst"><h2>Worst partitions</h2>`,
    `<table id="worst-table"><thead><tr><th class="n">#</th><th>partition</th><th>version</th><th class="n">sMAPE %</th><th class="n">MAE</th><th class="n">bias</th><th class="n">coverage</th><th class="n">points</th><th></th></tr></thead><tbody>`,
    rows,
    `</tbody></table>`,
    `<p class="legend">Actuals (black), forecast (blue) and its interval (shaded).</p>`,
    `<div class="charts">${charts}</div>`,
    `</section>`,
  ].join('\n');
}

const day = (ds: string) => Date.UTC(Number(ds.slice(0, 4)), Number(ds.slice(5, 7)) - 1, Number(ds.slice(8, 10))) / 86400000;

/** A small line chart: actuals, the forecast and its interval band over the days either covers. */
export function seriesSvg(s: PartitionSeries): string {
  const W = 360;
  const H = 140;
  const pad = { l: 44, r: 6, t: 6, b: 20 };
  const days = [...s.actuals.map((a) => day(a.ds)), ...s.forecasts.map((f) => day(f.ds))];
  const values = [...s.actuals.map((a) => a.y), ...s.forecasts.flatMap((f) => [f.forecast, f.lower, f.upper].filter((v): v is number => v !== null))];
  if (days.length === 0 || values.length === 0) return '<p class="none">no points</p>';
  const [d0, d1] = [Math.min(...days), Math.max(...days)];
  let [v0, v1] = [Math.min(...values), Math.max(...values)];
  if (v0 === v1) [v0, v1] = [v0 - 1, v1 + 1];
  const x = (ds: string) => pad.l + ((day(ds) - d0) / Math.max(1, d1 - d0)) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - v0) / (v1 - v0)) * (H - pad.t - pad.b);
  const pt = (ds: string, v: number) => `${fmt(x(ds), 1)},${fmt(y(v), 1)}`;
  const banded = s.forecasts.filter((f) => f.lower !== null && f.upper !== null);
  const band =
    banded.length > 0
      ? `<polygon class="band" fill="#4c78a8" fill-opacity="0.18" points="${[...banded.map((f) => pt(f.ds, f.upper!)), ...[...banded].reverse().map((f) => pt(f.ds, f.lower!))].join(' ')}"/>`
      : '';
  const forecast =
    s.forecasts.length > 0
      ? `<polyline class="forecast" fill="none" stroke="#4c78a8" stroke-width="1.5" points="${s.forecasts.map((f) => pt(f.ds, f.forecast)).join(' ')}"/>`
      : '';
  const actual =
    s.actuals.length > 0
      ? `<polyline class="actual" fill="none" stroke="#1b1f24" stroke-width="1.2" points="${s.actuals.map((a) => pt(a.ds, a.y)).join(' ')}"/>${s.actuals.map((a) => `<circle cx="${fmt(x(a.ds), 1)}" cy="${fmt(y(a.y), 1)}" r="1.8" fill="#1b1f24"/>`).join('')}`
      : '';
  const first = s.actuals[0]?.ds ?? s.forecasts[0].ds;
  const dates = [...s.actuals.map((a) => a.ds), ...s.forecasts.map((f) => f.ds)].sort();
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="forecast and actuals">` +
    `<text x="2" y="${pad.t + 9}" font-size="10">${fmt(v1, 1)}</text><text x="2" y="${H - pad.b}" font-size="10">${fmt(v0, 1)}</text>` +
    `<text x="${pad.l}" y="${H - 5}" font-size="10">${escapeHtml(dates[0] ?? first)}</text><text x="${W - pad.r}" y="${H - 5}" font-size="10" text-anchor="end">${escapeHtml(dates[dates.length - 1])}</text>` +
    `${band}${forecast}${actual}</svg>`
  );
}

function flagCell(on: boolean, value: string): string {
  return on ? `<td class="n flag">${value}</td>` : `<td class="n">${value}</td>`;
}

function driftSection(d: ReportData): string {
  const drifted = d.drift.filter((r) => r.drifted);
  const head = `<section id="drift"><h2>Drift</h2><div class="figures"><div class="figure">drifted partitions<b id="drifted-count">${drifted.length}</b></div><div class="figure">of<b>${d.drift.length}</b></div></div>`;
  if (drifted.length === 0) return `${head}<p class="none">No partition has drifted${d.drift.length === 0 ? ' (no drift rows yet)' : ''}.</p></section>`;
  const rows = drifted
    .map(
      (r) =>
        `<tr><td class="key">${escapeHtml(r.partitionKey)}</td><td>${escapeHtml(r.trainEnd ?? '–')}</td>${flagCell(r.levelDrift, fmt(r.levelShift))}${flagCell(r.scaleDrift, fmt(r.scaleRatio))}${flagCell(r.missingData, String(r.missingDays))}${flagCell(r.lateData, String(r.daysLate))}<td>${escapeHtml(
          [r.levelDrift && 'level', r.scaleDrift && 'scale', r.missingData && 'missing', r.lateData && 'late'].filter(Boolean).join(', '),
        )}</td></tr>`,
    )
    .join('\n');
  return `${head}<table id="drift-table"><thead><tr><th>partition</th><th>trained to</th><th class="n">level shift (sd)</th><th class="n">scale ratio</th><th class="n">missing days</th><th class="n">days late</th><th>flags</th></tr></thead><tbody>\n${rows}\n</tbody></table></section>`;
}

function championSection(d: ReportData): string {
  const c = championChallenger(d);
  const head = `<section id="champion"><h2>Champion and challenger</h2>`;
  const text = (t: string) => `${head}<p id="champion-status">${t}</p></section>`;
  if (c.kind === 'challenge') return challengeSection(d, c.challenge, c.sofar, head);
  if (c.kind === 'no-model') return text(`No model ${escapeHtml(d.model)} registered yet (or this role may not see it).`);
  if (c.kind === 'no-champion') return text(`No version holds the alias ${escapeHtml(d.alias)}${c.newest ? `; the newest is ${escapeHtml(c.newest)}` : ''}.`);
  if (c.kind === 'no-challenger')
    return text(`Champion <span class="key">${escapeHtml(c.champion)}</span> (${escapeHtml(d.alias)}); no challenger: ${escapeHtml(c.why)}.`);
  return [
    head,
    `<p id="champion-status">Over the <b>${c.partitions}</b> partitions both have realized accuracy for, the challenger is better (lower sMAPE) in <b id="challenger-better">${c.challengerBetter}</b>.</p>`,
    comparisonTable(c, escapeHtml(d.alias), 'newest'),
    `</section>`,
  ].join('\n');
}

/** The champion's and the challenger's realized accuracy over the partitions both have, side by side. */
function comparisonTable(c: VersionComparison, championLabel: string, challengerLabel: string): string {
  const row = (label: string, f: (v: VersionAccuracy) => string) =>
    `<tr><th>${label}</th><td class="n">${f(c.champion)}</td><td class="n">${f(c.challenger)}</td></tr>`;
  return [
    `<table id="champion-table"><thead><tr><th></th><th class="n">champion (${championLabel})</th><th class="n">challenger (${challengerLabel})</th></tr></thead><tbody>`,
    row('version', (v) => `<span class="key">${escapeHtml(v.version)}</span>`),
    row('median sMAPE %', (v) => fmt(v.medianSmape)),
    row('mean MAE', (v) => fmt(v.meanMae)),
    row('mean coverage', (v) => pct(v.meanCoverage)),
    row('degraded', (v) => String(v.degraded)),
    `</tbody></table>`,
  ].join('\n');
}

/** How many of a decided challenge's partitions the page lists (those the challenger gained most in first). */
export const CHALLENGE_PARTITIONS_SHOWN = 20;

const OUTCOME_TEXT: Record<string, (c: ChallengeData, alias: string) => string> = {
  PROMOTED: (c, a) => `promoted: <span class="key">${escapeHtml(c.challengerVersion)}</span> holds ${a}`,
  MERGED: (c, a) =>
    `merged: ONE version <span class="key" id="promoted-version">${escapeHtml(c.promotedVersion ?? '')}</span> takes the challenger's model in the partitions it won and the champion's elsewhere, and holds ${a}`,
  REJECTED: (_c, a) => `rejected: the champion keeps ${a}`,
  SUPERSEDED: (_c, a) => `superseded: the champion lost ${a} during the window (a deploy promoted another version); nothing promoted`,
};

/** The latest challenge of a champion/challenger policy, from the challenges tables. */
function challengeSection(d: ReportData, c: ChallengeData, sofar: VersionComparison | null, head: string): string {
  const alias = escapeHtml(d.alias);
  const who = `Challenger <span class="key" id="challenger-version">${escapeHtml(c.challengerVersion)}</span> (${escapeHtml(c.challengerAlias)}) against champion <span class="key" id="champion-version">${escapeHtml(c.championVersion)}</span>`;
  const rule = `${escapeHtml(c.promoteWhen)}, merge ${escapeHtml(c.merge)}`;
  if (c.status === 'OPEN') {
    return [
      head,
      `<p id="champion-status">${who}: <b id="challenge-outcome">open</b>, scored beside the champion since ${escapeHtml(c.openedOn)}; decided once actuals reach ${escapeHtml(c.decideOn)} (${rule}).</p>`,
      sofar
        ? `<p>So far, over the <b>${sofar.partitions}</b> partitions both have realized accuracy for, the challenger is better in <b id="challenger-better">${sofar.challengerBetter}</b>.</p>\n${comparisonTable(sofar, alias, escapeHtml(c.challengerAlias))}`
        : '<p class="none">No realized accuracy of both yet.</p>',
      '</section>',
    ].join('\n');
  }
  const outcome = c.outcome ?? '';
  const text = OUTCOME_TEXT[outcome]?.(c, alias) ?? escapeHtml(outcome);
  const shown = [...c.partitions]
    .sort(
      (a, b) =>
        (b.championSmape ?? 0) - (b.challengerSmape ?? 0) - ((a.championSmape ?? 0) - (a.challengerSmape ?? 0)) || (a.partitionKey < b.partitionKey ? -1 : 1),
    )
    .slice(0, CHALLENGE_PARTITIONS_SHOWN);
  const rows = shown
    .map(
      (p) =>
        `<tr><td class="key">${escapeHtml(p.partitionKey)}</td><td class="n">${p.nPoints}</td><td class="n">${fmt(p.championSmape)}</td><td class="n">${fmt(p.challengerSmape)}</td><td class="${p.winner === 'CHALLENGER' ? 'ok' : ''}">${escapeHtml(p.winner?.toLowerCase() ?? 'not compared')}</td></tr>`,
    )
    .join('\n');
  return [
    head,
    `<p id="champion-status">${who}, window ${escapeHtml(c.openedOn)} to ${escapeHtml(c.decideOn)} (${rule}): <b id="challenge-outcome">${escapeHtml(outcome.toLowerCase())}</b>. ` +
      `The challenger was better in <b id="challenger-wins">${c.challengerWins ?? 0}</b> of <b id="partitions-compared">${c.partitionsCompared ?? 0}</b> compared partitions ` +
      `(median realized sMAPE ${fmt(c.challengerSmape)} % against ${fmt(c.championSmape)} %); ${text}.</p>`,
    c.partitions.length > 0
      ? `<table id="challenge-partitions"><thead><tr><th>partition</th><th class="n">days</th><th class="n">champion sMAPE %</th><th class="n">challenger sMAPE %</th><th>winner</th></tr></thead><tbody>\n${rows}\n</tbody></table>` +
        (c.partitions.length > shown.length
          ? `<p class="meta">${shown.length} of ${c.partitions.length} partitions, the challenger's largest gains first.</p>`
          : '')
      : '',
    '</section>',
  ].join('\n');
}

function retrainSection(d: ReportData): string {
  const r = retrainSummary(d);
  const head = `<section id="retrain"><h2>Last closed-loop run</h2>`;
  if (!r) return `${head}<p id="retrain-status">none yet: the monitor has not sent any partition back to training.</p></section>`;
  const version = r.promoted
    ? `version ${escapeHtml(r.version)}, promoted to ${escapeHtml(d.alias)}`
    : r.registered
      ? `version ${escapeHtml(r.version)}, registered, not promoted`
      : 'no version registered yet';
  const rows = r.retrained
    .map(
      (p) =>
        `<tr><td class="key">${escapeHtml(p.partitionKey)}</td><td class="${p.status === 'FAILED' ? 'flag' : ''}">${escapeHtml(p.status)}</td><td>${escapeHtml(p.modelFamily ?? '–')}</td><td class="n">${fmt(p.mape, 4)}</td></tr>`,
    )
    .join('\n');
  return [
    head,
    `<p id="retrain-status">Run <span class="key" id="retrain-run">${escapeHtml(r.runId)}</span> retrained <b id="retrained-count">${r.retrained.length}</b> partitions and carried ${r.carried} over; ${version}.</p>`,
    `<table id="retrain-table"><thead><tr><th>partition</th><th>status</th><th>model family</th><th class="n">holdout MAPE</th></tr></thead><tbody>`,
    rows,
    `</tbody></table></section>`,
  ].join('\n');
}
