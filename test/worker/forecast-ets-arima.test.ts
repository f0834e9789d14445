import {
  arima,
  autoEts,
  computeMetrics,
  ets,
  expPortable,
  forecast,
  kpss,
  predictFromModel,
  prepareSeries,
  selectBest,
  toModelDocument,
} from '../../worker/forecast/index';
import { WEEK, day, gaussian, rows, trendSeason } from './series-helpers';

const noise = (n: number, seed: number, level = 100, sd = 5) => {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => level + sd * g());
};
/** Multiplicative weekly season on exponential growth, with relative noise. */
const growth = (n: number, seed: number) => {
  const g = gaussian(seed);
  return Array.from({ length: n }, (_, t) => 40 * 1.004 ** t * (1 + 0.04 * WEEK[t % 7]) * (1 + 0.01 * g()));
};

describe('ets: state-space exponential smoothing chosen by AICc', () => {
  test('white noise around a level gets a model without trend and season', () => {
    expect(autoEts(noise(150, 3), 7)[0].spec).toMatchObject({ trend: 'N', season: 'N' });
  });

  test('a weekly season without trend gets the trend-free seasonal model', () => {
    const g = gaussian(8);
    const y = Array.from({ length: 200 }, (_, t) => 60 + 3 * WEEK[t % 7] + 0.5 * g());
    expect(autoEts(y, 7, 'fine')[0].spec).toMatchObject({ trend: 'N', season: 'A' });
  });

  test('a multiplicative season on growth is modelled on the log scale, with a trend and a season', () => {
    expect(autoEts(growth(300, 5), 7, 'fine')[0].spec).toEqual({ trend: expect.stringMatching(/^A/), season: 'A', transform: 'log' });
  });

  test('forecasts a trend plus weekly season four weeks ahead with MAPE under 2 %', () => {
    const y = trendSeason(400, { level: 100, slope: 0.2, amp: 2.5, noise: 0.5, seed: 7 });
    const m = ets.fit(y.slice(0, 372), { period: 7 });
    expect(computeMetrics(y.slice(372), forecast(m, 28).point).mape!).toBeLessThan(0.02);
  });

  test('a log model forecasts e^(log forecast) with bounds around it, in the artifact as in memory', () => {
    const m = ets.fit(growth(300, 9), { period: 7, search: 'fine' });
    expect(m.state.transform).toBe('log');
    const doc = toModelDocument(m, { startDate: day(0), lastDate: day(299), nFilled: 0 });
    const p = predictFromModel(JSON.parse(JSON.stringify(doc)), 14);
    const s = m.state;
    p.forEach((step, i) => {
      let phiSum = 0;
      for (let j = 1; j <= i + 1; j++) phiSum += s.phi ** j;
      expect(step.forecast).toBeCloseTo(Math.exp(s.level + phiSum * s.trend + s.season[i % 7]), 8);
      expect(step.lower).toBeLessThan(step.forecast);
      expect(step.upper).toBeGreaterThan(step.forecast);
      // On the log scale the interval is symmetric: the point is the bounds' geometric mean.
      expect(Math.log(step.forecast)).toBeCloseTo((Math.log(step.lower) + Math.log(step.upper)) / 2, 9);
    });
  });

  test('is deterministic: the same series gives the same model, bit for bit', () => {
    const y = growth(200, 2);
    expect(JSON.stringify(ets.fit(y, { period: 7 }))).toBe(JSON.stringify(ets.fit([...y], { period: 7 })));
  });

  test('a season longer than 24 steps is estimated once and held fixed (gamma 0), and the forecast repeats it', () => {
    // Weekly data with a yearly season: 52 slots, a profile that is not a sine.
    const g = gaussian(12);
    const profile = Array.from({ length: 52 }, (_, j) => 20 * Math.sin((2 * Math.PI * j) / 52) + (j % 13 === 0 ? 15 : 0));
    const y = Array.from({ length: 260 }, (_, t) => 300 + 0.2 * t + profile[t % 52] + 2 * g());
    const m = ets.fit(y.slice(0, 208), { period: 52 });
    expect(m.state).toMatchObject({ gamma: 0, spec: expect.stringMatching(/,A\)$/) });
    expect(m.params.k).toBe(m.state.trend === 0 ? 53 : m.state.phi === 1 ? 55 : 56);
    expect(computeMetrics(y.slice(208), forecast(m, 52).point).mape!).toBeLessThan(0.02);
  });

  test('a refit started from a fitted model searches locally: fewer evaluations, and an SSE as low as a search from the grid', () => {
    const y = trendSeason(200, { level: 100, slope: 0.3, amp: 8, noise: 2, seed: 11 });
    const full = ets.fit(y, { period: 7 });
    const spec = { trend: 'Ad', season: 'A', transform: 'none' } as const;
    const train = y.slice(0, 172);
    const cold = ets.fit(train, { period: 7, etsSpec: spec });
    const warm = ets.fit(train, { period: 7, etsSpec: spec, etsStart: full.state });
    expect(warm.state.spec).toBe('ETS(A,Ad,A)');
    expect(warm.params.evaluations).toBeLessThan(cold.params.evaluations / 2);
    expect(warm.params.sse).toBeLessThanOrEqual(cold.params.sse * 1.01);
  });

  test('a series with zeros or negatives is modelled on its own scale only', () => {
    const y = trendSeason(120, { level: 0, slope: 0.01, amp: 2, noise: 1, seed: 4 });
    expect(ets.fit(y, { period: 7 }).state.transform).toBe('none');
  });
});

describe('arima: autoregression on the differenced series', () => {
  test('KPSS rejects a random walk and accepts white noise', () => {
    const g = gaussian(21);
    let w = 0;
    const walk = Array.from({ length: 200 }, () => (w += g()));
    expect(kpss(walk)).toBeGreaterThan(0.463);
    expect(kpss(noise(200, 22))).toBeLessThan(0.463);
  });

  test('a stationary AR(2) cycle is fitted without differencing, with at least two lags', () => {
    const g = gaussian(31);
    const y = [100, 100];
    for (let t = 2; t < 300; t++) y.push(100 + 1.5 * (y[t - 1] - 100) - 0.8 * (y[t - 2] - 100) + g());
    const m = arima.fit(y, { period: 1 });
    expect(m.params.d).toBe(0);
    expect(m.params.p).toBeGreaterThanOrEqual(2);
    // The cycle continues: the one-step forecast follows the recursion, not the mean.
    const expected = 100 + 1.5 * (y[299] - 100) - 0.8 * (y[298] - 100);
    expect(Math.abs(forecast(m, 1).point[0] - expected)).toBeLessThan(0.5);
  });

  test('a strong season is differenced seasonally, and the forecast repeats it', () => {
    const g = gaussian(5);
    const y = Array.from({ length: 140 }, (_, t) => 50 + 4 * WEEK[t % 7] + 0.3 * g());
    const m = arima.fit(y, { period: 7 });
    expect(m.params.D).toBe(1);
    const f = forecast(m, 7).point;
    f.forEach((v, i) => {
      expect(Math.abs(v - (50 + 4 * WEEK[(140 + i) % 7]))).toBeLessThan(1.5);
    });
  });

  test('an explosive fit is refused: a nearly deterministic series still forecasts finite values', () => {
    const y = Array.from({ length: 160 }, (_, t) => 50 * 1.01 ** t * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 7)));
    const f = forecast(arima.fit(y, { period: 7 }), 60);
    expect(f.upper.every(Number.isFinite)).toBe(true);
    expect(f.point[59]).toBeLessThan(10 * y[159]);
  });
});

describe('the contest with ETS, rolling windows and calibrated intervals', () => {
  const series = prepareSeries(rows((t) => growth(220, 12)[t], 220));

  test('calibration only widens: sigma is at least the uncalibrated one, by a recorded factor in [1, 2]', () => {
    const raw = selectBest(series, { calibrate: false });
    const cal = selectBest(series);
    expect(cal.model.sigma).toBeGreaterThanOrEqual(raw.model.sigma);
    expect(cal.model.params.intervalScale).toBeGreaterThanOrEqual(1);
    expect(cal.model.params.intervalScale).toBeLessThanOrEqual(2);
    expect(cal.model.sigma).toBeCloseTo(raw.model.sigma * cal.model.params.intervalScale, 12);
  });

  test("the refine contest runs on three windows and reports the last one's metrics", () => {
    const one = selectBest(series, { refine: true, windows: 1 });
    const three = selectBest(series, { refine: true });
    // The last window's metrics of each family do not depend on how many windows rank them.
    expect(three.candidates).toEqual(one.candidates);
    expect(three.metrics).toEqual(three.candidates[three.winner]!.status === 'OK' ? (three.candidates[three.winner] as { metrics: unknown }).metrics : null);
  });

  test('the screen artifact is an ets model of formatVersion 4', () => {
    const r = selectBest(series);
    expect(r.model).toMatchObject({ formatVersion: 4, family: 'ets', state: { transform: 'log', spec: expect.stringMatching(/^ETS\(A,A/) } });
  });
});

describe('expPortable', () => {
  test('agrees with Math.exp to 2 units in the last place, and saturates as it does', () => {
    for (let x = -700; x <= 700; x += 0.737) {
      const a = expPortable(x);
      const b = Math.exp(x);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(4.5e-16 * b);
    }
    expect(expPortable(0)).toBe(1);
    expect(expPortable(800)).toBe(Infinity);
    expect(expPortable(-800)).toBe(0);
    expect(expPortable(Number.NaN)).toBeNaN();
  });
});
