/**
 * Linear trend by ordinary least squares on the time index, alone (linear_trend) or with one dummy
 * per non-reference weekday/season slot (linear_trend_season). Time is centered (t − tCenter) so
 * the normal equations stay well conditioned over long series.
 */
import { FitError } from '../errors';
import { invert } from '../linalg';
import { RegressionState } from '../model';
import { ForecastFamily, ResolvedFitOptions, familyForecast, fitted, resolve, sigmaOf } from './common';

function row(t: number, tCenter: number, period: number, seasonal: boolean): number[] {
  const x = [1, t - tCenter];
  if (seasonal) for (let j = 1; j < period; j++) x.push(t % period === j ? 1 : 0);
  return x;
}

function ols(y: readonly number[], o: ResolvedFitOptions, seasonal: boolean): { state: RegressionState; sse: number; k: number } {
  const n = y.length;
  const k = seasonal ? o.period + 1 : 2;
  const tCenter = (n - 1) / 2;
  const xtx = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const xty = new Array<number>(k).fill(0);
  for (let t = 0; t < n; t++) {
    const x = row(t, tCenter, o.period, seasonal);
    for (let i = 0; i < k; i++) {
      xty[i] += x[i] * y[t];
      for (let j = 0; j < k; j++) xtx[i][j] += x[i] * x[j];
    }
  }
  const xtxInv = invert(xtx);
  const coef = xtxInv.map((r) => r.reduce((acc, v, j) => acc + v * xty[j], 0));
  let sse = 0;
  for (let t = 0; t < n; t++) {
    const x = row(t, tCenter, o.period, seasonal);
    let f = 0;
    for (let i = 0; i < k; i++) f += coef[i] * x[i];
    const e = y[t] - f;
    sse += e * e;
  }
  if (!coef.every(Number.isFinite)) throw new FitError('regression coefficients are not finite');
  return { state: { coef, tCenter, tLast: n - 1, xtxInv }, sse, k };
}

export const linearTrend: ForecastFamily<'linear_trend'> = {
  name: 'linear_trend',
  minLength: () => 3,
  fit(train, opts = {}) {
    const o = resolve('linear_trend', train, opts, linearTrend.minLength);
    const { state, sse, k } = ols(train, o, false);
    const n = train.length;
    // Reported at t = 0 (the first fitted day) for readability; predict uses coef and tCenter.
    const params = { intercept: state.coef[0] - state.coef[1] * state.tCenter, slope: state.coef[1], sse };
    return fitted('linear_trend', o, params, state, sigmaOf(sse, n - k), n);
  },
  forecast: familyForecast,
};

export const linearTrendSeason: ForecastFamily<'linear_trend_season'> = {
  name: 'linear_trend_season',
  minLength: (m) => m + 3,
  fit(train, opts = {}) {
    const o = resolve('linear_trend_season', train, opts, linearTrendSeason.minLength);
    const { state, sse, k } = ols(train, o, true);
    const n = train.length;
    const params = { intercept: state.coef[0] - state.coef[1] * state.tCenter, slope: state.coef[1], sse };
    return fitted('linear_trend_season', o, params, state, sigmaOf(sse, n - k), n);
  },
  forecast: familyForecast,
};
