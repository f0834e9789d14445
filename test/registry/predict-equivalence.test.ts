import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AnyForecastModel,
  FAMILIES,
  FAMILY_ORDER,
  ForecastStep,
  ModelFormatError,
  Observation,
  predictFromModel,
  prepareSeries,
  selectBest,
  toModelDocument,
} from '../../worker/forecast/index';
import { TEMPLATE_DIR } from '../../lib/registry/python/render';
import { prng } from '../../lib/prng';
import { day, gaussian, rows, trendSeason } from '../worker/series-helpers';

const HORIZON = 60;
const DRIVER = path.join(__dirname, 'fixtures', 'predict_driver.py');

/** Day `anchor` (or the month's last day) of month `month` counted from January of `year`. */
function monthDate(year: number, month: number, anchor: number): string {
  const y = year + Math.floor(month / 12);
  const m = month % 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return `${y}-${String(m + 1).padStart(2, '0')}-${String(Math.min(anchor, last)).padStart(2, '0')}`;
}

/** Runs predict_core.py over artifact files; one entry per file (forecast or error). */
function pythonPredict(files: string[], horizon: number): (ForecastStep[] | { error: string })[] {
  const r = spawnSync('python3', [DRIVER, TEMPLATE_DIR], {
    input: JSON.stringify({ files, horizon }),
    encoding: 'utf8',
    timeout: 30000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

/** ~30 synthetic series: trend + weekly season + seeded noise, some with gaps and NULLs, plus special shapes. */
function syntheticSeries(): { name: string; obs: Observation[] }[] {
  const out: { name: string; obs: Observation[] }[] = [];
  const u = prng(2024);
  for (let i = 0; i < 22; i++) {
    const n = 60 + Math.floor(u() * 300);
    const y = trendSeason(n, { level: 20 + u() * 200, slope: (u() - 0.4) * 0.5, amp: u() * 10, noise: 0.2 + u() * 8, seed: 500 + i });
    const obs: Observation[] = [];
    for (let t = 0; t < n; t++) {
      if (i % 4 === 1 && t % 37 === 5 && t < n - 1) continue; // a missing day
      obs.push({ date: day(t), y: i % 4 === 2 && t % 29 === 3 && t > 0 && t < n - 1 ? null : y[t] }); // a NULL
    }
    // Unsorted input with a duplicate row, as a source query might return it.
    if (i % 5 === 0) obs.reverse().push({ date: day(3), y: y[3] + 1 });
    out.push({ name: `trend-season-${i}`, obs });
  }
  const g = gaussian(77);
  let walk = 100;
  out.push({ name: 'constant', obs: rows(() => 42, 90) });
  out.push({ name: 'all-zero', obs: rows(() => 0, 70) });
  out.push({ name: 'shortest', obs: rows((t) => 10 + (t % 7), 42) });
  out.push({ name: 'clean-line', obs: rows((t) => 3 + 0.5 * t, 80) });
  out.push({ name: 'random-walk', obs: rows(() => (walk += g()), 150) });
  out.push({ name: 'gappy', obs: rows((t) => (t % 3 === 1 ? null : 50 + 5 * Math.sin(t)), 120) });
  out.push({ name: 'tiny-values', obs: rows((t) => 1e-9 * (1 + (t % 7)), 60) });
  out.push({ name: 'huge-values', obs: rows((t) => 1e12 + 1e9 * Math.cos(t) + 1e6 * t, 60) });
  return out;
}

describe('TypeScript and Python predict agree', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-equiv-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const models: { name: string; model: AnyForecastModel }[] = [];
  syntheticSeries().forEach(({ name, obs }, i) => {
    const series = prepareSeries(obs);
    for (const refine of [false, true])
      models.push({ name: `${name}/${refine ? 'refine' : 'screen'}`, model: selectBest(series, { refine, level: i % 7 === 3 ? 0.8 : 0.95 }).model });
  });
  // Every family, fitted directly, including other periods and interval levels.
  const y = trendSeason(200, { level: 60, slope: 0.1, amp: 3, noise: 1.5, seed: 9 });
  for (const family of FAMILY_ORDER) {
    for (const [period, level, search] of [
      [7, 0.95, 'fine'],
      [12, 0.8, 'coarse'],
      [1, 0.99, 'coarse'],
    ] as const) {
      const fit = FAMILIES[family].fit(y, { period, level, search });
      models.push({ name: `${family}/p${period}`, model: toModelDocument(fit, { startDate: day(0), lastDate: day(199), nFilled: 0 }) });
    }
  }
  // ets and arima on both scales: a positive series with multiplicative growth (the log models
  // win) and a series crossing zero (only the series' own scale is possible), each family fitted
  // directly and through the refine contest (rolling windows, calibrated sigma).
  const growth = Array.from({ length: 160 }, (_, t) => 50 * 1.01 ** t * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 7)) * (1 + 0.03 * Math.sin(7.3 * t)));
  const crossing = trendSeason(160, { level: 0, slope: 0.05, amp: 2, noise: 1, seed: 41 });
  for (const [name, series] of [
    ['growth', growth],
    ['crossing', crossing],
  ] as const) {
    for (const family of ['ets', 'arima'] as const) {
      for (const [period, search] of [
        [7, 'coarse'],
        [7, 'fine'],
        [1, 'coarse'],
      ] as const) {
        const fit = FAMILIES[family].fit(series, { period, search });
        models.push({ name: `${family}/${name}/p${period}/${search}`, model: toModelDocument(fit, { startDate: day(0), lastDate: day(159), nFilled: 0 }) });
      }
    }
    models.push({ name: `refine/${name}`, model: selectBest(prepareSeries(rows((t) => series[t], series.length)), { refine: true }).model });
  }
  // Series of every frequency with real calendar dates, through the contest: forecast dates step by
  // weeks, calendar months (month starts, the 15th, month ends across February and leap years),
  // quarters and years.
  const calendar: [string, (i: number) => string, number][] = [
    ['weekly', (i) => day(7 * i), 130],
    ['monthly-start', (i) => monthDate(2001, i, 1), 60],
    ['monthly-15th', (i) => monthDate(1999, i, 15), 50],
    ['monthly-end', (i) => monthDate(1995, i, 31), 70],
    ['monthly-30th', (i) => monthDate(2003, i, 30), 45],
    ['quarterly-end', (i) => monthDate(1970, 3 * i + 2, 31), 40],
    ['annual', (i) => monthDate(1901, 12 * i, 1), 30],
    ['annual-end-feb', (i) => monthDate(1990, 12 * i + 1, 29), 30],
  ];
  for (const [name, date, n] of calendar) {
    const ys = trendSeason(n, { level: 100, slope: 0.3, amp: 4, noise: 2, seed: n });
    const obs = ys.map((v, i) => ({ date: date(i), y: v }));
    for (const refine of [false, true])
      models.push({ name: `${name}/${refine ? 'refine' : 'screen'}`, model: selectBest(prepareSeries(obs), { refine }).model });
  }
  // formatVersion 3 artifacts (the worker before the frequency) read as before: daily steps.
  for (const family of ['ets', 'arima'] as const) {
    const fit = FAMILIES[family].fit(growth, { period: 7 });
    const { frequency: _f, ...doc } = toModelDocument(fit, { startDate: day(0), lastDate: day(159), nFilled: 0 });
    models.push({ name: `v3/${family}`, model: { ...doc, formatVersion: 3 } as AnyForecastModel });
  }
  // formatVersion 2 artifacts (the previous worker) read as before.
  for (const family of ['holt_winters', 'linear_trend_season'] as const) {
    const fit = FAMILIES[family].fit(y, { period: 7 });
    models.push({
      name: `v2/${family}`,
      model: { ...toModelDocument(fit, { startDate: day(0), lastDate: day(199), nFilled: 0 }), formatVersion: 2 } as AnyForecastModel,
    });
  }
  // formatVersion 1 artifacts of the first worker.
  const v1 = { format: 'many-model-forecast', formatVersion: 1, period: 7, lastDate: '2024-02-28', sigma: 1.7, z: 1.959963984540054 } as const;
  models.push({ name: 'v1/seasonal_naive', model: { ...v1, family: 'seasonal_naive', state: { season: [1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7] } } });
  models.push({ name: 'v1/linear_trend', model: { ...v1, family: 'linear_trend', state: { intercept: 10.25, slope: -0.3, t0: 99 } } });
  models.push({
    name: 'v1/holt_winters',
    model: { ...v1, family: 'holt_winters', state: { level: 50.5, trend: 0.01, season: [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.3] } },
  });

  test('the fixture covers every family, all four format versions, every frequency, both scales and many series', () => {
    const v3 = models.filter((m) => m.model.formatVersion === 4);
    expect(new Set(v3.map((m) => m.model.family))).toEqual(new Set(FAMILY_ORDER));
    expect(new Set(models.map((m) => m.model.formatVersion))).toEqual(new Set([1, 2, 3, 4]));
    expect(new Set(v3.map((m) => (m.model as { frequency: string }).frequency))).toEqual(new Set(['day', 'week', 'month', 'quarter', 'year']));
    for (const family of ['ets', 'arima']) {
      const scales = new Set(v3.filter((m) => m.model.family === family).map((m) => (m.model.state as { transform: string }).transform));
      expect([family, [...scales].sort()]).toEqual([family, ['log', 'none']]);
    }
    expect(new Set(models.filter((m) => /(screen|refine)$/.test(m.name)).map((m) => m.model.family)).size).toBeGreaterThanOrEqual(2);
    expect(models.length).toBeGreaterThanOrEqual(80);
  });

  test('every forecast, lower and upper bound agrees within 1e-9 (absolute or relative) on every date', () => {
    const files = models.map((m, i) => {
      const f = path.join(dir, `${i}.json`);
      fs.writeFileSync(f, JSON.stringify(m.model));
      return f;
    });
    const py = pythonPredict(files, HORIZON);
    let compared = 0;
    let bitExact = 0;
    models.forEach((m, i) => {
      const ts = predictFromModel(JSON.parse(fs.readFileSync(files[i], 'utf8')), HORIZON);
      const p = py[i];
      if (!Array.isArray(p)) throw new Error(`${m.name}: Python failed: ${p.error}`);
      expect(p).toHaveLength(HORIZON);
      ts.forEach((s, j) => {
        expect([m.name, p[j].step, p[j].date]).toEqual([m.name, s.step, s.date]);
        for (const k of ['forecast', 'lower', 'upper'] as const) {
          const diff = Math.abs(p[j][k] - s[k]);
          if (diff > 1e-9 * Math.max(1, Math.abs(s[k]))) throw new Error(`${m.name} step ${s.step} ${k}: TypeScript ${s[k]}, Python ${p[j][k]}`);
          compared++;
          if (p[j][k] === s[k]) bitExact++;
        }
      });
    });
    expect(compared).toBe(models.length * HORIZON * 3);
    // Same formulas in the same order: in practice the doubles are identical, not just close.
    expect(bitExact).toBe(compared);
  });

  test('both reject the same invalid documents', () => {
    const base = models[0].model as unknown as Record<string, unknown>;
    const monthly = models.find((m) => m.name === 'monthly-start/screen')!.model as unknown as Record<string, unknown>;
    const bad: Record<string, unknown>[] = [
      { ...base, format: 'x' },
      { ...base, formatVersion: 5 },
      { ...base, frequency: undefined },
      { ...base, frequency: 'hour' },
      { ...base, anchorDay: 1 },
      { ...monthly, anchorDay: undefined },
      { ...monthly, anchorDay: 32 },
      { ...monthly, anchorDay: 1.5 },
      { ...monthly, lastDate: '2005-12-02' },
      { ...models.find((m) => m.model.family === 'ets')!.model, formatVersion: 2 },
      {
        ...models.find((m) => m.model.family === 'ets')!.model,
        state: { ...(models.find((m) => m.model.family === 'ets')!.model.state as object), transform: 'exp' },
      },
      {
        ...models.find((m) => m.model.family === 'arima')!.model,
        state: { ...(models.find((m) => m.model.family === 'arima')!.model.state as object), last: [] },
      },
      { ...base, family: 'arima' },
      { ...base, period: 0 },
      { ...base, lastDate: '2024-02-30' },
      { ...base, sigma: -1 },
      { ...base, z: undefined },
      { ...base, state: {} },
      { ...models.find((m) => m.model.family === 'linear_trend_season')!.model, state: { coef: [1, 2], tCenter: 1, tLast: 2, xtxInv: [[1]] } },
    ];
    const files = bad.map((b, i) => {
      const f = path.join(dir, `bad-${i}.json`);
      fs.writeFileSync(f, JSON.stringify(b));
      return f;
    });
    const py = pythonPredict(files, 3);
    bad.forEach((b, i) => {
      expect(() => predictFromModel(JSON.parse(JSON.stringify(b)), 3)).toThrow(ModelFormatError);
      expect(py[i]).toEqual({ error: expect.stringMatching(/^ModelFormatError: invalid many-model-forecast model: /) });
    });
  });
});
