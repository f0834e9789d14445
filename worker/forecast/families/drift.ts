/** Drift (random walk with drift): the last value plus the mean daily change per step. */
import { ForecastFamily, familyForecast, fitted, resolve, sigmaOf } from './common';

export const drift: ForecastFamily<'drift'> = {
  name: 'drift',
  minLength: () => 3,
  fit(train, opts = {}) {
    const o = resolve('drift', train, opts, drift.minLength);
    const n = train.length;
    const slope = (train[n - 1] - train[0]) / (n - 1);
    let sse = 0;
    for (let t = 1; t < n; t++) {
      const e = train[t] - train[t - 1] - slope;
      sse += e * e;
    }
    return fitted('drift', o, { slope }, { last: train[n - 1], slope, n }, sigmaOf(sse, n - 2), n);
  },
  forecast: familyForecast,
};
