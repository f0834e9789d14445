import {
  FitError,
  LEGACY_REFINE_FAMILIES,
  LEGACY_SCREEN_FAMILIES,
  ForecastModel,
  ModelFormatError,
  REFINE_FAMILIES,
  SCREEN_FAMILIES,
  SeriesError,
  SeriesTooShortError,
  predictFromModel,
  prepareSeries,
  selectBest,
} from '../../worker/forecast/index';
import { WEEK, day, gaussian, rows, trendSeason } from './series-helpers';

const prep = (ys: readonly (number | null)[]) => prepareSeries(rows((t) => ys[t], ys.length));

describe('the holdout contest (the version 2 families) picks the family that generated the data', () => {
  // A holdout contest is noisy by nature (a close rival can win a 28-day holdout by chance), so
  // each generator runs with 20 seeds and the right family must win most of them.
  const winners = (make: (seed: number) => ReturnType<typeof prep>, opts: { refine?: boolean } = {}) => {
    const count: Record<string, number> = {};
    for (let seed = 1; seed <= 20; seed++) {
      const w = selectBest(make(seed), { families: opts.refine ? LEGACY_REFINE_FAMILIES : LEGACY_SCREEN_FAMILIES, windows: 1, ...opts }).winner;
      count[w] = (count[w] ?? 0) + 1;
    }
    return count;
  };

  test('seasonal naive on seasonal random walks', () => {
    const count = winners((seed) => {
      const g = gaussian(seed);
      const y: number[] = [];
      for (let t = 0; t < 200; t++) y.push(t < 7 ? 50 + 5 * WEEK[t] : y[t - 7] + g());
      return prep(y);
    });
    expect(count.seasonal_naive).toBeGreaterThan(10);
  });

  test('linear trend on noisy lines', () => {
    const count = winners((seed) => {
      const g = gaussian(100 + seed);
      return prep(Array.from({ length: 150 }, (_, t) => 20 + 0.8 * t + 2 * g()));
    });
    expect(count.linear_trend).toBeGreaterThan(10);
  });

  test('Holt-Winters on trends plus weekly season (screen set), with MAPE under 2 %', () => {
    const count = winners((seed) => prep(trendSeason(300, { level: 100, slope: 0.3, amp: 2, noise: 0.5, seed })));
    expect(count.holt_winters).toBe(20);
    const r = selectBest(prep(trendSeason(300, { level: 100, slope: 0.3, amp: 2, noise: 0.5, seed: 13 })), { families: LEGACY_SCREEN_FAMILIES });
    expect(r.metrics.mape!).toBeLessThan(0.02);
  });

  test('linear trend + weekly season on fixed weekday effects with white noise (refine set)', () => {
    const count = winners((seed) => prep(trendSeason(300, { level: 100, slope: 0.3, amp: 2, noise: 1.5, seed })), { refine: true });
    expect(count.linear_trend_season).toBeGreaterThan(10);
  });

  test('a noisy line is fitted with its slope', () => {
    const g = gaussian(12);
    const r = selectBest(prep(Array.from({ length: 150 }, (_, t) => 20 + 0.8 * t + 2 * g())), { families: LEGACY_SCREEN_FAMILIES });
    expect(r.winner).toBe('linear_trend');
    expect(r.model.params.slope).toBeCloseTo(0.8, 1);
  });
});

describe('selectBest', () => {
  const series = prep(trendSeason(120, { level: 50, slope: 0.1, amp: 1, noise: 0.3, seed: 21 }));

  test("returns the refitted winner as a version-4 artifact with every candidate's holdout metrics", () => {
    const r = selectBest(series, { holdout: 14, families: LEGACY_SCREEN_FAMILIES });
    expect(r.model).toMatchObject({
      format: 'many-model-forecast',
      formatVersion: 4,
      family: r.winner,
      period: 7,
      frequency: 'day',
      startDate: day(0),
      lastDate: day(119),
      nObs: 120,
      nFilled: 0,
      level: 0.95,
      z: 1.959963984540054,
    });
    expect(Object.keys(r.candidates)).toEqual([...LEGACY_SCREEN_FAMILIES]);
    expect(r.model.metrics).toEqual({ selectedBy: 'MAPE', holdout: 14, winner: r.metrics, candidates: r.candidates });
    for (const c of Object.values(r.candidates)) expect(c!.status).toBe('OK');
    const best = Math.min(...Object.values(r.candidates).map((c) => (c!.status === 'OK' ? c!.metrics.mape! : Infinity)));
    expect(r.metrics.mape).toBe(best);
    expect(r.metrics.n).toBe(14);
  });

  test('ranks by the metric asked for', () => {
    for (const metric of ['RMSE', 'SMAPE'] as const) {
      const r = selectBest(series, { metric, refine: true, windows: 1 });
      const key = metric === 'RMSE' ? 'rmse' : 'smape';
      const best = Math.min(...Object.values(r.candidates).map((c) => (c!.status === 'OK' ? c!.metrics[key] : Infinity)));
      expect(r.selectedBy).toBe(metric);
      expect(r.metrics[key]).toBeLessThanOrEqual(best + 1e-9 * 50);
    }
  });

  test('the screen preset is ETS alone; the refine preset adds seasonal naive and the autoregression', () => {
    expect(SCREEN_FAMILIES).toEqual(['ets']);
    expect(REFINE_FAMILIES).toEqual(['seasonal_naive', 'ets', 'arima']);
    expect(Object.keys(selectBest(series).candidates)).toEqual(['ets']);
    expect(Object.keys(selectBest(series, { refine: true }).candidates)).toEqual([...REFINE_FAMILIES]);
  });

  test('the order of the families asked for does not change the result', () => {
    const a = selectBest(series, { families: ['holt_winters', 'seasonal_naive', 'linear_trend'] });
    const b = selectBest(series, { families: ['linear_trend', 'holt_winters', 'seasonal_naive'] });
    expect(JSON.stringify(a.model)).toBe(JSON.stringify(b.model));
  });

  test('ties go to the earlier family: a constant series is seasonal naive, with zero-width intervals', () => {
    const r = selectBest(prep(new Array(90).fill(42)), { refine: true });
    expect(r.winner).toBe('seasonal_naive');
    expect(r.metrics.mape).toBe(0);
    expect(predictFromModel(r.model, 3).map((p) => [p.forecast, p.lower, p.upper])).toEqual([
      [42, 42, 42],
      [42, 42, 42],
      [42, 42, 42],
    ]);
  });

  test('falls back to sMAPE, then RMSE, when MAPE is undefined (every holdout actual is 0)', () => {
    const y = [...Array.from({ length: 60 }, (_, t) => 5 + WEEK[t % 7]), ...new Array(28).fill(0)];
    const r = selectBest(prep(y));
    expect(r.metrics.mape).toBeNull();
    expect(r.selectedBy).toBe('SMAPE');
    expect(r.model.metrics!.selectedBy).toBe('SMAPE');
  });

  test('rejects a series shorter than two seasons plus the holdout, saying so', () => {
    let err: unknown;
    try {
      selectBest(prep(new Array(41).fill(1)), { period: 7 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SeriesTooShortError);
    expect(err).toBeInstanceOf(SeriesError);
    expect(err).toMatchObject({
      reason: 'TOO_SHORT',
      length: 41,
      required: 42,
      message: 'series too short: 41 steps, need at least 42 (two seasons of 7 plus a holdout of 28)',
    });
  });

  test('rejects a series that is mostly interpolated', () => {
    const y: (number | null)[] = Array.from({ length: 60 }, (_, t) => (t % 3 === 0 ? t : null));
    y[59] = 59;
    expect(() => selectBest(prep(y))).toThrow(/^series too sparse: 39 of 60 days were interpolated, more than maxFilledFraction 0.5$/);
  });

  test('a family that cannot fit the training window is recorded as FAILED while the others compete', () => {
    const r = selectBest(prep(trendSeason(42, { level: 10, slope: 0, amp: 1, noise: 0.1, seed: 2 })), { families: LEGACY_SCREEN_FAMILIES });
    expect(r.candidates.holt_winters).toEqual({ status: 'FAILED', error: 'holt_winters needs at least 16 points for period 7, got 14' });
    expect(r.winner).not.toBe('holt_winters');
  });

  test('throws a FitError naming every failure when no family fits', () => {
    expect(() => selectBest(prep(new Array(42).fill(1)), { families: ['holt_winters'] })).toThrow(
      new FitError('no family could be fitted: holt_winters: holt_winters needs at least 16 points for period 7, got 14'),
    );
  });

  test('interpolated holdout days are not scored', () => {
    const y: (number | null)[] = trendSeason(100, { level: 50, slope: 0, amp: 1, noise: 0.2, seed: 4 });
    y[90] = null;
    y[91] = null;
    expect(selectBest(prep(y)).metrics.n).toBe(26);
  });

  test('rejects unknown families and bad options', () => {
    expect(() => selectBest(series, { families: ['prophet' as never] })).toThrow(/^unknown family "prophet"; known: seasonal_naive, linear_trend/);
    expect(() => selectBest(series, { windows: 0 })).toThrow('windows must be an integer in [1, 10], got 0');
    expect(() => selectBest(series, { holdout: 0 })).toThrow('holdout must be an integer >= 1, got 0');
    expect(() => selectBest(series, { metric: 'MAE' as never })).toThrow('metric must be one of MAPE, RMSE, SMAPE, got "MAE"');
    expect(() => selectBest(series, { families: [] })).toThrow('families is empty');
  });
});

describe('the model artifact', () => {
  const r = selectBest(prep(trendSeason(200, { level: 80, slope: -0.05, amp: 3, noise: 1, seed: 31 })), { refine: true });

  test('survives a JSON round trip losslessly', () => {
    const back = JSON.parse(JSON.stringify(r.model)) as ForecastModel;
    expect(back).toEqual(r.model);
    expect(predictFromModel(back, 30)).toEqual(predictFromModel(r.model, 30));
  });

  test('predictFromModel gives dated steps after lastDate from the document alone', () => {
    const f = predictFromModel(r.model, 3);
    expect(f.map((s) => [s.step, s.date])).toEqual([
      [1, day(200)],
      [2, day(201)],
      [3, day(202)],
    ]);
    for (const s of f) {
      expect(s.lower).toBeLessThan(s.forecast);
      expect(s.upper).toBeGreaterThan(s.forecast);
    }
    expect(predictFromModel(r.model, 0)).toEqual([]);
    expect(() => predictFromModel(r.model, -1)).toThrow('horizon must be an integer >= 0, got -1');
  });

  test('reads formatVersion 1 artifacts of the first worker (interval scale √h)', () => {
    const v1 = {
      format: 'many-model-forecast',
      formatVersion: 1,
      family: 'linear_trend',
      period: 7,
      lastDate: '2026-01-31',
      state: { intercept: 10, slope: 2, t0: 100 },
      sigma: 1,
      z: 2,
    } as const;
    expect(predictFromModel(v1, 4).map((s) => [s.date, s.forecast, s.lower, s.upper])).toEqual([
      ['2026-02-01', 212, 210, 214],
      ['2026-02-02', 214, 214 - 2 * Math.SQRT2, 214 + 2 * Math.SQRT2],
      ['2026-02-03', 216, 216 - 2 * Math.sqrt(3), 216 + 2 * Math.sqrt(3)],
      ['2026-02-04', 218, 214, 222],
    ]);
  });

  test('an invalid document is rejected with a ModelFormatError naming the problem', () => {
    const bad = (patch: object) => () => predictFromModel({ ...r.model, ...patch } as ForecastModel, 1);
    expect(bad({ format: 'other' })).toThrow(new ModelFormatError('invalid many-model-forecast model: format is "other"'));
    expect(bad({ formatVersion: 5 })).toThrow('formatVersion 5 is not supported (1, 2, 3 and 4 are)');
    expect(bad({ family: 'prophet' })).toThrow('family "prophet" is unknown');
    expect(bad({ formatVersion: 2, family: 'ets' })).toThrow('family "ets" needs formatVersion 3');
    expect(bad({ lastDate: '2026-13-01' })).toThrow('lastDate "2026-13-01" is not a valid date');
    expect(bad({ sigma: -1 })).toThrow('sigma must be a finite number >= 0');
    expect(bad({ state: { ...r.model.state, season: [1, 2], coef: [1] } })).toThrow(/state\.(season|coef) must be an array of \d+ numbers/);
  });
});
