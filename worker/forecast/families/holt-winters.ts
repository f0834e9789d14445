/**
 * Holt–Winters with additive trend and additive season, in the error-correction form of
 * ETS(A,A,A) (Hyndman et al., "Forecasting with Exponential Smoothing", 2008), optionally damped
 * (ETS(A,Ad,A)):
 *
 *   ŷ_t = ℓ + φb + s_{t−m}        e_t = y_t − ŷ_t
 *   ℓ' = ℓ + φb + α·e_t           b' = φb + β·e_t           s_t = s_{t−m} + γ·e_t
 *
 * with 0 < α < 1, 0 ≤ β < α, 0 ≤ γ < 1 − α (the "usual" region). The search runs on
 * (α, β/α, γ/(1 − α)) in a box, so every point it visits is admissible, and minimizes the
 * in-sample one-step-ahead SSE: a fixed grid, then a compass search (optimize.ts).
 *
 * Initialization from the first two seasons: the means a₁, a₂ of season 1 and 2 give the trend
 * b₀ = (a₂ − a₁)/m and the line L(t) = a₁ + b₀·(t − (m − 1)/2); each slot's seasonal term is the
 * mean of y − L over the two seasons, centered to sum to zero; the level before day 0 is L(−1).
 * The filter then runs over every point, so the SSE counts n one-step errors.
 */
import { HoltWintersState } from '../model';
import { gridThenCompass } from '../optimize';
import { ForecastFamily, ResolvedFitOptions, familyForecast, fitted, resolve, sigmaOf } from './common';

/** Initial level (before day 0), trend and seasonal terms by slot (t mod m). */
export function initialState(y: readonly number[], m: number): { level: number; trend: number; season: number[] } {
  let a1 = 0;
  let a2 = 0;
  for (let i = 0; i < m; i++) {
    a1 += y[i];
    a2 += y[m + i];
  }
  a1 /= m;
  a2 /= m;
  const trend = (a2 - a1) / m;
  const line = (t: number) => a1 + trend * (t - (m - 1) / 2);
  const season = new Array<number>(m);
  let mean = 0;
  for (let i = 0; i < m; i++) {
    season[i] = (y[i] - line(i) + (y[m + i] - line(m + i))) / 2;
    mean += season[i];
  }
  mean /= m;
  for (let i = 0; i < m; i++) season[i] -= mean;
  return { level: line(-1), trend, season };
}

/** Runs the filter; returns the one-step SSE and the final state (season by slot t mod m). */
export function hwFilter(
  y: readonly number[],
  m: number,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
): { sse: number; level: number; trend: number; season: number[] } {
  const init = initialState(y, m);
  let level = init.level;
  let trend = init.trend;
  const s = init.season;
  let sse = 0;
  for (let t = 0; t < y.length; t++) {
    const slot = t % m;
    const dampedTrend = phi * trend;
    const e = y[t] - (level + dampedTrend + s[slot]);
    sse += e * e;
    level = level + dampedTrend + alpha * e;
    trend = dampedTrend + beta * e;
    s[slot] = s[slot] + gamma * e;
  }
  return { sse, level, trend, season: s };
}

const A_BOX: [number, number] = [0.01, 0.99];
const RATIO_BOX: [number, number] = [0, 0.99];
const PHI_BOX: [number, number] = [0.8, 0.98];

const SEARCH = {
  coarse: { alpha: [0.1, 0.3, 0.6], beta: [0.01, 0.1, 0.3], gamma: [0.05, 0.2, 0.5], phi: [0.9], step: 0.1, tol: 0.01, maxEvals: 90 },
  fine: {
    alpha: [0.05, 0.15, 0.3, 0.5, 0.7, 0.9],
    beta: [0, 0.02, 0.1, 0.3, 0.6],
    gamma: [0, 0.05, 0.15, 0.35, 0.6],
    phi: [0.8, 0.9, 0.98],
    step: 0.05,
    tol: 1e-3,
    maxEvals: 600,
  },
};

const toParams = (a: number, br: number, gr: number) => ({ alpha: a, beta: a * br, gamma: (1 - a) * gr });

function fitHw(y: readonly number[], o: ResolvedFitOptions, damped: boolean): { state: HoltWintersState; params: Record<string, number>; sse: number } {
  const m = o.period;
  const s = SEARCH[o.search];
  const grid = damped ? [s.alpha, s.beta, s.gamma, s.phi] : [s.alpha, s.beta, s.gamma];
  const lo = [A_BOX[0], RATIO_BOX[0], RATIO_BOX[0], PHI_BOX[0]];
  const hi = [A_BOX[1], RATIO_BOX[1], RATIO_BOX[1], PHI_BOX[1]];
  const dims = grid.length;
  const r = gridThenCompass(
    (x) => {
      const p = toParams(x[0], x[1], x[2]);
      return hwFilter(y, m, p.alpha, p.beta, p.gamma, damped ? x[3] : 1).sse;
    },
    {
      grid,
      lo: lo.slice(0, dims),
      hi: hi.slice(0, dims),
      step: new Array<number>(dims).fill(s.step),
      tol: s.tol,
      maxEvals: damped ? s.maxEvals * 2 : s.maxEvals,
    },
  );
  const p = toParams(r.x[0], r.x[1], r.x[2]);
  const phi = damped ? r.x[3] : 1;
  const f = hwFilter(y, m, p.alpha, p.beta, p.gamma, phi);
  const n = y.length;
  // Re-index the seasonal terms so that season[j] belongs to forecast step j + 1: step h is day
  // n − 1 + h, whose slot is (n + h − 1) mod m.
  const season = Array.from({ length: m }, (_, j) => f.season[(n + j) % m]);
  return { state: { level: f.level, trend: f.trend, season, ...p, phi }, params: { ...p, phi, sse: f.sse, evaluations: r.evals }, sse: f.sse };
}

export const holtWinters: ForecastFamily<'holt_winters'> = {
  name: 'holt_winters',
  minLength: (m) => 2 * m + 2,
  fit(train, opts = {}) {
    const o = resolve('holt_winters', train, opts, holtWinters.minLength);
    const { state, params, sse } = fitHw(train, o, false);
    return fitted('holt_winters', o, params, state, sigmaOf(sse, train.length - 3), train.length);
  },
  forecast: familyForecast,
};

export const holtWintersDamped: ForecastFamily<'holt_winters_damped'> = {
  name: 'holt_winters_damped',
  minLength: (m) => 2 * m + 2,
  fit(train, opts = {}) {
    const o = resolve('holt_winters_damped', train, opts, holtWintersDamped.minLength);
    const { state, params, sse } = fitHw(train, o, true);
    return fitted('holt_winters_damped', o, params, state, sigmaOf(sse, train.length - 4), train.length);
  },
  forecast: familyForecast,
};
