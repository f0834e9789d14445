/**
 * The reference worker's forecasting core (pure, deterministic): series preparation, three model
 * families (seasonal naive, linear trend, additive Holt-Winters), holdout metrics and the
 * per-partition contest. Models serialize to the JSON artifact that the aggregator's Python
 * predict core (lib/registry/python/predict_core.py) reads; predictFromModel mirrors it.
 */

export const Z95 = 1.959963984540054;

export class SeriesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesError';
  }
}

export interface Observation {
  readonly date: string | Date;
  readonly y: number | null;
}

export interface PreparedSeries {
  readonly start: string;
  readonly values: number[];
  /** Days filled by interpolation (gaps and NULLs). */
  readonly filled: number;
}

const DAY = 86400000;
const isoDay = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));
const dayNumber = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY);
const fromDayNumber = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);

/** Sorts, de-duplicates (last value wins), puts the series on a daily grid and interpolates gaps. */
export function prepareSeries(rows: readonly Observation[]): PreparedSeries {
  const byDay = new Map<number, number | null>();
  for (const r of rows) byDay.set(dayNumber(isoDay(r.date)), r.y === null || r.y === undefined || !Number.isFinite(Number(r.y)) ? null : Number(r.y));
  const known = [...byDay.entries()].filter(([, v]) => v !== null).sort((a, b) => a[0] - b[0]) as [number, number][];
  if (known.length === 0) throw new SeriesError('no non-NULL observations');
  const first = known[0][0];
  const last = known[known.length - 1][0];
  const values: number[] = [];
  let filled = 0;
  let k = 0;
  for (let d = first; d <= last; d++) {
    while (k < known.length - 1 && known[k + 1][0] <= d) k++;
    if (known[k][0] === d) values.push(known[k][1]);
    else {
      const [d0, v0] = known[k];
      const [d1, v1] = known[k + 1];
      values.push(v0 + ((v1 - v0) * (d - d0)) / (d1 - d0));
      filled++;
    }
  }
  return { start: fromDayNumber(first), values, filled };
}

export interface Metrics {
  readonly mape: number | null;
  readonly rmse: number;
  readonly smape: number | null;
}

export function metrics(actual: readonly number[], forecast: readonly number[]): Metrics {
  let se = 0;
  let ape = 0;
  let apeN = 0;
  let sape = 0;
  let sapeN = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = actual[i] - forecast[i];
    se += e * e;
    if (actual[i] !== 0) {
      ape += Math.abs(e / actual[i]);
      apeN++;
    }
    const denom = Math.abs(actual[i]) + Math.abs(forecast[i]);
    if (denom !== 0) {
      sape += (2 * Math.abs(e)) / denom;
      sapeN++;
    }
  }
  return { mape: apeN ? ape / apeN : null, rmse: Math.sqrt(se / actual.length), smape: sapeN ? sape / sapeN : null };
}

/** A fitted model: what predict needs, in the artifact's format (formatVersion 1). */
export interface ForecastModel {
  readonly format: 'many-model-forecast';
  readonly formatVersion: 1;
  readonly family: 'seasonal_naive' | 'linear_trend' | 'holt_winters';
  readonly period: number;
  readonly lastDate: string;
  readonly state: Record<string, unknown>;
  readonly params: Record<string, number>;
  readonly sigma: number;
  readonly z: number;
  readonly nObs: number;
  metrics?: Record<string, Metrics>;
}

type Fit = { state: Record<string, unknown>; params: Record<string, number>; sigma: number; point: (h: number) => number };

function fitSeasonalNaive(y: readonly number[], m: number): Fit {
  const season = y.slice(y.length - m);
  let se = 0;
  for (let t = m; t < y.length; t++) se += (y[t] - y[t - m]) ** 2;
  return { state: { season }, params: {}, sigma: Math.sqrt(se / Math.max(1, y.length - m)), point: (h) => season[(h - 1) % m] };
}

function fitLinearTrend(y: readonly number[]): Fit {
  const n = y.length;
  const tMean = (n - 1) / 2;
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < n; t++) {
    sxy += (t - tMean) * (y[t] - yMean);
    sxx += (t - tMean) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = yMean - slope * tMean;
  let se = 0;
  for (let t = 0; t < n; t++) se += (y[t] - (intercept + slope * t)) ** 2;
  const t0 = n - 1;
  return { state: { intercept, slope, t0 }, params: {}, sigma: Math.sqrt(se / Math.max(1, n - 2)), point: (h) => intercept + slope * (t0 + h) };
}

function holtWintersRun(y: readonly number[], m: number, a: number, b: number, g: number): { sse: number; level: number; trend: number; season: number[] } {
  const mean = (xs: readonly number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;
  let level = mean(y.slice(0, m));
  let trend = (mean(y.slice(m, 2 * m)) - level) / m;
  const s = y.slice(0, m).map((v) => v - level);
  let sse = 0;
  for (let t = m; t < y.length; t++) {
    const si = s[t % m];
    const f = level + trend + si;
    sse += (y[t] - f) ** 2;
    const prev = level;
    level = a * (y[t] - si) + (1 - a) * (level + trend);
    trend = b * (level - prev) + (1 - b) * trend;
    s[t % m] = g * (y[t] - level) + (1 - g) * si;
  }
  return { sse, level, trend, season: s };
}

function fitHoltWinters(y: readonly number[], m: number, grid: readonly number[][]): Fit {
  let best: { sse: number; a: number; b: number; g: number } | undefined;
  for (const a of grid[0]) for (const b of grid[1]) for (const g of grid[2]) {
    const r = holtWintersRun(y, m, a, b, g);
    if (!best || r.sse < best.sse - 1e-12) best = { sse: r.sse, a, b, g };
  }
  const r = holtWintersRun(y, m, best!.a, best!.b, best!.g);
  const n = y.length;
  // Season slot of forecast step h is (n + h - 1) mod m; store it aligned to h = 1.
  const season = Array.from({ length: m }, (_, j) => r.season[(n + j) % m]);
  return {
    state: { level: r.level, trend: r.trend, season },
    params: { alpha: best!.a, beta: best!.b, gamma: best!.g },
    sigma: Math.sqrt(best!.sse / Math.max(1, n - m)),
    point: (h) => r.level + h * r.trend + season[(h - 1) % m],
  };
}

export type Family = ForecastModel['family'];
export const SCREEN_FAMILIES: readonly Family[] = ['seasonal_naive', 'linear_trend', 'holt_winters'];
export const REFINE_FAMILIES: readonly Family[] = SCREEN_FAMILIES;

const COARSE = [[0.1, 0.3, 0.6], [0.01, 0.1], [0.05, 0.3]];
const FINE = [[0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8], [0.005, 0.02, 0.05, 0.1, 0.2], [0.02, 0.05, 0.1, 0.2, 0.35, 0.5]];

function fitFamily(family: Family, y: readonly number[], m: number, refine: boolean): Fit {
  if (family === 'seasonal_naive') return fitSeasonalNaive(y, m);
  if (family === 'linear_trend') return fitLinearTrend(y);
  return fitHoltWinters(y, m, refine ? FINE : COARSE);
}

export interface ContestOptions {
  readonly holdout: number;
  readonly period: number;
  /** Use the richer parameter grids (refine pass). */
  readonly refine?: boolean;
}

/**
 * Fits every family on the training window, scores it on the holdout, keeps the best by MAPE
 * (RMSE when MAPE is undefined; ties by family order) and refits the winner on the whole series.
 */
export function selectBest(series: PreparedSeries, opts: ContestOptions): { model: ForecastModel; winner: Family; metrics: Metrics } {
  const y = series.values;
  const { holdout: H, period: m } = opts;
  if (y.length < 2 * m + H) throw new SeriesError(`series too short: ${y.length} days, need at least ${2 * m + H} (two seasons of ${m} plus a holdout of ${H})`);
  const train = y.slice(0, y.length - H);
  const actual = y.slice(y.length - H);
  const all: Record<string, Metrics> = {};
  let best: { family: Family; m: Metrics } | undefined;
  for (const family of SCREEN_FAMILIES) {
    const fit = fitFamily(family, train, m, !!opts.refine);
    const fc = Array.from({ length: H }, (_, i) => fit.point(i + 1));
    const met = metrics(actual, fc);
    all[family] = met;
    const score = (x: Metrics) => x.mape ?? x.rmse;
    if (!best || score(met) < score(best.m) - 1e-12) best = { family, m: met };
  }
  const final = fitFamily(best!.family, y, m, !!opts.refine);
  const lastDate = fromDayNumber(dayNumber(series.start) + y.length - 1);
  const model: ForecastModel = { format: 'many-model-forecast', formatVersion: 1, family: best!.family, period: m, lastDate, state: final.state, params: final.params, sigma: final.sigma, z: Z95, nObs: y.length, metrics: all };
  return { model, winner: best!.family, metrics: best!.m };
}

/** The TypeScript twin of predict_core.predict_from_model (same formulas, same order). */
export function predictFromModel(model: ForecastModel, horizon: number): { step: number; date: string; forecast: number; lower: number; upper: number }[] {
  const s = model.state as { season?: number[]; intercept?: number; slope?: number; t0?: number; level?: number; trend?: number };
  const point = (h: number): number => {
    const idx = (h - 1) % model.period;
    switch (model.family) {
      case 'seasonal_naive':
        return s.season![idx];
      case 'linear_trend':
        return s.intercept! + s.slope! * (s.t0! + h);
      case 'holt_winters':
        return s.level! + h * s.trend! + s.season![idx];
    }
  };
  const last = dayNumber(model.lastDate);
  return Array.from({ length: horizon }, (_, i) => {
    const h = i + 1;
    const p = point(h);
    const half = model.z * model.sigma * Math.sqrt(h);
    return { step: h, date: fromDayNumber(last + h), forecast: p, lower: p - half, upper: p + half };
  });
}
