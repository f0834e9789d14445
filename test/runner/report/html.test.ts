import { escapeHtml, renderReportHtml, seriesSvg } from '../../../runner/report/html';
import {
  AccuracyRow,
  ChallengeData,
  ReportData,
  championChallenger,
  championVersions,
  partitionAccuracy,
  retrainSummary,
  smapeHistogram,
  worstPartitions,
} from '../../../runner/report/model';

/**
 * The report's figures and page from a hand-built dataset: which numbers it derives (worst
 * partitions, histogram, degraded count, champion against challenger, the retraining run) and that
 * every value from the account is escaped.
 */
const HOSTILE = `<script>alert("x")</script>&'`;

const acc = (partitionKey: string, modelVersion: string, smape: number | null, extra: Partial<AccuracyRow> = {}): AccuracyRow => ({
  partitionKey,
  modelVersion,
  nPoints: 7,
  smape,
  mae: smape === null ? null : smape / 10,
  bias: 0,
  coverage: 1,
  degraded: false,
  ...extra,
});

const data: ReportData = {
  stack: 'forecast',
  monitor: 'forecast/Forecast/Monitoring',
  asOf: '2026-01-21',
  windowStart: '2026-01-15',
  smapeAbove: 25,
  accuracy: [
    acc('A', 'V_R1', 0),
    acc('A', 'V_M1', 2, { nPoints: 3 }),
    acc('B', 'V_R1', 40, { degraded: true, coverage: 0 }),
    acc('B', 'V_M1', 10, { nPoints: 3 }),
    acc(HOSTILE, 'V_R1', 18, { degraded: true, coverage: 0.5 }),
    acc('C', 'V_R1', 9),
    acc('D', 'V_R1', null, { nPoints: 0 }),
  ],
  drift: [
    {
      partitionKey: 'A',
      trainEnd: '2026-01-14',
      levelShift: 0.1,
      scaleRatio: 1,
      missingDays: 0,
      daysLate: 0,
      levelDrift: false,
      scaleDrift: false,
      missingData: false,
      lateData: false,
      drifted: false,
    },
    {
      partitionKey: HOSTILE,
      trainEnd: '2026-01-14',
      levelShift: 3.5,
      scaleRatio: 1,
      missingDays: 0,
      daysLate: 4,
      levelDrift: true,
      scaleDrift: false,
      missingData: false,
      lateData: true,
      drifted: true,
    },
  ],
  worst: [
    {
      partitionKey: 'B',
      modelVersion: 'V_R1',
      actuals: [
        { ds: '2026-01-15', y: 100 },
        { ds: '2026-01-16', y: 100 },
      ],
      forecasts: [
        { ds: '2026-01-15', forecast: 150, lower: 140, upper: 160 },
        { ds: '2026-01-16', forecast: 150, lower: 140, upper: 160 },
        { ds: '2026-01-22', forecast: 150, lower: 140, upper: 160 },
      ],
    },
  ],
  model: 'ANALYTICS.FORECAST.FORECAST_MODEL',
  alias: 'PRODUCTION',
  versionPrefix: 'V_',
  versions: [
    { name: 'V_R1', aliases: ['PRODUCTION'], createdOn: '2026-01-01T00:00:00Z' },
    { name: 'V_M1', aliases: [], createdOn: '2026-01-21T00:00:00Z' },
  ],
  retrain: {
    runId: 'M20260121',
    chunks: [{ status: 'PENDING', partitionKeys: ['B', HOSTILE] }],
    metrics: [
      { pass: 'refine', partitionKey: 'B', status: 'OK', modelFamily: 'ets', mape: 0.05 },
      { pass: 'carried', partitionKey: 'A', status: 'OK', modelFamily: 'naive', mape: 0.01 },
      { pass: 'carried', partitionKey: 'C', status: 'OK', modelFamily: 'naive', mape: 0.02 },
    ],
  },
};

describe('report figures', () => {
  test('one row per partition: the version with the most points; degraded when any of its versions is', () => {
    const parts = partitionAccuracy(data.accuracy);
    expect(parts.map((p) => [p.partitionKey, p.row.modelVersion, p.degraded])).toEqual([
      ['A', 'V_R1', false],
      ['B', 'V_R1', true],
      [HOSTILE, 'V_R1', true],
      ['C', 'V_R1', false],
      ['D', 'V_R1', false],
    ]);
  });

  test("the champion's row speaks for a partition even where another version has more points; the alias's where its version has none", () => {
    expect(championVersions(data)).toEqual(['V_R1', 'PRODUCTION']);
    const rows = [acc('E', 'V_M1', 5, { nPoints: 7 }), acc('E', 'V_R1', 30, { nPoints: 4 }), acc('F', 'V_M1', 5), acc('F', 'PRODUCTION', 12, { nPoints: 2 })];
    expect(partitionAccuracy(rows, championVersions(data)).map((p) => [p.partitionKey, p.row.modelVersion])).toEqual([
      ['E', 'V_R1'],
      ['F', 'PRODUCTION'],
    ]);
    expect(partitionAccuracy(rows).map((p) => [p.partitionKey, p.row.modelVersion])).toEqual([
      ['E', 'V_M1'],
      ['F', 'V_M1'],
    ]);
    expect(championVersions({ ...data, versions: null })).toEqual([]);
  });

  test('the worst partitions are ordered by sMAPE, a partition without one last', () => {
    expect(worstPartitions(data.accuracy, 10).map((p) => [p.partitionKey, p.row.smape])).toEqual([
      ['B', 40],
      [HOSTILE, 18],
      ['C', 9],
      ['A', 0],
      ['D', null],
    ]);
    expect(worstPartitions(data.accuracy, 2).map((p) => p.partitionKey)).toEqual(['B', HOSTILE]);
  });

  test('the histogram bins sMAPE from 0 in the smallest width that needs at most 20 bins', () => {
    // Max 40: width 2 needs 21 bins, width 5 needs 9. Values 0, 9, 18, 40 (D has none).
    const h = smapeHistogram(partitionAccuracy(data.accuracy));
    expect(h.width).toBe(5);
    expect(h.counts).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 1]);
    expect(smapeHistogram([])).toEqual({ width: 1, counts: [0] });
  });

  test('champion (the alias) against challenger (the newest) over the partitions both have', () => {
    const c = championChallenger(data);
    expect(c).toEqual({
      kind: 'compared',
      partitions: 2,
      champion: { version: 'V_R1', medianSmape: 20, meanMae: 2, meanCoverage: 0.5, degraded: 1 },
      challenger: { version: 'V_M1', medianSmape: 6, meanMae: 0.6, meanCoverage: 1, degraded: 0 },
      challengerBetter: 1,
    });
  });

  test('no challenger when the newest version is the champion, or has no accuracy beside it; no model before one is registered', () => {
    expect(championChallenger({ ...data, versions: [data.versions![0]] })).toMatchObject({ kind: 'no-challenger', why: 'the newest version is the champion' });
    expect(championChallenger({ ...data, accuracy: data.accuracy.filter((r) => r.modelVersion !== 'V_M1') })).toMatchObject({
      kind: 'no-challenger',
      why: expect.stringContaining('V_M1, has no realized accuracy'),
    });
    expect(championChallenger({ ...data, versions: null })).toEqual({ kind: 'no-model' });
    expect(championChallenger({ ...data, versions: [{ ...data.versions![0], aliases: [] }] })).toEqual({ kind: 'no-champion', newest: 'V_R1' });
  });

  test('the retraining run: the partitions it enqueued with how far each got, the carried count and its version', () => {
    expect(retrainSummary(data)).toEqual({
      runId: 'M20260121',
      retrained: [
        { partitionKey: HOSTILE, status: 'PENDING', modelFamily: null, mape: null },
        { partitionKey: 'B', status: 'OK', modelFamily: 'ets', mape: 0.05 },
      ],
      carried: 2,
      version: 'V_M20260121',
      registered: false,
      promoted: false,
    });
    expect(retrainSummary({ ...data, retrain: null })).toBeNull();
  });
});

describe('report page', () => {
  const html = renderReportHtml(data);
  const text = (id: string) => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];

  test('shows the figures: partitions, degraded, median sMAPE, drifted, challenger better, the retraining run', () => {
    expect(text('partitions')).toBe('5');
    expect(text('degraded-count')).toBe('2');
    // sMAPE of A, B, hostile, C: 0, 40, 18, 9: median 13.5.
    expect(text('median-smape')).toBe('13.50 %');
    expect(text('drifted-count')).toBe('1');
    expect(text('challenger-better')).toBe('1');
    expect(text('retrain-run')).toBe('M20260121');
    expect(text('retrained-count')).toBe('2');
    expect(html).toMatch(/<td class="n smape">40\.00<\/td>/);
  });

  test('a hostile partition key is text everywhere: no element, no attribute, no entity of its own', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(escapeHtml(HOSTILE)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const hostileStack = renderReportHtml({ ...data, stack: '"><img src=x onerror=alert(1)>', monitor: HOSTILE });
    expect(hostileStack).not.toMatch(/<img/);
  });

  test('is self-contained: a policy that allows no request, no script, no external reference', () => {
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|@import|url\(/i);
    expect(html.match(/href="/g)).toBeNull();
  });

  test('says "no challenger" and "none yet" when there is none', () => {
    const bare = renderReportHtml({ ...data, versions: [data.versions![0]], retrain: null });
    expect(bare).toContain('no challenger: the newest version is the champion');
    expect(bare).toMatch(/id="retrain-status">none yet/);
  });

  test('a page before the first evaluation says so', () => {
    const empty = renderReportHtml({ ...data, asOf: null, windowStart: null, accuracy: [], drift: [], worst: [], versions: null, retrain: null });
    expect(empty).toContain('id="as-of">not evaluated yet');
    expect(empty).toContain('No accuracy rows yet');
    expect(empty).toContain('No model ANALYTICS.FORECAST.FORECAST_MODEL registered yet');
  });

  test('a series chart draws the band from the bounds, the forecast and the actuals on one scale', () => {
    const svg = seriesSvg(data.worst[0]);
    // Values 100..160 over days 01-15..01-22: x from 44 to 354 (one day 310 / 7 = 44.3), y from 6
    // (160) to 120 (100), 1.9 per unit: 150 at 25, 140 at 44.
    expect(svg).toMatch(/<polyline class="actual" [^>]*points="44\.0,120\.0 88\.3,120\.0"/);
    expect(svg).toMatch(/<polyline class="forecast" [^>]*points="44\.0,25\.0 88\.3,25\.0 354\.0,25\.0"/);
    expect(svg).toMatch(/<polygon class="band" [^>]*points="44\.0,6\.0 88\.3,6\.0 354\.0,6\.0 354\.0,44\.0 88\.3,44\.0 44\.0,44\.0"/);
  });
});

describe('report: a champion/challenger policy', () => {
  const challenge: ChallengeData = {
    challengerAlias: 'CHALLENGER',
    challengerRun: 'M20260107',
    challengerVersion: 'V_M1',
    championVersion: 'V_R1',
    openedOn: '2026-01-07',
    decideOn: '2026-01-21',
    status: 'OPEN',
    outcome: null,
    promoteWhen: 'BEATS_CHAMPION',
    merge: 'PER_PARTITION_BEST',
    partitionsCompared: null,
    challengerWins: null,
    championSmape: null,
    challengerSmape: null,
    promotedVersion: null,
    partitions: [],
  };
  const decided: ChallengeData = {
    ...challenge,
    status: 'CLOSED',
    outcome: 'MERGED',
    partitionsCompared: 3,
    challengerWins: 2,
    championSmape: 40,
    challengerSmape: 20.2,
    promotedVersion: 'V_BM20260107',
    partitions: [
      { partitionKey: 'A', nPoints: 14, championSmape: 40, challengerSmape: 0, winner: 'CHALLENGER' },
      { partitionKey: 'B', nPoints: 14, championSmape: 0, challengerSmape: 40, winner: 'CHAMPION' },
      { partitionKey: HOSTILE, nPoints: 14, championSmape: 50, challengerSmape: 20.2, winner: 'CHALLENGER' },
      { partitionKey: 'D', nPoints: 2, championSmape: 0, challengerSmape: 0, winner: null },
    ],
  };
  const text = (html: string, id: string) => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];

  test("an open challenge compares its two versions in the accuracy table so far (not the newest version's)", () => {
    // V_M9 is newer but not the challenger: the challenge names its versions.
    const versions = [...data.versions!, { name: 'V_M9', aliases: [], createdOn: '2026-01-22T00:00:00Z' }];
    const c = championChallenger({ ...data, versions, challenge });
    expect(c).toMatchObject({ kind: 'challenge', challenge, sofar: { partitions: 2, challengerBetter: 1, challenger: { version: 'V_M1' } } });
    const html = renderReportHtml({ ...data, versions, challenge });
    expect(text(html, 'challenge-outcome')).toBe('open');
    expect(text(html, 'challenger-version')).toBe('V_M1');
    expect(text(html, 'challenger-better')).toBe('1');
    expect(html).toContain('decided once actuals reach 2026-01-21');
  });

  test('a decided challenge shows its outcome, the counts and the partitions from the challenges tables, the largest gains first, keys escaped', () => {
    const c = championChallenger({ ...data, challenge: decided });
    expect(c).toEqual({ kind: 'challenge', challenge: decided, sofar: null });
    const html = renderReportHtml({ ...data, challenge: decided });
    expect(text(html, 'challenge-outcome')).toBe('merged');
    expect(text(html, 'challenger-wins')).toBe('2');
    expect(text(html, 'partitions-compared')).toBe('3');
    expect(text(html, 'promoted-version')).toBe('V_BM20260107');
    const table = /<table id="challenge-partitions">[\s\S]*?<\/table>/.exec(html)![0];
    expect([...table.matchAll(/<td class="key">([^<]*)<\/td>/g)].map((m) => m[1])).toEqual(['A', escapeHtml(HOSTILE), 'D', 'B']);
    expect(table).toContain('not compared');
    expect(html).not.toContain(HOSTILE);
  });

  test('a rejected challenge says the champion keeps the alias', () => {
    const html = renderReportHtml({ ...data, challenge: { ...decided, outcome: 'REJECTED', challengerWins: 0, promotedVersion: null } });
    expect(text(html, 'challenge-outcome')).toBe('rejected');
    expect(html).toContain('rejected: the champion keeps PRODUCTION');
  });
});
