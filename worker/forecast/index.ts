/**
 * The reference worker's forecasting core: pure and deterministic (no I/O, no randomness).
 * prepareSeries → selectBest → artifact JSON → predictFromModel (and its Python twin,
 * lib/registry/python/predict_core.py). See docs/forecast-models.md.
 */
export { FREQUENCIES, addDays, fromDayNumber, inferFrequency, stepDate, toDayNumber } from './dates';
export type { Frequency, FrequencyFacts, InferredFrequency } from './dates';
export { FitError, ForecastError, ForecastOptionsError, ModelFormatError, SeriesError, SeriesTooShortError } from './errors';
export type { SeriesProblem } from './errors';
export { FAMILIES, arima, drift, ets, holtWinters, holtWintersDamped, linearTrend, linearTrendSeason, seasonalNaive, ses } from './families';
export type { FitOptions, ForecastFamily } from './families';
export { hwFilter, initialState } from './families/holt-winters';
export { sesFilter } from './families/ses';
export { MAX_SMOOTHED_SEASON, autoEts, etsName, fitEts } from './families/ets';
export type { EtsFit, EtsSpec, EtsSeason, EtsTransform, EtsTrend } from './families/ets';
export { kpss, seasonalStrength } from './families/arima';
export { computeMetrics } from './metrics';
export type { Metrics } from './metrics';
export { FAMILY_ORDER, MAX_AR, MODEL_FORMAT, MODEL_FORMAT_VERSION, READ_VERSIONS, V2_FAMILIES, fittedFromDocument, parseModel, toModelDocument } from './model';
export type {
  AnyForecastModel,
  ArimaState,
  EtsState,
  CandidateResult,
  ContestRecord,
  DriftState,
  FamilyName,
  FamilyStates,
  FittedModel,
  ForecastModel,
  HoltWintersState,
  LegacyForecastModelV1,
  MetricName,
  RegressionState,
  SeasonalNaiveState,
  SesState,
  Transform,
} from './model';
export { Z95, normalQuantile, zForLevel } from './normal';
export { gridThenCompass } from './optimize';
export type { SearchResult, SearchSpec } from './optimize';
export { expPortable, forecast, predictFromModel } from './predict';
export type { Forecast, ForecastStep } from './predict';
export { prepareSeries } from './prepare';
export type { Observation, PrepareOptions, PreparedSeries } from './prepare';
export { LEGACY_REFINE_FAMILIES, LEGACY_SCREEN_FAMILIES, REFINE_FAMILIES, SCREEN_FAMILIES, selectBest } from './contest';
export type { ContestOptions, ContestResult } from './contest';
