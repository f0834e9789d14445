/**
 * State-space exponential smoothing (ETS) with additive errors, on the series or on its logarithm,
 * after Hyndman, Koehler, Ord & Snyder, "Forecasting with Exponential Smoothing" (2008):
 *
 *   ŷ_t = ℓ + φb + s_{t−m}        e_t = z_t − ŷ_t        (z = y, or z = log y)
 *   ℓ' = ℓ + φb + α·e_t           b' = φb + β·e_t        s_t = s_{t−m} + γ·e_t
 *
 * Trend none (b ≡ 0), additive (φ = 1) or damped (0.8 ≤ φ ≤ 0.98); season none or additive. On the
 * log scale an additive season is a multiplicative one, and the errors are relative: that is how
 * this core covers the multiplicative models of R's `ets` (ETS(M,·,M) ≈ ETS(A,·,A) on log y)
 * while keeping one linear filter, whose forecast variance is known in closed form.
 *
 * Fitting, per model: the smoothing parameters by minimizing the one-step SSE (a fixed grid, then a
 * compass search, optimize.ts), and the initial states (ℓ₀, b₀, s₀…s_{m−1}, seasons summing to
 * zero) by least squares: for fixed parameters the filter is linear in its initial state, so the
 * one-step errors are e = ẽ + U·x₀ (ẽ: the errors from a zero state, U: the errors of the unit
 * states on a zero series) and the x₀ that minimizes Σe² is a regression. Parameters and initial
 * states are optimized in turn (LS, search, LS, local search, LS); each step lowers the SSE.
 *
 * Selection among models by AICc on the original scale (the log models' likelihood carries the
 * Jacobian Σ log y), counting smoothing parameters, initial states and σ, as R's `ets` does.
 */
import { FitError } from '../errors';
import { solveSpdLower } from '../linalg';
import { EtsState } from '../model';
import { gridThenCompass } from '../optimize';
import { seasonalIndices } from './arima';
import { ForecastFamily, familyForecast, fitted, resolve, sigmaOf } from './common';

export type EtsTrend = 'N' | 'A' | 'Ad';
export type EtsSeason = 'N' | 'A';
export type EtsTransform = 'none' | 'log';

/** One ETS model: its trend, season and scale. */
export interface EtsSpec {
  readonly trend: EtsTrend;
  readonly season: EtsSeason;
  readonly transform: EtsTransform;
}

/** A fitted ETS model. */
export interface EtsFit {
  readonly spec: EtsSpec;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
  /** Final state after the last point; `season[j]` is the term of forecast step j + 1. */
  readonly level: number;
  readonly trend: number;
  readonly season: number[];
  /** One-step SSE on the model's scale. */
  readonly sse: number;
  /** Free parameters: smoothing parameters and initial states (σ not included). */
  readonly k: number;
  readonly n: number;
  /** AICc on the original scale (comparable across specs and transforms of the same series). */
  readonly aicc: number;
  /** Objective evaluations spent. */
  readonly evaluations: number;
}

interface Params {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

/** Runs the filter from the initial state; returns the SSE, or fills `err` and the final state when given. */
function run(
  z: ArrayLike<number>,
  m: number,
  p: Params,
  l0: number,
  b0: number,
  s0: ArrayLike<number>,
  season: Float64Array,
  err?: Float64Array,
): { sse: number; level: number; trend: number } {
  let level = l0;
  let trend = b0;
  for (let j = 0; j < m; j++) season[j] = s0[j];
  const { alpha, beta, gamma, phi } = p;
  let sse = 0;
  let slot = 0;
  for (let t = 0; t < z.length; t++) {
    const db = phi * trend;
    const e = z[t] - (level + db + season[slot]);
    if (err) err[t] = e;
    sse += e * e;
    level = level + db + alpha * e;
    trend = db + beta * e;
    season[slot] = season[slot] + gamma * e;
    if (++slot === m) slot = 0;
  }
  return { sse, level, trend };
}

/** The one-step SSE from the initial state, without storing anything but the seasons (`season`, scratch). */
function sseOf(
  z: ArrayLike<number>,
  m: number,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
  l0: number,
  b0: number,
  s0: ArrayLike<number>,
  season: Float64Array,
): number {
  // The same operations, in the same order, as run(): the search's SSE is run()'s, bit for bit.
  let level = l0;
  let trend = b0;
  if (m === 1 && gamma === 0 && s0[0] === 0) {
    // No season: its term is +0 throughout (γ = 0), and x + 0 = x, so leaving it out changes no
    // bit; it takes a load and a store off the loop's dependency chain (twice as fast).
    let sse0 = 0;
    for (let t = 0; t < z.length; t++) {
      const db = phi * trend;
      const e = z[t] - (level + db);
      sse0 += e * e;
      level = level + db + alpha * e;
      trend = db + beta * e;
    }
    return sse0;
  }
  for (let j = 0; j < m; j++) season[j] = s0[j];
  let sse = 0;
  let slot = 0;
  for (let t = 0; t < z.length; t++) {
    const db = phi * trend;
    const e = z[t] - (level + db + season[slot]);
    sse += e * e;
    level = level + db + alpha * e;
    trend = db + beta * e;
    season[slot] = season[slot] + gamma * e;
    if (++slot === m) slot = 0;
  }
  return sse;
}

/** An initial state: level, trend, seasons by slot. */
interface Initial {
  readonly l0: number;
  readonly b0: number;
  readonly s0: Float64Array;
}

/**
 * Initial state (level, trend, seasons by slot) minimizing the SSE for fixed parameters. The
 * errors of the zero state on z and of each unit state on a zero series are run side by side in
 * one pass, and the normal equations accumulated as they go (each sum in time order, as separate
 * runs would give them).
 */
function initialByLeastSquares(z: ArrayLike<number>, m: number, spec: EtsSpec, p: Params): Initial | null {
  const n = z.length;
  const hasTrend = spec.trend !== 'N';
  const seasonal = spec.season === 'A' && m > 1;
  const k = 1 + (hasTrend ? 1 : 0) + (seasonal ? m - 1 : 0);
  if (!seasonal) return solveInitial(nonSeasonalNormals(z, hasTrend, p), k, false, hasTrend, m);
  const { alpha, beta, gamma, phi } = p;
  // Filters 0..k−1: the unit states; filter k: the zero state on z.
  const levels = new Float64Array(k + 1);
  const trends = new Float64Array(k + 1);
  const seasons = new Float64Array((k + 1) * m);
  levels[0] = 1;
  if (hasTrend) trends[1] = 1;
  if (seasonal) {
    // Seasonal contrast j: s_j = 1, s_{m−1} = −1 (the seasons sum to zero).
    const off = hasTrend ? 2 : 1;
    for (let j = 0; j < m - 1; j++) {
      seasons[(off + j) * m + j] = 1;
      seasons[(off + j) * m + m - 1] = -1;
    }
  }
  const e = new Float64Array(k + 1);
  const ata = new Float64Array(k * k);
  const atb = new Float64Array(k);
  let slot = 0;
  for (let t = 0; t < n; t++) {
    for (let c = 0; c <= k; c++) {
      const db = phi * trends[c];
      const si = c * m + slot;
      const err = (c === k ? z[t] : 0) - (levels[c] + db + seasons[si]);
      e[c] = err;
      levels[c] = levels[c] + db + alpha * err;
      trends[c] = db + beta * err;
      seasons[si] = seasons[si] + gamma * err;
    }
    const base = e[k];
    for (let i = 0; i < k; i++) {
      const ci = e[i];
      atb[i] += ci * base;
      for (let j = 0; j <= i; j++) ata[i * k + j] += ci * e[j];
    }
    if (++slot === m) slot = 0;
  }
  return solveInitial({ ata, atb }, k, seasonal, hasTrend, m);
}

/**
 * The normal equations of the initial state without a season: the filters of the unit level, the
 * unit trend and the zero state on z, in scalars (the season's +0 terms left out change no bit).
 */
function nonSeasonalNormals(z: ArrayLike<number>, hasTrend: boolean, p: Params): { ata: Float64Array; atb: Float64Array } {
  const { alpha, beta, phi } = p;
  let l0 = 1;
  let b0 = 0;
  let l1 = 0;
  let b1 = 1;
  let lz = 0;
  let bz = 0;
  let a00 = 0;
  let a10 = 0;
  let a11 = 0;
  let r0 = 0;
  let r1 = 0;
  for (let t = 0; t < z.length; t++) {
    const d0 = phi * b0;
    const e0 = 0 - (l0 + d0);
    l0 = l0 + d0 + alpha * e0;
    b0 = d0 + beta * e0;
    const dz = phi * bz;
    const ez = z[t] - (lz + dz);
    lz = lz + dz + alpha * ez;
    bz = dz + beta * ez;
    r0 += e0 * ez;
    a00 += e0 * e0;
    if (hasTrend) {
      const d1 = phi * b1;
      const e1 = 0 - (l1 + d1);
      l1 = l1 + d1 + alpha * e1;
      b1 = d1 + beta * e1;
      r1 += e1 * ez;
      a10 += e1 * e0;
      a11 += e1 * e1;
    }
  }
  return hasTrend ? { ata: Float64Array.of(a00, 0, a10, a11), atb: Float64Array.of(r0, r1) } : { ata: Float64Array.of(a00), atb: Float64Array.of(r0) };
}

/** Solves the normal equations (lower triangle of `ata`, k × k) for the initial state. */
function solveInitial({ ata, atb }: { ata: Float64Array; atb: Float64Array }, k: number, seasonal: boolean, hasTrend: boolean, m: number): Initial | null {
  const x = solveSpdLower(ata, atb, k);
  if (x === null) return null;
  for (let i = 0; i < k; i++) if (!Number.isFinite(x[i])) return null;
  const s0 = new Float64Array(m);
  if (seasonal) {
    const off = hasTrend ? 2 : 1;
    for (let j = 0; j < m - 1; j++) {
      s0[j] = x[off + j];
      s0[m - 1] -= x[off + j];
    }
  }
  return { l0: x[0], b0: hasTrend ? x[1] : 0, s0 };
}

const A_BOX: [number, number] = [1e-4, 0.9999];
const RATIO_BOX: [number, number] = [0, 0.999];
const PHI_BOX: [number, number] = [0.8, 0.98];

/** Search effort: the grid of the first parameter search, compass steps and evaluation budgets. */
const EFFORT = {
  coarse: { alpha: [0.1, 0.4, 0.8], ratio: [0.05, 0.3], phi: [0.9, 0.97], step: 0.1, tol: 0.01, evals: 60, localEvals: 30 },
  coarseFlat: { alpha: [0.1, 0.4, 0.8], ratio: [0.05, 0.3], phi: [0.9, 0.97], step: 0.1, tol: 0.02, evals: 30, localEvals: 10 },
  fineFlat: { alpha: [0.05, 0.2, 0.4, 0.6, 0.85], ratio: [0.02, 0.1, 0.3], phi: [0.85, 0.92, 0.97], step: 0.1, tol: 5e-3, evals: 80, localEvals: 20 },
  fine: { alpha: [0.05, 0.2, 0.4, 0.6, 0.85], ratio: [0.02, 0.1, 0.3], phi: [0.85, 0.92, 0.97], step: 0.1, tol: 2e-3, evals: 200, localEvals: 80 },
} as const;

/** Number of free parameters of a spec (smoothing parameters and initial states). */
export function etsParameterCount(spec: EtsSpec, m: number): number {
  const seasonal = spec.season === 'A' && m > 1;
  const smoothing = 1 + (spec.trend !== 'N' ? 1 : 0) + (spec.trend === 'Ad' ? 1 : 0) + (seasonal ? 1 : 0);
  const states = 1 + (spec.trend !== 'N' ? 1 : 0) + (seasonal ? m - 1 : 0);
  return smoothing + states;
}

/**
 * Seasons longer than this are not smoothed state by state: their m − 1 initial states make the
 * least-squares step cost O(m²·n) per model (about 25 ms for a weekly series of 200 points with m
 * = 52, against 4 ms for the whole monthly screen), and R's `ets` refuses them (its limit is 24).
 * Such a season is estimated by a classical decomposition (refined by one backfitting step) and
 * held fixed (γ = 0): the model is ETS(A,·,N) on the seasonally adjusted series, as R's `stlf`
 * does it, and forecasts add the season back. Its one-step errors are those of the full model with fixed seasonal terms, so its
 * AICc (counting the m − 1 seasonal terms) compares with the others.
 */
export const MAX_SMOOTHED_SEASON = 24;

/**
 * Fits one ETS model to `y` (already positive when `spec.transform` is 'log'). Throws FitError when
 * the initial-state regression cannot be solved.
 */
export function fitEts(y: readonly number[], m: number, spec: EtsSpec, effort: 'coarse' | 'fine' = 'coarse', start?: Params, logY?: Float64Array): EtsFit {
  const n = y.length;
  // `logY`: log y computed once by autoEts for all its log models (never modified here).
  const z = spec.transform === 'log' ? (logY ?? logOf(y)) : new Float64Array(y);
  const seasonal = spec.season === 'A' && m > 1;
  const fixedSeason = seasonal && m > MAX_SMOOTHED_SEASON;
  let f: Smoothed;
  let season: number[];
  let evaluations = 0;
  if (fixedSeason) {
    const { index } = seasonalIndices(z, m);
    f = smooth(
      Float64Array.from(z, (v, t) => v - index[t % m]),
      1,
      { ...spec, season: 'N' },
      effort,
      start,
      { keepErrors: true },
    );
    // One backfitting step: the decomposition's moving average loses half a season at each end
    // and follows the level only roughly; the smoothed model's one-step errors, averaged by slot,
    // correct the season, and the model is fitted again (weekly bench: median sMAPE 9.50 → 9.11).
    const sum = new Array<number>(m).fill(0);
    const count = new Array<number>(m).fill(0);
    for (let t = 0; t < n; t++) {
      sum[t % m] += (f.errors as Float64Array)[t];
      count[t % m]++;
    }
    let mean = 0;
    for (let j = 0; j < m; j++) mean += (index[j] += count[j] > 0 ? sum[j] / count[j] : 0) / m;
    for (let j = 0; j < m; j++) index[j] -= mean;
    evaluations = f.evaluations;
    f = smooth(
      Float64Array.from(z, (v, t) => v - index[t % m]),
      1,
      { ...spec, season: 'N' },
      effort,
      start,
    );
    season = Array.from({ length: m }, (_, j) => index[(n + j) % m]);
  } else {
    f = smooth(z, seasonal ? m : 1, spec, effort, start, { flatBudget: m === 1 });
    // Re-index the seasonal terms so that season[j] belongs to forecast step j + 1 (point n − 1 + h has slot (n + h − 1) mod m).
    season = new Array<number>(m);
    for (let j = 0; j < m; j++) season[j] = seasonal ? f.season[(n + j) % m] : 0;
  }
  // A fixed season has no γ.
  const k = etsParameterCount(spec, m) - (fixedSeason ? 1 : 0);
  let jacobian = 0;
  if (spec.transform === 'log') for (let t = 0; t < n; t++) jacobian += z[t];
  // −2·log-likelihood up to a constant shared by every model of the same series.
  const sseFloor = Math.max(f.sse, 1e-300);
  const m2ll = n * Math.log(sseFloor / n) + 2 * jacobian;
  const kk = k + 1;
  const aicc = n - kk - 1 > 0 ? m2ll + 2 * kk + (2 * kk * (kk + 1)) / (n - kk - 1) : Infinity;
  return {
    spec,
    ...f.params,
    level: f.level,
    trend: spec.trend !== 'N' ? f.trend : 0,
    season,
    sse: f.sse,
    k,
    n,
    aicc,
    evaluations: evaluations + f.evaluations,
  };
}

/** log y in a typed array (a loop: Float64Array.from goes through the iterator protocol). */
function logOf(y: readonly number[]): Float64Array {
  const z = new Float64Array(y.length);
  for (let t = 0; t < y.length; t++) z[t] = Math.log(y[t]);
  return z;
}

/** A smoothed series: parameters, final state (seasons by slot), SSE. */
interface Smoothed {
  readonly params: Params;
  readonly level: number;
  readonly trend: number;
  readonly season: Float64Array;
  readonly sse: number;
  readonly evaluations: number;
  readonly errors?: Float64Array;
}

/** Smoothing parameters and initial states of `spec` on the model's scale `z`, optimized in turn (season length `mm`, 1 without season). */
function smooth(
  z: Float64Array,
  mm: number,
  spec: EtsSpec,
  effort: 'coarse' | 'fine',
  start?: Params,
  { keepErrors = false, flatBudget = false }: { keepErrors?: boolean; flatBudget?: boolean } = {},
): Smoothed {
  const seasonal = spec.season === 'A' && mm > 1;
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  // A series without a season (annual, or too short for one) searches with smaller budgets
  // (`coarseFlat`, `fineFlat`): at most three smooth dimensions. They changed no median sMAPE on
  // the annual bench group and cut its contests' cost (docs/forecast-models.md). Not the
  // season-free candidates of a seasonal series: there they change which model AICc picks (weekly
  // bench group 9.11 → 9.20).
  const E = flatBudget && !seasonal ? (effort === 'coarse' ? EFFORT.coarseFlat : EFFORT.fineFlat) : EFFORT[effort];
  // Coordinates: α, then β/α (trend), γ/(1 − α) (season), φ (damped): every point is admissible.
  const dims: ('a' | 'b' | 'g' | 'p')[] = ['a'];
  if (hasTrend) dims.push('b');
  if (seasonal) dims.push('g');
  if (damped) dims.push('p');
  const toParams = (x: readonly number[]): Params => {
    const p: Params = { alpha: x[0], beta: 0, gamma: 0, phi: 1 };
    let i = 1;
    if (hasTrend) p.beta = p.alpha * x[i++];
    if (seasonal) p.gamma = (1 - p.alpha) * x[i++];
    if (damped) p.phi = x[i++];
    return p;
  };
  const lo = dims.map((d) => (d === 'a' ? A_BOX[0] : d === 'p' ? PHI_BOX[0] : RATIO_BOX[0]));
  const hi = dims.map((d) => (d === 'a' ? A_BOX[1] : d === 'p' ? PHI_BOX[1] : RATIO_BOX[1]));
  const buf = new Float64Array(mm);
  let x: number[] =
    start === undefined
      ? dims.map((d) => (d === 'a' ? 0.3 : d === 'p' ? 0.95 : 0.1))
      : dims.map((d) =>
          Math.min(
            d === 'a' ? A_BOX[1] : d === 'p' ? PHI_BOX[1] : RATIO_BOX[1],
            Math.max(
              d === 'a' ? A_BOX[0] : d === 'p' ? PHI_BOX[0] : RATIO_BOX[0],
              d === 'a' ? start.alpha : d === 'p' ? start.phi : d === 'b' ? start.beta / start.alpha : start.gamma / (1 - start.alpha),
            ),
          ),
        );
  const first = initialByLeastSquares(z, mm, spec, toParams(x));
  if (first === null) throw new FitError('ets: initial state regression is singular');
  let init: Initial = first;
  let evaluations = 0;
  const search = (grid: readonly (readonly number[])[], maxEvals: number, step: number) => {
    const s = init;
    // toParams inline, without an object per evaluation.
    const ib = hasTrend ? 1 : 0;
    const ig = ib + (seasonal ? 1 : 0);
    const ip = ig + (damped ? 1 : 0);
    const r = gridThenCompass(
      (xx) => {
        const alpha = xx[0];
        return sseOf(z, mm, alpha, hasTrend ? alpha * xx[ib] : 0, seasonal ? (1 - alpha) * xx[ig] : 0, damped ? xx[ip] : 1, s.l0, s.b0, s.s0, buf);
      },
      {
        grid,
        lo,
        hi,
        step: new Array<number>(dims.length).fill(step),
        tol: E.tol,
        maxEvals,
      },
    );
    evaluations += r.evals;
    return r.x;
  };
  const grid = dims.map((d) => (d === 'a' ? [...E.alpha] : d === 'p' ? [...E.phi] : [...E.ratio]));
  // From a given start (the same model fitted on the whole series), only the local search: the
  // start is already near the optimum of an overlapping series.
  if (start === undefined) x = search(grid, E.evals, E.step);
  for (let round = 0; round < 2; round++) {
    // (From a start, the states at x are those just solved.)
    const next: Initial | null = round === 0 && start !== undefined ? init : initialByLeastSquares(z, mm, spec, toParams(x));
    if (next === null) break;
    init = next;
    if (round === 0)
      x = search(
        x.map((v) => [v]),
        E.localEvals,
        E.step / 4,
      );
  }
  const params = toParams(x);
  // The one-step errors are kept for the fixed season's backfitting only.
  const errors = keepErrors ? new Float64Array(z.length) : undefined;
  const f = run(z, mm, params, init.l0, init.b0, init.s0, buf, errors);
  if (!Number.isFinite(f.sse)) throw new FitError('ets: the one-step errors are not finite');
  return { params, level: f.level, trend: f.trend, season: buf, sse: f.sse, evaluations, errors };
}

/**
 * Fits the specs that the series can identify (more points than parameters + 6) and returns them
 * sorted by AICc (ties: the earlier spec, the simpler one). With `chooseScale` (and a positive
 * series), the scale is chosen first, by the AICc of the simplest seasonal (or level) model on
 * each scale, and the other specs are fitted on that scale only: half the fits.
 */
export function autoEts(
  y: readonly number[],
  m: number,
  effort: 'coarse' | 'fine' = 'coarse',
  trends: readonly EtsTrend[] = ['N', 'A', 'Ad'],
  chooseScale = false,
): EtsFit[] {
  let positive = true;
  for (const v of y) if (!(v > 0)) positive = false;
  const fits: EtsFit[] = [];
  // Fits of the scale choice, reused when the same spec comes up again (fitting is deterministic:
  // the same spec on the same series gives the same fit).
  const done: EtsFit[] = [];
  let logY: Float64Array | undefined;
  const tryFit = (spec: EtsSpec) => {
    if (y.length < etsParameterCount(spec, m) + 6) return;
    const again = done.find((f) => f.spec.trend === spec.trend && f.spec.season === spec.season && f.spec.transform === spec.transform);
    if (again !== undefined) {
      fits.push(again);
      return;
    }
    try {
      if (spec.transform === 'log' && logY === undefined) logY = logOf(y);
      fits.push(fitEts(y, m, spec, effort, undefined, logY));
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
    }
  };
  let scales: EtsTransform[] = positive ? ['none', 'log'] : ['none'];
  if (chooseScale && positive) {
    const season: EtsSeason = m > 1 && y.length >= etsParameterCount({ trend: 'N', season: 'A', transform: 'none' }, m) + 6 ? 'A' : 'N';
    tryFit({ trend: 'N', season, transform: 'none' });
    tryFit({ trend: 'N', season, transform: 'log' });
    if (fits.length === 2) scales = [fits[1].aicc < fits[0].aicc ? 'log' : 'none'];
    done.push(...fits);
    fits.length = 0;
  }
  for (const transform of scales) {
    for (const season of m > 1 ? (['N', 'A'] as const) : (['N'] as const)) for (const trend of trends) tryFit({ trend, season, transform });
  }
  return fits
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.aicc - b.f.aicc || a.i - b.i)
    .map((x) => x.f);
}

/** Point forecast of steps 1..h on the original scale (the log models' median). */
export function etsPoint(f: EtsFit, h: number, m: number): number[] {
  const out: number[] = [];
  let phiPow = 1;
  let phiSum = 0;
  for (let i = 1; i <= h; i++) {
    phiPow *= f.phi;
    phiSum += phiPow;
    const v = f.level + phiSum * f.trend + f.season[(i - 1) % m];
    out.push(f.spec.transform === 'log' ? Math.exp(v) : v);
  }
  return out;
}

/** "ETS(A,Ad,A) log": the model's name in R's notation (additive errors on the named scale). */
export function etsName(spec: EtsSpec): string {
  return `ETS(A,${spec.trend},${spec.season})${spec.transform === 'log' ? ' log' : ''}`;
}

/** The spec of a name written by {@link etsName}, or undefined. */
export function parseEtsName(name: string): EtsSpec | undefined {
  const r = /^ETS\(A,(N|A|Ad),(N|A)\)( log)?$/.exec(name);
  return r ? { trend: r[1] as EtsTrend, season: r[2] as EtsSeason, transform: r[3] ? 'log' : 'none' } : undefined;
}

/**
 * The `ets` family: every identifiable model (trend none/additive/damped × season none/additive,
 * on y and, for a positive series, on log y), the best by AICc. The coarse search (screen pass)
 * picks the scale first with the level+season model on each scale and fits the rest on that
 * scale only; the fine search (refine pass) fits every model on both scales with a larger budget.
 */
export const ets: ForecastFamily<'ets'> = {
  name: 'ets',
  minLength: () => 8,
  fit(train, opts = {}) {
    const o = resolve('ets', train, opts, ets.minLength);
    const hint = opts.etsSpec;
    const usable = hint !== undefined && (hint.transform === 'none' || train.every((v) => v > 0)) && train.length >= etsParameterCount(hint, o.period) + 6;
    const fits = usable
      ? [fitEts(train, o.period, hint, o.search, opts.etsStart)]
      : autoEts(train, o.period, o.search, ['N', 'A', 'Ad'], o.search === 'coarse');
    if (fits.length === 0) throw new FitError(`ets: no model is identifiable from ${train.length} points`);
    const f = fits[0];
    const state: EtsState = {
      level: f.level,
      trend: f.trend,
      season: f.season,
      alpha: f.alpha,
      beta: f.beta,
      gamma: f.gamma,
      phi: f.phi,
      transform: f.spec.transform,
      spec: etsName(f.spec),
    };
    const params = {
      alpha: f.alpha,
      beta: f.beta,
      gamma: f.gamma,
      phi: f.phi,
      sse: f.sse,
      aicc: f.aicc,
      k: f.k,
      models: fits.length,
      evaluations: fits.reduce((a, x) => a + x.evaluations, 0),
    };
    return fitted('ets', o, params, state, sigmaOf(f.sse, f.n - f.k), train.length);
  },
  forecast: familyForecast,
};
