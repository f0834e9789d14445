import { spawnSync } from 'child_process';
import { ForecastModel, SeriesError, metrics, predictFromModel, prepareSeries, selectBest } from '../../lib/worker/forecast';
import { generateSeries, prng } from '../../lib/demo/run-demo';
import { TEMPLATE_DIR } from '../../lib/registry/python/render';

const day = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 86400000).toISOString().slice(0, 10);
const series = (f: (t: number) => number, n: number) => Array.from({ length: n }, (_, t) => ({ date: day(t), y: f(t) }));

describe('series preparation', () => {
  test('sorts, keeps the last duplicate, interpolates gaps and NULLs', () => {
    const p = prepareSeries([
      { date: day(3), y: 30 },
      { date: day(0), y: 0 },
      { date: day(1), y: 999 },
      { date: day(1), y: 10 },
      { date: day(2), y: null },
    ]);
    expect(p.start).toBe(day(0));
    expect(p.values).toEqual([0, 10, 20, 30]);
    expect(p.filled).toBe(1);
  });

  test('an all-NULL series and a too-short series are rejected with the reason', () => {
    expect(() => prepareSeries([{ date: day(0), y: null }])).toThrow(new SeriesError('no non-NULL observations'));
    expect(() => selectBest(prepareSeries(series((t) => t, 20)), { holdout: 28, period: 7 })).toThrow(/series too short: 20 days, need at least 42/);
  });
});

describe('metrics', () => {
  test('MAPE skips zero actuals, RMSE and sMAPE on hand-computed values', () => {
    const m = metrics([100, 0, 50], [110, 5, 40]);
    expect(m.mape).toBeCloseTo((0.1 + 0.2) / 2, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt((100 + 25 + 100) / 3), 12);
    expect(m.smape).toBeCloseTo((20 / 210 + 2 + 20 / 90) / 3, 12);
    expect(metrics([0, 0], [1, 1]).mape).toBeNull();
  });
});

describe('model contest', () => {
  test('seasonal naive repeats the last season', () => {
    const s = prepareSeries(series((t) => [5, 1, 9, 3, 7, 2, 8][t % 7], 120));
    const { model, winner } = selectBest(s, { holdout: 28, period: 7 });
    expect(winner).toBe('seasonal_naive');
    expect(predictFromModel(model, 14).map((p) => p.forecast)).toEqual([...Array(14)].map((_, i) => [5, 1, 9, 3, 7, 2, 8][(120 + i) % 7]));
  });

  test('linear trend recovers slope and intercept of a clean line', () => {
    const s = prepareSeries(series((t) => 3 + 0.5 * t, 100));
    const { model, winner, metrics: m } = selectBest(s, { holdout: 28, period: 7 });
    expect(winner).toBe('linear_trend');
    expect(model.state.slope).toBeCloseTo(0.5, 10);
    expect(model.state.intercept).toBeCloseTo(3, 10);
    expect(m.mape).toBeLessThan(1e-9);
    expect(predictFromModel(model, 1)[0].forecast).toBeCloseTo(3 + 0.5 * 100, 8);
  });

  test('Holt-Winters fits trend plus weekly season with MAPE under 2 %', () => {
    const rand = prng(7);
    const s = prepareSeries(series((t) => 100 + 0.2 * t + 15 * Math.sin((2 * Math.PI * t) / 7) + (rand() - 0.5), 400));
    const { winner, metrics: m } = selectBest(s, { holdout: 28, period: 7 });
    expect(winner).toBe('holt_winters');
    expect(m.mape!).toBeLessThan(0.02);
  });

  test('a constant series fits without dividing by zero', () => {
    const { model, metrics: m } = selectBest(prepareSeries(series(() => 42, 90)), { holdout: 28, period: 7 });
    expect(m.mape).toBe(0);
    expect(predictFromModel(model, 3).map((p) => p.forecast)).toEqual([42, 42, 42]);
  });

  test('intervals widen with the horizon around the point forecast', () => {
    const { model } = selectBest(prepareSeries(series((t) => 10 + Math.sin(t) * 3, 120)), { holdout: 28, period: 7 });
    const f = predictFromModel(model, 5);
    for (const p of f) expect(p.lower).toBeLessThanOrEqual(p.forecast);
    expect(f[4].upper - f[4].lower).toBeGreaterThan(f[0].upper - f[0].lower);
  });
});

describe('TypeScript and Python predict agree', () => {
  test('models fitted by the worker give the same forecasts in predict_core.py within 1e-9', () => {
    const rows = generateSeries(30, 200, 11);
    const byKey = new Map<string, { date: string; y: number | null }[]>();
    for (const [k, d, y] of rows) byKey.set(k, [...(byKey.get(k) ?? []), { date: d, y }]);
    const models: ForecastModel[] = [...byKey.values()].map((obs, i) => selectBest(prepareSeries(obs), { holdout: 28, period: 7, refine: i % 2 === 0 }).model);
    models.push(selectBest(prepareSeries(series((t) => 3 + 0.5 * t, 80)), { holdout: 28, period: 7 }).model);
    models.push(selectBest(prepareSeries(series((t) => [5, 1, 9, 3, 7, 2, 8][t % 7], 80)), { holdout: 28, period: 7 }).model);
    const driver = ['import json, sys', `sys.path.insert(0, ${JSON.stringify(TEMPLATE_DIR)})`, 'from predict_core import predict_from_model', 'models = json.load(sys.stdin)', 'print(json.dumps([predict_from_model(m, 28) for m in models]))'].join('\n');
    const r = spawnSync('python3', ['-c', driver], { input: JSON.stringify(models), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const py = JSON.parse(r.stdout) as { step: number; date: string; forecast: number; lower: number; upper: number }[][];
    expect(new Set(models.map((m) => m.family)).size).toBeGreaterThanOrEqual(3);
    models.forEach((m, i) => {
      const ts = predictFromModel(m, 28);
      ts.forEach((p, j) => {
        expect(py[i][j].date).toBe(p.date);
        for (const k of ['forecast', 'lower', 'upper'] as const) expect(Math.abs(py[i][j][k] - p[k])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(p[k])));
      });
    });
  });
});

