/**
 * The per-partition model contest: fit each family on the training window, score it on the
 * holdout (the last `holdout` days), pick the best by the chosen metric, refit the winner on the
 * whole series and return it as an artifact with every family's holdout metrics.
 */
import { addDays } from './dates';
import { FitError, ForecastError, ForecastOptionsError, SeriesError, SeriesTooShortError } from './errors';
import { FAMILIES } from './families';
import { Metrics, computeMetrics } from './metrics';
import { CandidateResult, ContestRecord, FAMILY_ORDER, FamilyName, ForecastModel, MetricName, toModelDocument } from './model';
import { forecast } from './predict';
import { PreparedSeries } from './prepare';

/** The cheap screen set: seasonal naive, linear trend, Holt–Winters (coarse parameter search). */
export const SCREEN_FAMILIES: readonly FamilyName[] = ['seasonal_naive', 'linear_trend', 'holt_winters'];
/** The refine set: every family (adds drift, SES, linear trend + weekly season, damped Holt–Winters), fine parameter search. */
export const REFINE_FAMILIES: readonly FamilyName[] = FAMILY_ORDER;

/** Options of {@link selectBest}. */
export interface ContestOptions {
  /** Families that compete (their order does not matter: ties go to the earlier in FAMILY_ORDER). @default SCREEN_FAMILIES, or REFINE_FAMILIES when `refine` */
  readonly families?: readonly FamilyName[];
  /** Days held out for scoring. @default 28 */
  readonly holdout?: number;
  /** Season length in days. @default 7 */
  readonly period?: number;
  /** Metric the winner is chosen by. @default 'MAPE' */
  readonly metric?: MetricName;
  /** Prediction-interval coverage of the returned model. @default 0.95 */
  readonly level?: number;
  /** Refine pass: REFINE_FAMILIES (unless `families` is given) and the fine parameter search. @default false */
  readonly refine?: boolean;
  /** Parameter search effort. @default 'fine' when `refine`, else 'coarse' */
  readonly search?: 'coarse' | 'fine';
  /** Reject a series when more than this fraction of its days were interpolated. @default 0.5 */
  readonly maxFilledFraction?: number;
}

/** Result of {@link selectBest}. */
export interface ContestResult {
  /** The winner refitted on the whole series, as the artifact to store. */
  readonly model: ForecastModel;
  /** The winning family. */
  readonly winner: FamilyName;
  /** The winner's holdout metrics. */
  readonly metrics: Metrics;
  /** Metric the winner was chosen by (after the MAPE fallback). */
  readonly selectedBy: MetricName;
  /** Every family's holdout result. */
  readonly candidates: { readonly [F in FamilyName]?: CandidateResult };
}

const METRICS: readonly MetricName[] = ['MAPE', 'RMSE', 'SMAPE'];
/** Metric differences below this are ties (see selectBest). */
const TIE = 1e-9;

const metricValue = (m: Metrics, name: MetricName): number | null => (name === 'MAPE' ? m.mape : name === 'RMSE' ? m.rmse : m.smape);

/**
 * Runs the contest on a prepared series. Throws SeriesTooShortError when the series has fewer than
 * two seasons plus the holdout, SeriesError('TOO_SPARSE') when too much of it was interpolated, and
 * FitError when no family could be fitted.
 *
 * Selection: lowest holdout metric; MAPE is undefined when every holdout actual is 0, then sMAPE
 * decides, with RMSE breaking its ties. A family whose forecast is not finite, or whose fit failed,
 * cannot win. Differences below 1e-9 (MAPE, sMAPE) or 1e-9 × the holdout's mean absolute value
 * (RMSE) are ties, which go to the family earlier in FAMILY_ORDER.
 * Holdout points that were interpolated are not scored (unless all of them were).
 */
export function selectBest(series: PreparedSeries, opts: ContestOptions = {}): ContestResult {
  const holdout = opts.holdout ?? 28;
  const period = opts.period ?? 7;
  const metric = opts.metric ?? 'MAPE';
  const level = opts.level ?? 0.95;
  const refine = opts.refine ?? false;
  const search = opts.search ?? (refine ? 'fine' : 'coarse');
  const maxFilled = opts.maxFilledFraction ?? 0.5;
  if (!(Number.isInteger(holdout) && holdout >= 1)) throw new ForecastOptionsError(`holdout must be an integer >= 1, got ${holdout}`);
  if (!(Number.isInteger(period) && period >= 1 && period <= 366)) throw new ForecastOptionsError(`period must be an integer in [1, 366], got ${period}`);
  if (!METRICS.includes(metric)) throw new ForecastOptionsError(`metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`);
  if (!(maxFilled >= 0 && maxFilled <= 1)) throw new ForecastOptionsError(`maxFilledFraction must be in [0, 1], got ${maxFilled}`);
  const requested = opts.families ?? (refine ? REFINE_FAMILIES : SCREEN_FAMILIES);
  if (requested.length === 0) throw new ForecastOptionsError('families is empty');
  for (const f of requested) if (!FAMILY_ORDER.includes(f)) throw new ForecastOptionsError(`unknown family ${JSON.stringify(f)}; known: ${FAMILY_ORDER.join(', ')}`);
  const families = FAMILY_ORDER.filter((f) => requested.includes(f));

  const y = series.values;
  const n = y.length;
  const required = 2 * period + holdout;
  if (n < required) throw new SeriesTooShortError(n, required, `two seasons of ${period} plus a holdout of ${holdout}`);
  if (series.filled > maxFilled * n) {
    throw new SeriesError('TOO_SPARSE', `series too sparse: ${series.filled} of ${n} days were interpolated, more than maxFilledFraction ${maxFilled}`);
  }

  const train = y.slice(0, n - holdout);
  const actual = y.slice(n - holdout);
  const observed = series.observed.slice(n - holdout);
  const use = observed.some(Boolean) ? observed : undefined;
  const fitOpts = { period, level, search } as const;
  const candidates: { [F in FamilyName]?: CandidateResult } = {};
  const scored: { family: FamilyName; metrics: Metrics }[] = [];
  for (const family of families) {
    try {
      const model = FAMILIES[family].fit(train, fitOpts);
      const fc = forecast(model, holdout).point;
      if (!fc.every(Number.isFinite)) throw new FitError('forecast is not finite');
      const m = computeMetrics(actual, fc, use);
      candidates[family] = { status: 'OK', metrics: m };
      scored.push({ family, metrics: m });
    } catch (e) {
      if (!(e instanceof ForecastError)) throw e;
      candidates[family] = { status: 'FAILED', error: e.message };
    }
  }
  if (scored.length === 0) {
    throw new FitError(`no family could be fitted: ${families.map((f) => `${f}: ${(candidates[f] as { error: string }).error}`).join('; ')}`);
  }
  // Every candidate is scored on the same actuals, so MAPE is null for all or for none.
  const selectedBy: MetricName = metricValue(scored[0].metrics, metric) === null ? 'SMAPE' : metric;
  // Differences below TIE (absolute for the fractions MAPE and sMAPE, relative to the holdout's
  // mean absolute value for RMSE) are rounding noise: several families can fit clean data exactly.
  let meanAbs = 0;
  for (const a of actual) meanAbs += Math.abs(a);
  meanAbs /= actual.length;
  const tol = (name: MetricName) => (name === 'RMSE' ? TIE * (meanAbs > 0 ? meanAbs : 1) : TIE);
  const keys: MetricName[] = selectedBy === metric ? [metric] : [selectedBy, 'RMSE'];
  let best = scored[0];
  for (const c of scored.slice(1)) {
    for (const k of keys) {
      const v = metricValue(c.metrics, k) as number;
      const b = metricValue(best.metrics, k) as number;
      if (v < b - tol(k)) best = c;
      if (Math.abs(v - b) > tol(k)) break;
    }
  }

  const final = FAMILIES[best.family].fit(y, fitOpts);
  const record: ContestRecord = { selectedBy, holdout, winner: best.metrics, candidates };
  const model = toModelDocument(final, { startDate: series.start, lastDate: addDays(series.start, n - 1), nFilled: series.filled }, record);
  return { model, winner: best.family, metrics: best.metrics, selectedBy, candidates };
}
