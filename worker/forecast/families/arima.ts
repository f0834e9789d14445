/**
 * arima: an autoregressive model on the differenced series, the ARIMA(p, d, 0)(P, D, 0)_m subset
 * that least squares can fit in one pass (no moving-average terms):
 *
 * - scale: log y when the series is positive and the log model's AICc (with its Jacobian) wins,
 *   else y;
 * - seasonal difference (D = 1) when the season explains more than 64 % of the detrended
 *   variance, the threshold of R's `nsdiffs` (seasonal strength, Wang, Smith & Hyndman 2006),
 *   with at least three seasons of data;
 * - first differences (d = 0, 1, 2) while the KPSS test rejects level stationarity at 5 %
 *   (statistic > 0.463; Kwiatkowski et al. 1992, Newey–West variance with ⌊3√n/13⌋ lags), as
 *   R's `ndiffs` does;
 * - lags 1..p (p ≤ 5, or ≤ 3 with a season) and, with a season, the seasonal lag m (P = 1), chosen
 *   by AICc on one common estimation sample; an intercept when d + D ≤ 1 (a mean, or a drift).
 *
 * The fitted polynomial is expanded into one AR polynomial on the undifferenced scale, so predict
 * runs one recursion and the interval follows from its ψ-weights (predict.ts).
 */
import { FitError } from '../errors';
import { solveSpd } from '../linalg';
import { ArimaState } from '../model';
import { ForecastFamily, familyForecast, fitted, resolve } from './common';

/** Seasonal terms (by slot t mod m, summing to zero) of a classical decomposition: centered moving average, slot means of the deviations. */
export function seasonalIndices(z: ArrayLike<number>, m: number): { index: number[]; deviations: number[]; slots: number[] } {
  const n = z.length;
  const half = Math.floor(m / 2);
  const sums = new Array<number>(m).fill(0);
  const counts = new Array<number>(m).fill(0);
  const deviations: number[] = [];
  const slots: number[] = [];
  for (let t = half; t < n - half; t++) {
    let s = 0;
    if (m % 2 === 0) {
      s = 0.5 * z[t - half] + 0.5 * z[t + half];
      for (let j = t - half + 1; j < t + half; j++) s += z[j];
    } else for (let j = t - half; j <= t + half; j++) s += z[j];
    const d = z[t] - s / m;
    deviations.push(d);
    slots.push(t % m);
    sums[t % m] += d;
    counts[t % m]++;
  }
  const index = sums.map((v, j) => (counts[j] > 0 ? v / counts[j] : 0));
  const mean = index.reduce((a, b) => a + b, 0) / m;
  return { index: index.map((v) => v - mean), deviations, slots };
}

/** Seasonal strength max(0, 1 − Var(remainder)/Var(season + remainder)) of a classical decomposition. */
export function seasonalStrength(z: readonly number[], m: number): number {
  if (m <= 1 || z.length < 2 * m + 2) return 0;
  const { index, deviations, slots } = seasonalIndices(z, m);
  const variance = (v: readonly number[]) => {
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    return v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length;
  };
  const total = variance(deviations);
  return total > 0 ? Math.max(0, 1 - variance(deviations.map((d, i) => d - index[slots[i]])) / total) : 0;
}

/** KPSS level-stationarity statistic (Newey–West long-run variance, ⌊3√n/13⌋ lags). */
export function kpss(x: readonly number[]): number {
  const n = x.length;
  const mu = x.reduce((a, b) => a + b, 0) / n;
  const e = x.map((v) => v - mu);
  let s = 0;
  let num = 0;
  for (const v of e) {
    s += v;
    num += s * s;
  }
  const lags = Math.floor((3 * Math.sqrt(n)) / 13);
  let lr = e.reduce((a, v) => a + v * v, 0) / n;
  for (let j = 1; j <= lags; j++) {
    let c = 0;
    for (let t = j; t < n; t++) c += e[t] * e[t - j];
    lr += (2 * (1 - j / (lags + 1)) * c) / n;
  }
  return lr > 0 ? num / (n * n * lr) : 0;
}

const KPSS_5PCT = 0.463;
const SEASONAL_STRENGTH = 0.64;

const diff = (x: readonly number[], lag: number) => x.slice(lag).map((v, i) => v - x[i]);

function polyMul(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] += a[i] * b[j];
  return out;
}

/**
 * Whether the autoregression Σ coef[i]·w_{t−lags[i]} is stationary: its impulse response (ψ-weights)
 * has died out after 20 × the longest lag + 50 steps. An explosive fit (a nearly deterministic
 * series can give one) would forecast without bound.
 */
function stationary(lags: readonly number[], coef: readonly number[]): boolean {
  if (lags.length === 0) return true;
  const maxLag = Math.max(...lags);
  const steps = 20 * maxLag + 50;
  const psi = new Float64Array(steps + 1);
  psi[0] = 1;
  for (let j = 1; j <= steps; j++) {
    let v = 0;
    for (let i = 0; i < lags.length; i++) if (lags[i] <= j) v += coef[i] * psi[j - lags[i]];
    psi[j] = v;
  }
  for (let j = steps - maxLag; j <= steps; j++) if (!(Math.abs(psi[j]) < 0.05)) return false;
  return true;
}

/** A fitted autoregression on one scale. */
interface ArFit {
  state: ArimaState;
  sigma: number;
  /** AICc on the original scale (log models carry the Jacobian). */
  aicc: number;
  params: Record<string, number>;
}

function fitOnScale(y: readonly number[], m: number, log: boolean): ArFit {
  const z = log ? y.map(Math.log) : y.slice();
  let w = z;
  let D = 0;
  if (m > 1 && z.length >= 3 * m + 2 && seasonalStrength(z, m) > SEASONAL_STRENGTH) {
    D = 1;
    w = diff(w, m);
  }
  let d = 0;
  while (d < 2 && w.length > 10 && kpss(w) > KPSS_5PCT) {
    w = diff(w, 1);
    d++;
  }
  const withC = d + D <= 1;
  const seasonalLag = m > 1 && w.length > 3 * m;
  const pMax = Math.min(m > 1 ? 3 : 5, Math.floor(w.length / 5));
  // One estimation sample for every order, so their AICc compare.
  const start = Math.max(pMax, seasonalLag ? m : 0);
  const nEff = w.length - start;
  let best: { lags: number[]; coef: number[]; c: number; sse: number; aicc: number; k: number } | null = null;
  for (let P = 0; P <= (seasonalLag ? 1 : 0); P++) {
    for (let p = 0; p <= pMax; p++) {
      const lags = Array.from({ length: p }, (_, i) => i + 1);
      if (P === 1) lags.push(m);
      const k = lags.length + (withC ? 1 : 0);
      if (nEff - k - 2 <= 0) continue;
      const a = Array.from({ length: k }, () => new Array<number>(k).fill(0));
      const b = new Array<number>(k).fill(0);
      const x = new Array<number>(k);
      for (let t = start; t < w.length; t++) {
        for (let i = 0; i < lags.length; i++) x[i] = w[t - lags[i]];
        if (withC) x[k - 1] = 1;
        for (let i = 0; i < k; i++) {
          b[i] += x[i] * w[t];
          for (let j = 0; j <= i; j++) a[i][j] += x[i] * x[j];
        }
      }
      for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) a[j][i] = a[i][j];
      const coef = k > 0 ? solveSpd(a, b) : [];
      if (coef === null || !stationary(lags, coef)) continue;
      let sse = 0;
      for (let t = start; t < w.length; t++) {
        let f = withC ? coef[k - 1] : 0;
        for (let i = 0; i < lags.length; i++) f += coef[i] * w[t - lags[i]];
        sse += (w[t] - f) ** 2;
      }
      const kk = k + 1;
      const aicc = nEff * Math.log(Math.max(sse, 1e-300) / nEff) + 2 * kk + (2 * kk * (kk + 1)) / (nEff - kk - 1);
      if (best === null || aicc < best.aicc) best = { lags, coef: coef.slice(0, lags.length), c: withC ? coef[k - 1] : 0, sse, aicc, k };
    }
  }
  if (best === null) throw new FitError('arima: too few points for any autoregression');
  // (1 − Σ aᵢBˡⁱ)(1 − B)ᵈ(1 − Bᵐ)ᴰ, expanded.
  const maxLag = best.lags.length ? Math.max(...best.lags) : 0;
  let poly = new Array<number>(maxLag + 1).fill(0);
  poly[0] = 1;
  best.lags.forEach((l, i) => {
    poly[l] -= best!.coef[i];
  });
  for (let i = 0; i < d; i++) poly = polyMul(poly, [1, -1]);
  if (D === 1) {
    const s = new Array<number>(m + 1).fill(0);
    s[0] = 1;
    s[m] = -1;
    poly = polyMul(poly, s);
  }
  const ar = poly.slice(1).map((v) => -v);
  if (!ar.every(Number.isFinite) || !Number.isFinite(best.c)) throw new FitError('arima: coefficients are not finite');
  let jacobian = 0;
  if (log) for (let t = z.length - nEff; t < z.length; t++) jacobian += z[t];
  const p = best.lags.filter((l) => l <= 5 && !(m > 1 && l === m)).length;
  const P = best.lags.includes(m) && m > 1 ? 1 : 0;
  const spec = `ARIMA(${p},${d},0)${m > 1 ? `(${P},${D},0)[${m}]` : ''}${withC ? (d + D === 0 ? ' with mean' : ' with drift') : ''}${log ? ' log' : ''}`;
  return {
    state: { ar, intercept: best.c, last: z.slice(z.length - ar.length), transform: log ? 'log' : 'none', spec },
    sigma: Math.sqrt(best.sse / Math.max(1, nEff - best.k)),
    aicc: best.aicc + 2 * jacobian,
    params: { p, d, P, D, sse: best.sse, aicc: best.aicc + 2 * jacobian },
  };
}

export const arima: ForecastFamily<'arima'> = {
  name: 'arima',
  minLength: () => 8,
  fit(train, opts = {}) {
    const o = resolve('arima', train, opts, arima.minLength);
    const raw = fitOnScale(train, o.period, false);
    let best = raw;
    if (train.every((v) => v > 0)) {
      const log = fitOnScale(train, o.period, true);
      if (log.aicc < raw.aicc) best = log;
    }
    return fitted('arima', o, best.params, best.state, best.sigma, train.length);
  },
  forecast: familyForecast,
};
