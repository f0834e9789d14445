import { ModelFormatError, Observation, SCREEN_FAMILIES, predictFromModel, prepareSeries, selectBest } from '../../worker/forecast/index';
import { configFromEnv, fitChunk, WorkerConfig } from '../../worker/main';
import { gaussian } from './series-helpers';

/** `YYYY-MM-DD` of month `i` after January `year`, on day `anchor` or the month's last day. */
function monthDate(year: number, i: number, anchor: number): string {
  const y = year + Math.floor(i / 12);
  const m = i % 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return `${y}-${String(m + 1).padStart(2, '0')}-${String(Math.min(anchor, last)).padStart(2, '0')}`;
}

/** Level + trend + a season of `m` steps + noise, dated by `date`. */
function seasonal(n: number, m: number, date: (i: number) => string, seed: number): Observation[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, (_, i) => ({ date: date(i), y: 200 + 0.8 * i + 25 * Math.sin((2 * Math.PI * i) / m) + 3 * g() }));
}

describe('the contest on monthly, quarterly and annual series with calendar dates', () => {
  test('a monthly series with first-of-month dates is accepted, fitted with a 12-month season and an 18-month holdout, and forecast on month starts', () => {
    const r = selectBest(prepareSeries(seasonal(96, 12, (i) => monthDate(2016, i, 1), 3)));
    expect(r.model).toMatchObject({
      formatVersion: 4,
      frequency: 'month',
      anchorDay: 1,
      period: 12,
      startDate: '2016-01-01',
      lastDate: '2023-12-01',
      nObs: 96,
      nFilled: 0,
    });
    expect(r.model.metrics!.holdout).toBe(18);
    expect((r.model.state as { spec: string }).spec).toMatch(/,A\)/);
    expect(predictFromModel(r.model, 14).map((s) => s.date)).toEqual([
      ...Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}-01`),
      '2025-01-01',
      '2025-02-01',
    ]);
    // The season is there in the forecast: a year later, the same phase.
    const f = predictFromModel(r.model, 24).map((s) => s.forecast);
    expect(Math.abs(f[15] - f[3] - 12 * 0.8)).toBeLessThan(6);
  });

  test('a quarterly series steps by quarters, on quarter ends', () => {
    const r = selectBest(prepareSeries(seasonal(40, 4, (i) => monthDate(2014, 3 * i + 2, 31), 5)));
    expect(r.model).toMatchObject({ frequency: 'quarter', anchorDay: 31, period: 4, lastDate: '2023-12-31' });
    expect(r.model.metrics!.holdout).toBe(8);
    expect(predictFromModel(r.model, 5).map((s) => s.date)).toEqual(['2024-03-31', '2024-06-30', '2024-09-30', '2024-12-31', '2025-03-31']);
  });

  test('an annual series has no season and steps by years', () => {
    const r = selectBest(prepareSeries(seasonal(30, 1, (i) => monthDate(1990, 12 * i, 1), 7)));
    expect(r.model).toMatchObject({ frequency: 'year', period: 1, lastDate: '2019-01-01' });
    expect(predictFromModel(r.model, 2).map((s) => s.date)).toEqual(['2020-01-01', '2021-01-01']);
  });

  test('month ends stay month ends through February and leap years', () => {
    const r = selectBest(prepareSeries(seasonal(60, 12, (i) => monthDate(2019, i, 31), 9)));
    expect(predictFromModel(r.model, 3).map((s) => s.date)).toEqual(['2024-01-31', '2024-02-29', '2024-03-31']);
  });

  test('defaults bend to a short series: a shorter holdout keeps two seasons to train on, down to a third of it; then no season; given settings are kept', () => {
    const long = prepareSeries(seasonal(96, 12, (i) => monthDate(2016, i, 1), 3));
    expect(selectBest(long, { period: 6, holdout: 12 }).model).toMatchObject({ period: 6, metrics: { holdout: 12 } });
    const short = prepareSeries(seasonal(36, 12, (i) => monthDate(2021, i, 1), 4));
    expect(selectBest(short).model).toMatchObject({ period: 12, frequency: 'month', metrics: { holdout: 12 } });
    const shorter = prepareSeries(seasonal(29, 12, (i) => monthDate(2021, i, 1), 4));
    expect(selectBest(shorter).model).toMatchObject({ period: 1, metrics: { holdout: 6 } });
    expect(selectBest(short, { holdout: 18 }).model).toMatchObject({ period: 1, metrics: { holdout: 18 } });
    expect(() => selectBest(short, { period: 12 })).toThrow('series too short: 36 steps, need at least 42 (two seasons of 12 plus a holdout of 18)');
  });

  test('a daily series keeps the daily defaults: a weekly season and a 28-day holdout', () => {
    const r = selectBest(prepareSeries(seasonal(120, 7, (i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10), 2)), {
      families: SCREEN_FAMILIES,
    });
    expect(r.model).toMatchObject({ frequency: 'day', period: 7, metrics: { holdout: 28 } });
    expect(r.model).not.toHaveProperty('anchorDay');
  });
});

describe('artifacts of earlier versions and invalid calendar fields', () => {
  const doc = selectBest(prepareSeries(seasonal(60, 12, (i) => monthDate(2019, i, 1), 9))).model;

  test('a version 3 document (no frequency) steps by days, as it did', () => {
    const { frequency: _f, anchorDay: _a, ...v3 } = { ...doc, formatVersion: 3 };
    expect(predictFromModel(v3 as typeof doc, 2).map((s) => s.date)).toEqual(['2023-12-02', '2023-12-03']);
  });

  test('a version 4 document needs a known frequency, and an anchor day only for months, quarters and years, which its last date is on', () => {
    const bad = (patch: Record<string, unknown>) => () => predictFromModel({ ...doc, ...patch } as typeof doc, 1);
    expect(bad({ frequency: undefined })).toThrow(ModelFormatError);
    expect(bad({ frequency: 'hour' })).toThrow('frequency must be one of "day", "week", "month", "quarter", "year"');
    expect(bad({ anchorDay: undefined })).toThrow('anchorDay must be an integer from 1 to 31');
    expect(bad({ frequency: 'week' })).toThrow('anchorDay is only for months, quarters and years, not week');
    expect(bad({ lastDate: '2023-12-15' })).toThrow('lastDate 2023-12-15 is not on anchorDay 1');
  });
});

describe("the reference worker's settings", () => {
  const env = {
    MM_CONTRACT_VERSION: '3',
    MM_RUN_ID: 'R20260101000000ABCD',
    MM_MODE: 'queue',
    MM_PASS: 'screen',
    MM_SLOT: '0',
    MM_SLOTS: '1',
    MM_QUEUE_TABLE: 'A.B.Q',
    MM_RUNS_TABLE: 'A.B.R',
    MM_METRICS_TABLE: 'A.B.M',
    MM_MODEL_DIR: '/models',
    MM_ARTIFACT_EXT: 'json',
    MM_SOURCE_QUERY: 'SELECT 1',
    MM_LEASE_SECONDS: '600',
    MM_MAX_ATTEMPTS: '3',
    MM_TIME_BUDGET_SECONDS: '60',
    MM_EMPTY_POLLS: '3',
    MM_TRAINING_KEY: 'k',
    MM_HOLDOUT: '28',
    MM_SEASON_PERIOD: '7',
  };

  test("the pipeline's daily defaults leave holdout and season to each series' frequency; given ones, or other values, are used as they are", () => {
    expect(configFromEnv(env)).toMatchObject({ holdout: undefined, period: undefined });
    expect(configFromEnv({ ...env, MM_GIVEN_SETTINGS: 'MM_SEASON_PERIOD' })).toMatchObject({ holdout: undefined, period: 7 });
    expect(configFromEnv({ ...env, MM_SEASON_PERIOD: '12', MM_HOLDOUT: '10' })).toMatchObject({ holdout: 10, period: 12 });
  });

  test('the worker works for the run MM_RUN_ID names, and refuses a value that is no run id (a placeholder nobody filled in) or none', () => {
    expect(configFromEnv(env).runId).toBe('R20260101000000ABCD');
    expect(() => configFromEnv({ ...env, MM_RUN_ID: '{{RUN_ID}}' })).toThrow('worker contract: MM_RUN_ID "{{RUN_ID}}" is not a run id');
    expect(() => configFromEnv({ ...env, MM_RUN_ID: undefined })).toThrow('worker contract: MM_RUN_ID is not set');
  });

  test('a chunk of monthly series with first-of-month dates trains under the default settings', () => {
    const cfg = { ...configFromEnv(env), modelDir: '/nowhere' } as WorkerConfig;
    const rows = seasonal(72, 12, (i) => monthDate(2018, i, 1), 11).map((o) => ({ PARTITION_KEY: 'M', DS: new Date(`${o.date as string}T00:00:00Z`), Y: o.y }));
    const fitted = fitChunk(cfg, 'R1', ['M'], rows);
    expect(fitted.metricRows[0].slice(3, 5)).toEqual(['OK', 'ets']);
    expect(JSON.parse(fitted.artifacts[0].content)).toMatchObject({ frequency: 'month', period: 12, lastDate: '2023-12-01' });
  });
});
