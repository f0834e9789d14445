/**
 * The per-partition model contest: fit each family on the training window, score it on the
 * holdout (the last `holdout` steps) — and, with `windows` > 1, on earlier holdouts too (rolling
 * origins) — pick the best by the chosen metric, refit the winner on the whole series, calibrate
 * its interval on the holdout errors, and return it as an artifact with every family's holdout
 * metrics.
 */
import { FREQUENCIES } from './dates';
import { FitError, ForecastError, ForecastOptionsError, SeriesError, SeriesTooShortError } from './errors';
import { FAMILIES } from './families';
import { FitOptions } from './families/common';
import { Metrics, computeMetrics } from './metrics';
import { parseEtsName } from './families/ets';
import { CandidateResult, ContestRecord, FAMILY_ORDER, FamilyName, FittedModel, ForecastModel, MetricName, toModelDocument } from './model';
import { forecast } from './predict';
import { PreparedSeries } from './prepare';

/**
 * The screen set: state-space ETS alone, its model chosen by AICc among trend none/additive/damped
 * × season none/additive on y or log y (coarse search). A one-window holdout contest between
 * families picks worse forecasts than AICc alone does (docs/forecast-models.md, "Measured").
 */
export const SCREEN_FAMILIES: readonly FamilyName[] = ['ets'];
/** The refine set: seasonal naive, ETS (fine search, both scales) and the autoregression, chosen on three rolling holdouts. */
export const REFINE_FAMILIES: readonly FamilyName[] = ['seasonal_naive', 'ets', 'arima'];
/** The screen set before formatVersion 3 (seasonal naive, linear trend, Holt–Winters), for comparison. */
export const LEGACY_SCREEN_FAMILIES: readonly FamilyName[] = ['seasonal_naive', 'linear_trend', 'holt_winters'];
/** The refine set before formatVersion 3: the seven families of version 2. */
export const LEGACY_REFINE_FAMILIES: readonly FamilyName[] = [
  'seasonal_naive',
  'linear_trend',
  'drift',
  'ses',
  'linear_trend_season',
  'holt_winters',
  'holt_winters_damped',
];

/** Options of {@link selectBest}. */
export interface ContestOptions {
  /** Families that compete (their order does not matter: ties go to the earlier in FAMILY_ORDER). @default SCREEN_FAMILIES, or REFINE_FAMILIES when `refine` */
  readonly families?: readonly FamilyName[];
  /**
   * Steps held out for scoring. @default - the series' frequency's: 28 days, 13 weeks, 18 months,
   * 8 quarters, 6 years; when neither holdout nor period is given and the series is shorter than
   * two seasons plus that, what leaves two seasons, down to a third of it
   */
  readonly holdout?: number;
  /**
   * Season length in steps. @default - the series' frequency's: 7 for days, 52 weeks, 12 months,
   * 4 quarters, none (1) for years; none when the series is shorter than two such seasons plus the
   * holdout
   */
  readonly period?: number;
  /** Metric the winner is chosen by. @default 'MAPE' */
  readonly metric?: MetricName;
  /** Prediction-interval coverage of the returned model. @default 0.95 */
  readonly level?: number;
  /** Refine pass: REFINE_FAMILIES (unless `families` is given) and the fine parameter search. @default false */
  readonly refine?: boolean;
  /** Parameter search effort. @default 'fine' when `refine`, else 'coarse' */
  readonly search?: 'coarse' | 'fine';
  /** Reject a series when more than this fraction of its steps were interpolated. @default 0.5 */
  readonly maxFilledFraction?: number;
  /**
   * Holdouts each family is scored on: the last `holdout` steps, then windows ending ⌈holdout/2⌉,
   * 2·⌈holdout/2⌉, … steps earlier (each fitted on what precedes it); the winner has the lowest mean
   * metric. Windows the series is too short for are skipped. The reported metrics are the last
   * window's. @default 1, or 3 when `refine`
   */
  readonly windows?: number;
  /**
   * Widen the winner's interval by its holdout errors: σ is multiplied by √((1 + r²)/2), r² the
   * mean squared holdout error in units of the predicted standard error, bounded to [1, 2] (never
   * narrowed: the analytical variance ignores parameter and model uncertainty, so it errs narrow).
   * @default true
   */
  readonly calibrate?: boolean;
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

/** The scale a family forecasts on (ets and arima may forecast log y). */
const onLogScale = (f: FittedModel): boolean => (f.family === 'ets' || f.family === 'arima') && f.state.transform === 'log';

/**
 * `final` with σ scaled by √((1 + r²)/2), bounded to [1, 2], where r² is the mean squared holdout
 * error of `trained` (the same family fitted on the training window) in units of its predicted
 * standard error σ·scale(h), on the model's scale. Equal weight to the model's own variance and
 * to what the holdout showed: one window is too few points to trust alone.
 */
function calibrated(final: FittedModel, trained: FittedModel, actual: readonly number[], use: readonly boolean[] | undefined): FittedModel {
  if (!(trained.sigma > 0) || trained.z <= 0) return final;
  const f = forecast(trained, actual.length);
  const log = onLogScale(trained);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    if (use !== undefined && use[i] === false) continue;
    if (log && !(actual[i] > 0)) continue;
    const centre = log ? Math.log(f.point[i]) : f.point[i];
    const se = ((log ? Math.log(f.upper[i]) : f.upper[i]) - centre) / trained.z;
    if (!(se > 0)) continue;
    const r = ((log ? Math.log(actual[i]) : actual[i]) - centre) / se;
    sum += r * r;
    count++;
  }
  if (count === 0) return final;
  const factor = Math.min(2, Math.max(1, Math.sqrt((1 + sum / count) / 2)));
  return { ...final, sigma: final.sigma * factor, params: { ...final.params, intervalScale: factor } } as FittedModel;
}

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
  const facts = FREQUENCIES[series.frequency ?? 'day'];
  let holdout = opts.holdout ?? facts.holdout;
  let period = opts.period ?? facts.seasonPeriod;
  // Defaults bend to a short series: first the holdout (down to a third of the frequency's), so
  // that two seasons stay to train on, then the season itself. Given settings are kept as given.
  const n0 = series.values.length;
  if (opts.holdout === undefined && opts.period === undefined && n0 < 2 * period + holdout) holdout = Math.max(Math.ceil(facts.holdout / 3), n0 - 2 * period);
  if (opts.period === undefined && n0 < 2 * period + holdout) period = 1;
  const metric = opts.metric ?? 'MAPE';
  const level = opts.level ?? 0.95;
  const refine = opts.refine ?? false;
  const search = opts.search ?? (refine ? 'fine' : 'coarse');
  const maxFilled = opts.maxFilledFraction ?? 0.5;
  const windows = opts.windows ?? (refine ? 3 : 1);
  const calibrate = opts.calibrate ?? true;
  if (!(Number.isInteger(windows) && windows >= 1 && windows <= 10)) throw new ForecastOptionsError(`windows must be an integer in [1, 10], got ${windows}`);
  if (!(Number.isInteger(holdout) && holdout >= 1)) throw new ForecastOptionsError(`holdout must be an integer >= 1, got ${holdout}`);
  if (!(Number.isInteger(period) && period >= 1 && period <= 366)) throw new ForecastOptionsError(`period must be an integer in [1, 366], got ${period}`);
  if (!METRICS.includes(metric)) throw new ForecastOptionsError(`metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`);
  if (!(maxFilled >= 0 && maxFilled <= 1)) throw new ForecastOptionsError(`maxFilledFraction must be in [0, 1], got ${maxFilled}`);
  const requested = opts.families ?? (refine ? REFINE_FAMILIES : SCREEN_FAMILIES);
  if (requested.length === 0) throw new ForecastOptionsError('families is empty');
  for (const f of requested)
    if (!FAMILY_ORDER.includes(f)) throw new ForecastOptionsError(`unknown family ${JSON.stringify(f)}; known: ${FAMILY_ORDER.join(', ')}`);
  const families = FAMILY_ORDER.filter((f) => requested.includes(f));

  const y = series.values;
  const n = y.length;
  const required = 2 * period + holdout;
  if (n < required) throw new SeriesTooShortError(n, required, `two seasons of ${period} plus a holdout of ${holdout}`);
  if (series.filled > maxFilled * n) {
    throw new SeriesError(
      'TOO_SPARSE',
      `series too sparse: ${series.filled} of ${n} ${series.frequency ?? 'day'}s were interpolated, more than maxFilledFraction ${maxFilled}`,
    );
  }

  const train = y.slice(0, n - holdout);
  const actual = y.slice(n - holdout);
  const observed = series.observed.slice(n - holdout);
  const use = observed.some(Boolean) ? observed : undefined;
  const fitOpts = { period, level, search } as const;
  const candidates: { [F in FamilyName]?: CandidateResult } = {};
  const scored: { family: FamilyName; metrics: Metrics; earlier: Metrics[]; fit: FittedModel }[] = [];
  const step = Math.ceil(holdout / 2);
  // ETS chooses its model by AICc on the whole series (more data choose better than the training
  // window alone); the holdout windows then refit that model, so its holdout metrics are a little
  // optimistic (the choice saw the holdout) and the winner needs no refit.
  let etsFull: FittedModel | undefined;
  for (const family of families) {
    try {
      let famOpts: FitOptions = fitOpts;
      if (family === 'ets') {
        etsFull = FAMILIES.ets.fit(y, fitOpts);
        famOpts = { ...fitOpts, etsSpec: parseEtsName(etsFull.state.spec), etsStart: etsFull.state };
      }
      const model = FAMILIES[family].fit(train, famOpts);
      const fc = forecast(model, holdout).point;
      if (!fc.every(Number.isFinite)) throw new FitError('forecast is not finite');
      const m = computeMetrics(actual, fc, use);
      // Earlier windows: fit on what precedes each, score the `holdout` steps after it.
      const earlier: Metrics[] = [];
      for (let w = 1; w < windows; w++) {
        const end = n - holdout - w * step;
        if (end < Math.max(FAMILIES[family].minLength(period), 2 * period + 2)) break;
        try {
          const fw = forecast(FAMILIES[family].fit(y.slice(0, end), famOpts), holdout).point;
          if (fw.every(Number.isFinite))
            earlier.push(
              computeMetrics(
                y.slice(end, end + holdout),
                fw,
                series.observed.slice(end, end + holdout).some(Boolean) ? series.observed.slice(end, end + holdout) : undefined,
              ),
            );
        } catch (e) {
          if (!(e instanceof ForecastError)) throw e;
        }
      }
      candidates[family] = { status: 'OK', metrics: m };
      scored.push({ family, metrics: m, earlier, fit: model });
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
  // With several windows, a family is ranked by its mean over the windows every family has (a
  // window some family could not be scored on is left out for all, so the means compare).
  const shared = Math.min(...scored.map((c) => c.earlier.length));
  const rank = (c: (typeof scored)[number], k: MetricName): number => {
    let sum = metricValue(c.metrics, k) as number;
    for (let w = 0; w < shared; w++) {
      const v = metricValue(c.earlier[w], k);
      // MAPE may be undefined on an earlier window (all zero actuals): then sMAPE stands in.
      sum += v ?? (c.earlier[w].smape as number);
    }
    return sum / (1 + shared);
  };
  let best = scored[0];
  for (const c of scored.slice(1)) {
    for (const k of keys) {
      const v = rank(c, k);
      const b = rank(best, k);
      if (v < b - tol(k)) best = c;
      if (Math.abs(v - b) > tol(k)) break;
    }
  }

  let final: FittedModel = best.family === 'ets' && etsFull !== undefined ? etsFull : FAMILIES[best.family].fit(y, fitOpts);
  if (calibrate) final = calibrated(final, best.fit, actual, use);
  const record: ContestRecord = { selectedBy, holdout, winner: best.metrics, candidates };
  const model = toModelDocument(
    final,
    { startDate: series.start, lastDate: series.end, nFilled: series.filled, frequency: series.frequency ?? 'day', anchorDay: series.anchorDay },
    record,
  );
  return { model, winner: best.family, metrics: best.metrics, selectedBy, candidates };
}
