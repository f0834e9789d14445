/** Seasonal naive: every step repeats the value one season earlier. */
import { ForecastFamily, familyForecast, fitted, resolve, sigmaOf } from './common';

export const seasonalNaive: ForecastFamily<'seasonal_naive'> = {
  name: 'seasonal_naive',
  minLength: (m) => m + 1,
  fit(train, opts = {}) {
    const o = resolve('seasonal_naive', train, opts, seasonalNaive.minLength);
    const m = o.period;
    const n = train.length;
    let sse = 0;
    for (let t = m; t < n; t++) {
      const e = train[t] - train[t - m];
      sse += e * e;
    }
    // Step h is day n − 1 + h, whose value one season earlier is train[n − m + (h − 1) mod m].
    const season = train.slice(n - m);
    return fitted('seasonal_naive', o, {}, { season }, sigmaOf(sse, n - m), n);
  },
  forecast: familyForecast,
};
