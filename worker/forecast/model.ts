/**
 * The model artifact: format "many-model-forecast", formatVersion 4 (docs/forecast-models.md).
 * It is self-contained: `predictFromModel` (TypeScript) and `predict_from_model`
 * (lib/registry/python/predict_core.py) need nothing but the document. Numbers are plain JSON
 * numbers; JSON.stringify writes the shortest decimal that parses back to the same double, so
 * the round trip is lossless.
 */
import { Frequency, daysInMonth, isFrequency, toDayNumber } from './dates';
import { ModelFormatError } from './errors';
import type { Metrics } from './metrics';

/** The `format` of every artifact. */
export const MODEL_FORMAT = 'many-model-forecast';
/**
 * The version this module writes. Version 4 added the series' step (`frequency`, and `anchorDay`
 * for months, quarters and years): forecast dates step by it rather than by days. Version 3 added
 * the families `ets` and `arima` (and the log scale they may forecast on); versions 3 and 2 read
 * as before (daily steps; version 2 without `ets` and `arima`), and version 1 (legacy, see
 * {@link LegacyForecastModelV1}) is still read.
 */
export const MODEL_FORMAT_VERSION = 4;
/** The versions predict reads. */
export const READ_VERSIONS = [1, 2, 3, 4] as const;

/** Model families, in the contest's tie-break order (simplest first). */
export const FAMILY_ORDER = [
  'seasonal_naive',
  'linear_trend',
  'drift',
  'ses',
  'linear_trend_season',
  'holt_winters',
  'holt_winters_damped',
  'ets',
  'arima',
] as const;
/** Families that formatVersion 2 documents may hold (the others need version 3). */
export const V2_FAMILIES: readonly FamilyName[] = [
  'seasonal_naive',
  'linear_trend',
  'drift',
  'ses',
  'linear_trend_season',
  'holt_winters',
  'holt_winters_damped',
];
/** A model family. */
export type FamilyName = (typeof FAMILY_ORDER)[number];

/** seasonal_naive: the last season; `season[j]` is the forecast of step j+1 (mod period). */
export interface SeasonalNaiveState {
  readonly season: number[];
}
/** drift: last value plus `slope` per step (the mean change per step); `n` points were fitted. */
export interface DriftState {
  readonly last: number;
  readonly slope: number;
  readonly n: number;
}
/** ses: flat forecast at `level`; `alpha` scales the interval. */
export interface SesState {
  readonly level: number;
  readonly alpha: number;
}
/**
 * linear_trend / linear_trend_season: OLS on the design row x(t) = [1, t − tCenter, d₁(t) … d_{m−1}(t)]
 * (dummies only for linear_trend_season; dⱼ(t) = 1 when t mod period = j, t = 0 on the first fitted
 * day). Step h is t = tLast + h. `xtxInv` is (XᵀX)⁻¹ for the interval.
 */
export interface RegressionState {
  readonly coef: number[];
  readonly tCenter: number;
  readonly tLast: number;
  readonly xtxInv: number[][];
}
/**
 * holt_winters (phi = 1) / holt_winters_damped: ETS(A,A,A) / ETS(A,Ad,A) final state. `season[j]` is
 * the seasonal term of step j+1 (mod period); alpha, beta, gamma (error-correction form) and phi
 * scale the interval.
 */
export interface HoltWintersState {
  readonly level: number;
  readonly trend: number;
  readonly season: number[];
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
}

/** The scale a model forecasts on: the series itself, or its natural logarithm (forecasts and bounds are exponentiated). */
export type Transform = 'none' | 'log';

/**
 * ets: the final state of an additive-error ETS model on the series or its logarithm (`transform`),
 * chosen by AICc (families/ets.ts). Predict reads it as holt_winters_damped on that scale (trend 0
 * and beta 0 without trend, phi 1 without damping, season 0 and gamma 0 without season), then
 * exponentiates point and bounds when `transform` is 'log'. `spec` names the model, e.g.
 * "ETS(A,Ad,A) log" (informational).
 */
export interface EtsState extends HoltWintersState {
  readonly transform: Transform;
  readonly spec: string;
}

/**
 * arima: an autoregression on the (seasonally) differenced series, expanded into one AR polynomial
 * on the series' scale: z_t = intercept + Σᵢ ar[i]·z_{t−1−i} + e_t, z = y or log y. `last` holds
 * the last `ar.length` values of z, oldest first. The interval uses the ψ-weights of 1/(1 − Σ ar[i]Bⁱ⁺¹).
 */
export interface ArimaState {
  readonly ar: number[];
  readonly intercept: number;
  readonly last: number[];
  readonly transform: Transform;
  readonly spec: string;
}

/** The state type of each family. */
export interface FamilyStates {
  seasonal_naive: SeasonalNaiveState;
  drift: DriftState;
  ses: SesState;
  linear_trend: RegressionState;
  linear_trend_season: RegressionState;
  holt_winters: HoltWintersState;
  holt_winters_damped: HoltWintersState;
  ets: EtsState;
  arima: ArimaState;
}

interface FittedOf<F extends FamilyName> {
  readonly family: F;
  /** Season length in steps of the series. */
  readonly period: number;
  /** Fitted hyper-parameters and fit diagnostics (informational; predict does not read them). */
  readonly params: Record<string, number>;
  /** Everything predict needs besides period, sigma and z. */
  readonly state: FamilyStates[F];
  /** Standard deviation of the in-sample one-step errors (residuals for the regressions). */
  readonly sigma: number;
  /** Coverage of the prediction interval. */
  readonly level: number;
  /** Normal quantile of `level`: the interval is point ± z·sigma·scale(h). */
  readonly z: number;
  /** Points fitted. */
  readonly nObs: number;
}

/** A fitted model of one family (in memory; the artifact adds dates and provenance). */
export type FittedModel<F extends FamilyName = FamilyName> = { [K in F]: FittedOf<K> }[F];

/** Metric a contest ranks by. */
export type MetricName = 'MAPE' | 'RMSE' | 'SMAPE';

/** Holdout result of one family in a contest. */
export type CandidateResult = { readonly status: 'OK'; readonly metrics: Metrics } | { readonly status: 'FAILED'; readonly error: string };

/** The contest record stored in the artifact. */
export interface ContestRecord {
  /** Metric the winner was chosen by (MAPE falls back to SMAPE when every holdout actual is 0). */
  readonly selectedBy: MetricName;
  /** Holdout length in steps of the series. */
  readonly holdout: number;
  /** Holdout metrics of the winner. */
  readonly winner: Metrics;
  /** Every family that took part, in FAMILY_ORDER. */
  readonly candidates: { readonly [F in FamilyName]?: CandidateResult };
}

/**
 * The artifact, formatVersion 4 (what the reference worker writes); version 3 and 2 documents have
 * the same shape without `frequency` and `anchorDay` (their steps are days).
 */
export type ForecastModel<F extends FamilyName = FamilyName> = {
  [K in F]: {
    readonly format: typeof MODEL_FORMAT;
    readonly formatVersion: 2 | 3 | typeof MODEL_FORMAT_VERSION;
    readonly family: K;
    /** Season length in steps. */
    readonly period: number;
    /** The series' step (version 4; 'day' before). */
    readonly frequency?: Frequency;
    /** Months, quarters and years (version 4): forecast dates fall on this day of their month, or on its last day when the month is shorter. */
    readonly anchorDay?: number;
    /** First date of the fitted series. */
    readonly startDate: string;
    /** Last date of the fitted series; step h is h steps of `frequency` later. */
    readonly lastDate: string;
    readonly nObs: number;
    /** Fitted steps that were interpolated. */
    readonly nFilled: number;
    readonly params: Record<string, number>;
    readonly state: FamilyStates[K];
    readonly sigma: number;
    readonly level: number;
    readonly z: number;
    /** Contest record (absent when a model is serialized outside a contest). */
    readonly metrics?: ContestRecord;
  };
}[F];

/**
 * formatVersion 1, written by the first reference worker (worker/forecast.ts): families
 * seasonal_naive (`season`), linear_trend (`intercept`, `slope`, `t0`: point = intercept +
 * slope·(t0 + h)) and holt_winters (`level`, `trend`, `season`), all with interval scale √h.
 * Read for compatibility, never written.
 */
export interface LegacyForecastModelV1 {
  readonly format: typeof MODEL_FORMAT;
  readonly formatVersion: 1;
  readonly family: 'seasonal_naive' | 'linear_trend' | 'holt_winters';
  readonly period: number;
  readonly lastDate: string;
  readonly state: {
    readonly season?: number[];
    readonly intercept?: number;
    readonly slope?: number;
    readonly t0?: number;
    readonly level?: number;
    readonly trend?: number;
  };
  readonly sigma: number;
  readonly z?: number;
  readonly [extra: string]: unknown;
}

/** Any artifact predict reads. */
export type AnyForecastModel = ForecastModel | LegacyForecastModelV1;

/** Serializes a fitted model into the artifact (fixed key order, so equal models give equal bytes). */
export function toModelDocument<F extends FamilyName>(
  fit: FittedModel<F>,
  dates: { startDate: string; lastDate: string; nFilled: number; frequency?: Frequency; anchorDay?: number },
  metrics?: ContestRecord,
): ForecastModel<F> {
  const frequency = dates.frequency ?? 'day';
  const monthly = frequency === 'month' || frequency === 'quarter' || frequency === 'year';
  if (monthly !== (dates.anchorDay !== undefined))
    throw new ModelFormatError(`anchorDay is required for frequency ${frequency} and only for months, quarters and years`);
  const doc = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    family: fit.family,
    period: fit.period,
    frequency,
    ...(monthly ? { anchorDay: dates.anchorDay } : {}),
    startDate: dates.startDate,
    lastDate: dates.lastDate,
    nObs: fit.nObs,
    nFilled: dates.nFilled,
    params: fit.params,
    state: fit.state,
    sigma: fit.sigma,
    level: fit.level,
    z: fit.z,
    ...(metrics === undefined ? {} : { metrics }),
  };
  return doc as unknown as ForecastModel<F>;
}

/** The fitted-model part of an artifact (what forecasting needs). */
export function fittedFromDocument<F extends FamilyName>(doc: ForecastModel<F>): FittedModel<F> {
  const { family, period, params, state, sigma, level, z, nObs } = doc as ForecastModel;
  return { family, period, params, state, sigma, level, z, nObs } as FittedModel as FittedModel<F>;
}

// ---- validation (predict_core.py's _check_model mirrors these rules) ----

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumArray = (v: unknown, len?: number): v is number[] => Array.isArray(v) && v.every(isNum) && (len === undefined || v.length === len);

const isTransform = (v: unknown) => v === 'none' || v === 'log';
/** Longest AR polynomial an artifact may hold (a season of 366 days, differenced, plus a few lags). */
export const MAX_AR = 800;

function fail(msg: string): never {
  throw new ModelFormatError(`invalid ${MODEL_FORMAT} model: ${msg}`);
}

function need(state: Record<string, unknown>, field: string, ok: (v: unknown) => boolean, what: string): void {
  if (!ok(state[field])) fail(`state.${field} must be ${what}`);
}

/** Checks an artifact (parsed JSON) and returns it typed; throws ModelFormatError naming the first problem. */
export function parseModel(doc: unknown): AnyForecastModel {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fail('not a JSON object');
  const m = doc as Record<string, unknown>;
  if (m.format !== MODEL_FORMAT) fail(`format is ${JSON.stringify(m.format)}`);
  const version = m.formatVersion;
  if (!(READ_VERSIONS as readonly unknown[]).includes(version)) fail(`formatVersion ${JSON.stringify(version)} is not supported (1, 2, 3 and 4 are)`);
  const period = m.period;
  if (!(Number.isInteger(period) && (period as number) >= 1)) fail('period must be an integer >= 1');
  if (typeof m.lastDate !== 'string') fail('lastDate must be a YYYY-MM-DD string');
  let lastDay = 0;
  try {
    lastDay = toDayNumber(m.lastDate);
  } catch {
    fail(`lastDate ${JSON.stringify(m.lastDate)} is not a valid date`);
  }
  if (version === 4) {
    if (!isFrequency(m.frequency)) fail('frequency must be one of "day", "week", "month", "quarter", "year"');
    if (m.frequency === 'day' || m.frequency === 'week') {
      if (m.anchorDay !== undefined) fail(`anchorDay is only for months, quarters and years, not ${m.frequency}`);
    } else {
      const a = m.anchorDay;
      if (!(Number.isInteger(a) && (a as number) >= 1 && (a as number) <= 31)) fail('anchorDay must be an integer from 1 to 31');
      // lastDate is on the anchor (or its month's last day): the dates predict steps to follow it.
      const d = new Date(lastDay * 86_400_000);
      if (d.getUTCDate() !== Math.min(a as number, daysInMonth(d.getUTCFullYear(), d.getUTCMonth()))) fail(`lastDate ${m.lastDate} is not on anchorDay ${a}`);
    }
  }
  if (!(isNum(m.sigma) && m.sigma >= 0)) fail('sigma must be a finite number >= 0');
  if (m.z !== undefined && !(isNum(m.z) && m.z >= 0)) fail('z must be a finite number >= 0');
  if (version !== 1 && m.z === undefined) fail('z is required');
  const s = m.state;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) fail('state must be an object');
  const state = s as Record<string, unknown>;
  const p = period as number;
  const family = m.family;
  if (version === 1) {
    if (family === 'seasonal_naive') need(state, 'season', (v) => isNumArray(v, p), `an array of ${p} numbers`);
    else if (family === 'linear_trend') for (const f of ['intercept', 'slope', 't0']) need(state, f, isNum, 'a finite number');
    else if (family === 'holt_winters') {
      for (const f of ['level', 'trend']) need(state, f, isNum, 'a finite number');
      need(state, 'season', (v) => isNumArray(v, p), `an array of ${p} numbers`);
    } else fail(`family ${JSON.stringify(family)} is not a formatVersion 1 family`);
    return m as unknown as LegacyForecastModelV1;
  }
  if (version === 2 && !V2_FAMILIES.includes(family as FamilyName) && FAMILY_ORDER.includes(family as FamilyName))
    fail(`family ${JSON.stringify(family)} needs formatVersion 3`);
  switch (family) {
    case 'seasonal_naive':
      need(state, 'season', (v) => isNumArray(v, p), `an array of ${p} numbers`);
      break;
    case 'drift':
      for (const f of ['last', 'slope']) need(state, f, isNum, 'a finite number');
      need(state, 'n', (v) => Number.isInteger(v) && (v as number) >= 1, 'an integer >= 1');
      break;
    case 'ses':
      for (const f of ['level', 'alpha']) need(state, f, isNum, 'a finite number');
      break;
    case 'linear_trend':
    case 'linear_trend_season': {
      const k = family === 'linear_trend' ? 2 : p + 1;
      need(state, 'coef', (v) => isNumArray(v, k), `an array of ${k} numbers`);
      for (const f of ['tCenter', 'tLast']) need(state, f, isNum, 'a finite number');
      need(state, 'xtxInv', (v) => Array.isArray(v) && v.length === k && v.every((r) => isNumArray(r, k)), `a ${k}x${k} matrix`);
      break;
    }
    case 'holt_winters':
    case 'holt_winters_damped':
      for (const f of ['level', 'trend', 'alpha', 'beta', 'gamma', 'phi']) need(state, f, isNum, 'a finite number');
      need(state, 'season', (v) => isNumArray(v, p), `an array of ${p} numbers`);
      break;
    case 'ets':
      for (const f of ['level', 'trend', 'alpha', 'beta', 'gamma', 'phi']) need(state, f, isNum, 'a finite number');
      need(state, 'season', (v) => isNumArray(v, p), `an array of ${p} numbers`);
      need(state, 'transform', isTransform, '"none" or "log"');
      break;
    case 'arima':
      need(state, 'ar', (v) => isNumArray(v) && v.length <= MAX_AR, `an array of at most ${MAX_AR} numbers`);
      need(state, 'intercept', isNum, 'a finite number');
      need(state, 'last', (v) => isNumArray(v, (state.ar as number[]).length), `an array of ${(state.ar as number[]).length} numbers (one per AR coefficient)`);
      need(state, 'transform', isTransform, '"none" or "log"');
      break;
    default:
      fail(`family ${JSON.stringify(family)} is unknown`);
  }
  return m as unknown as ForecastModel;
}
