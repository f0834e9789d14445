/** Simple exponential smoothing, ETS(A,N,N): a flat forecast at the smoothed level. */
import { gridThenCompass } from '../optimize';
import { ForecastFamily, familyForecast, fitted, resolve, sigmaOf } from './common';

/** One-step SSE and final level of SES with smoothing `alpha`, level initialized at y[0]. */
export function sesFilter(y: readonly number[], alpha: number): { sse: number; level: number } {
  let level = y[0];
  let sse = 0;
  for (let t = 1; t < y.length; t++) {
    const e = y[t] - level;
    sse += e * e;
    level = level + alpha * e;
  }
  return { sse, level };
}

const SEARCH = {
  coarse: { grid: [[0.1, 0.3, 0.5, 0.7, 0.9]], step: [0.1], tol: 0.01, maxEvals: 40 },
  fine: { grid: [[0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.98]], step: [0.05], tol: 1e-4, maxEvals: 120 },
};

export const ses: ForecastFamily<'ses'> = {
  name: 'ses',
  minLength: () => 3,
  fit(train, opts = {}) {
    const o = resolve('ses', train, opts, ses.minLength);
    const s = SEARCH[o.search];
    const r = gridThenCompass(([a]) => sesFilter(train, a).sse, { ...s, lo: [0.0001], hi: [0.9999] });
    const alpha = r.x[0];
    const { sse, level } = sesFilter(train, alpha);
    const n = train.length;
    return fitted('ses', o, { alpha, sse, evaluations: r.evals }, { level, alpha }, sigmaOf(sse, n - 2), n);
  },
  forecast: familyForecast,
};
