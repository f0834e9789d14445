import {
  ForecastOptionsError,
  computeMetrics,
  drift,
  forecast,
  holtWinters,
  holtWintersDamped,
  hwFilter,
  linearTrend,
  linearTrendSeason,
  seasonalNaive,
  ses,
} from '../../worker/forecast/index';
import { WEEK, gaussian, trendSeason } from './series-helpers';

const Z = 1.959963984540054;
const line = (n: number, a: number, b: number) => Array.from({ length: n }, (_, t) => a + b * t);

describe('seasonal naive', () => {
  test('forecasts by repeating the last season', () => {
    const y = [5, 1, 9, 3, 7, 2, 8, 4, 6, 0, 3];
    const m = seasonalNaive.fit(y, { period: 7 });
    expect(m.state.season).toEqual(y.slice(-7));
    expect(seasonalNaive.forecast(m, 10).point).toEqual([y[4], y[5], y[6], y[7], y[8], y[9], y[10], y[4], y[5], y[6]]);
  });

  test('sigma comes from the seasonal differences and the interval grows with each full season', () => {
    const y = [1, 2, 3, 4, 5, 6, 7, 2, 2, 3, 4, 5, 6, 9];
    const m = seasonalNaive.fit(y, { period: 7 });
    expect(m.sigma).toBeCloseTo(Math.sqrt((1 + 4) / 7), 15);
    const f = seasonalNaive.forecast(m, 8);
    const half = (h: number) => f.upper[h - 1] - f.point[h - 1];
    expect(half(1)).toBeCloseTo(Z * m.sigma, 14);
    expect(half(7)).toBeCloseTo(Z * m.sigma, 14);
    expect(half(8)).toBeCloseTo(Z * m.sigma * Math.SQRT2, 14);
  });
});

describe('linear trend', () => {
  test('recovers the intercept and slope of a clean line, with a zero-width interval', () => {
    const m = linearTrend.fit(line(60, 3, 0.5));
    expect(m.params.intercept).toBeCloseTo(3, 12);
    expect(m.params.slope).toBeCloseTo(0.5, 12);
    expect(m.sigma).toBeLessThan(1e-12);
    const f = linearTrend.forecast(m, 3);
    f.point.forEach((p, i) => {
      expect(p).toBeCloseTo(3 + 0.5 * (60 + i), 10);
    });
  });

  test('the interval is the OLS prediction interval sqrt(1 + 1/n + (t − t̄)²/Sxx)', () => {
    const g = gaussian(5);
    const n = 50;
    const m = linearTrend.fit(line(n, 10, -0.2).map((v) => v + g()));
    const tBar = (n - 1) / 2;
    let sxx = 0;
    for (let t = 0; t < n; t++) sxx += (t - tBar) ** 2;
    const f = linearTrend.forecast(m, 5);
    for (let h = 1; h <= 5; h++) {
      const t = n - 1 + h;
      expect(f.upper[h - 1] - f.point[h - 1]).toBeCloseTo(Z * m.sigma * Math.sqrt(1 + 1 / n + (t - tBar) ** 2 / sxx), 12);
    }
  });

  test('with weekly dummies it recovers a trend plus fixed weekday effects', () => {
    const y = Array.from({ length: 70 }, (_, t) => 20 + 0.3 * t + WEEK[t % 7]);
    const m = linearTrendSeason.fit(y, { period: 7 });
    expect(m.params.slope).toBeCloseTo(0.3, 10);
    const f = linearTrendSeason.forecast(m, 14);
    f.point.forEach((p, i) => {
      expect(p).toBeCloseTo(20 + 0.3 * (70 + i) + WEEK[(70 + i) % 7], 9);
    });
  });
});

describe('drift and simple exponential smoothing', () => {
  test('drift continues the mean daily change from the last value', () => {
    const m = drift.fit([1, 3, 4, 7]);
    expect(m.state).toEqual({ last: 7, slope: 2, n: 4 });
    expect(drift.forecast(m, 2).point).toEqual([9, 11]);
  });

  test('SES on a constant series forecasts the constant with a zero-width interval', () => {
    const m = ses.fit(new Array(30).fill(4.5));
    expect(ses.forecast(m, 3)).toEqual({ point: [4.5, 4.5, 4.5], lower: [4.5, 4.5, 4.5], upper: [4.5, 4.5, 4.5] });
  });

  test('SES follows a level shift with a large alpha', () => {
    const y = [...new Array(20).fill(10), ...new Array(20).fill(30)];
    const m = ses.fit(y);
    expect(m.state.alpha).toBeGreaterThan(0.9);
    expect(m.state.level).toBeCloseTo(30, 6);
  });
});

describe('Holt-Winters (additive trend and season)', () => {
  const y = trendSeason(400, { level: 100, slope: 0.2, amp: 2.5, noise: 0.5, seed: 7 });

  test('forecasts a trend plus weekly season four weeks ahead with MAPE under 2 %', () => {
    const m = holtWinters.fit(y.slice(0, 372), { period: 7 });
    const mape = computeMetrics(y.slice(372), holtWinters.forecast(m, 28).point).mape!;
    expect(mape).toBeLessThan(0.02);
  });

  test('fitted parameters stay in the admissible region and minimize the one-step SSE', () => {
    const m = holtWinters.fit(y, { period: 7, search: 'fine' });
    const { alpha, beta, gamma } = m.state;
    expect(alpha).toBeGreaterThan(0);
    expect(alpha).toBeLessThan(1);
    expect(beta).toBeGreaterThanOrEqual(0);
    expect(beta).toBeLessThan(alpha);
    expect(gamma).toBeGreaterThanOrEqual(0);
    expect(gamma).toBeLessThan(1 - alpha);
    expect(m.state.phi).toBe(1);
    const sse = hwFilter(y, 7, alpha, beta, gamma, 1).sse;
    expect(m.params.sse).toBe(sse);
    for (const [da, db, dg] of [
      [0.02, 0, 0],
      [-0.02, 0, 0],
      [0, 0.005, 0],
      [0, 0, 0.02],
    ]) {
      expect(hwFilter(y, 7, alpha + da, Math.max(0, beta + db), Math.max(0, gamma + dg), 1).sse).toBeGreaterThanOrEqual(sse);
    }
  });

  test('is deterministic: the same series gives the same model, bit for bit', () => {
    expect(JSON.stringify(holtWinters.fit(y, { period: 7 }))).toBe(JSON.stringify(holtWinters.fit([...y], { period: 7 })));
  });

  test('the interval follows the ETS(A,A,A) variance 1 + Σ (α + βj + γ[j mod m = 0])²', () => {
    const m = holtWinters.fit(y, { period: 7 });
    const { alpha: a, beta: b, gamma: g } = m.state;
    const f = holtWinters.forecast(m, 9);
    let cum = 0;
    for (let h = 1; h <= 9; h++) {
      expect(f.upper[h - 1] - f.point[h - 1]).toBeCloseTo(Z * m.sigma * Math.sqrt(1 + cum), 12);
      const c = a + b * h + (h % 7 === 0 ? g : 0);
      cum += c * c;
    }
  });

  test('a constant series fits without dividing by zero', () => {
    const m = holtWinters.fit(new Array(50).fill(42), { period: 7 });
    expect(m.sigma).toBe(0);
    expect(forecast(m, 3)).toEqual({ point: [42, 42, 42], lower: [42, 42, 42], upper: [42, 42, 42] });
  });

  test('the damped variant damps the trend with phi in [0.8, 0.98]', () => {
    const m = holtWintersDamped.fit(y, { period: 7, search: 'fine' });
    expect(m.state.phi).toBeGreaterThanOrEqual(0.8);
    expect(m.state.phi).toBeLessThanOrEqual(0.98);
    const f = holtWintersDamped.forecast(m, 15);
    let phiSum = 0;
    let p = 1;
    for (let h = 1; h <= 15; h++) {
      p *= m.state.phi;
      phiSum += p;
      expect(f.point[h - 1]).toBeCloseTo(m.state.level + phiSum * m.state.trend + m.state.season[(h - 1) % 7], 10);
    }
  });
});

describe('fit options', () => {
  test('reject a period, a level or a series the family cannot use', () => {
    expect(() => seasonalNaive.fit([1, 2, 3], { period: 0 })).toThrow(new ForecastOptionsError('period must be an integer in [1, 366], got 0'));
    expect(() => linearTrend.fit([1, 2, 3], { level: 1.5 })).toThrow('level must be in (0, 1), got 1.5');
    expect(() => holtWinters.fit(new Array(15).fill(1), { period: 7 })).toThrow('holt_winters needs at least 16 points for period 7, got 15');
    expect(() => drift.fit([1, Number.NaN, 3])).toThrow('drift: point 1 is not a finite number (prepare the series first)');
  });

  test('a level of 0.8 narrows the interval to z = 1.2815515655446008', () => {
    const y = trendSeason(60, { level: 10, slope: 0, amp: 1, noise: 1, seed: 3 });
    const m = seasonalNaive.fit(y, { period: 7, level: 0.8 });
    expect(m.z).toBe(1.2815515655446008);
    const f = seasonalNaive.forecast(m, 1);
    expect(f.upper[0] - f.point[0]).toBeCloseTo(m.z * m.sigma, 14);
  });
});
